// A 32×32 RGBA image drawn into a canvas and scaled up with crisp pixels.

import { useEffect, useRef } from 'react'
import { SIDE } from './pixels'

export function PixelCanvas({ rgba, label, size = 72 }: { rgba: Uint8ClampedArray<ArrayBuffer>; label: string; size?: number }) {
  const ref = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    const ctx = ref.current?.getContext('2d')
    if (ctx && rgba.length === SIDE * SIDE * 4) ctx.putImageData(new ImageData(rgba, SIDE, SIDE), 0, 0)
  }, [rgba])
  return <canvas ref={ref} width={SIDE} height={SIDE} className="pixel-canvas" style={{ width: size, height: size }} role="img" aria-label={label} />
}
