// Winograd takes a convolution's input channels in fours (winograd.ts). For the stem's weight
// gradient the 3 image channels get a fourth, zero channel and its row of the gradient is cut
// off: the other rows are exactly what the unpadded convolution gives. Measured on the stem
// (Node, one thread, batch 128, 2026-12-05): 12.6 ms against XNNPACK's 19.3. Its input gradient
// stays on XNNPACK: 3 output channels padded to 8 and cut back took 17.3 ms against 8.8.
import { PadV2, Slice } from '@tensorflow/tfjs-core'
import type { TensorInfo } from '@tensorflow/tfjs-core'
import { runWasm } from './ops'

/** n rounded up to a multiple of m. */
export const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m

/** t with axis `axis` zero-padded at its end to `to` entries (a new tensor). */
export function padAxis(backend: unknown, t: TensorInfo, axis: number, to: number): TensorInfo {
  const paddings = t.shape.map((d, i) => [0, i === axis ? to - d : 0])
  return runWasm(PadV2, backend, { x: t }, { paddings, constantValue: 0 })
}

/** The first `n` entries of t along axis `axis` (a new tensor). */
export function sliceAxis(backend: unknown, t: TensorInfo, axis: number, n: number): TensorInfo {
  return runWasm(Slice, backend, { x: t }, { begin: t.shape.map(() => 0), size: t.shape.map((d, i) => (i === axis ? n : d)) })
}
