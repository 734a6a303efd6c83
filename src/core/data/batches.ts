// Mini-batches as float pixels in [0, 1], with the standard CIFAR augmentation (random crop
// from a 4-pixel zero-padded image, horizontal flip) done on the host with a seeded RNG.

import type { Rng } from '../rng'
import { IMAGE_BYTES, type CifarSet } from './cifar'

export interface HostBatch {
  x: Float32Array // [B, 32, 32, 3] in [0, 1]
  y: Int32Array // [B]
  size: number
}

const PAD = 4

export function gatherBatch(set: CifarSet, indices: ArrayLike<number>, augment: Rng | null): HostBatch {
  const size = indices.length
  const x = new Float32Array(size * IMAGE_BYTES)
  const y = new Int32Array(size)
  for (let b = 0; b < size; b++) {
    const i = indices[b]
    y[b] = set.labels[i]
    const src = i * IMAGE_BYTES
    const dst = b * IMAGE_BYTES
    if (!augment) {
      for (let k = 0; k < IMAGE_BYTES; k++) x[dst + k] = set.images[src + k] / 255
      continue
    }
    const dy = augment.int(2 * PAD + 1) - PAD // shift in [-4, 4]
    const dx = augment.int(2 * PAD + 1) - PAD
    const flip = augment.next() < 0.5
    for (let r = 0; r < 32; r++) {
      const sr = r + dy
      for (let c = 0; c < 32; c++) {
        const sc = (flip ? 31 - c : c) + dx
        const o = dst + (r * 32 + c) * 3
        if (sr < 0 || sr > 31 || sc < 0 || sc > 31) {
          x[o] = x[o + 1] = x[o + 2] = 0 // the zero padding
          continue
        }
        const s = src + (sr * 32 + sc) * 3
        x[o] = set.images[s] / 255
        x[o + 1] = set.images[s + 1] / 255
        x[o + 2] = set.images[s + 2] / 255
      }
    }
  }
  return { x, y, size }
}

/** Consecutive index ranges [start, start+size) for evaluation batches. */
export function* ranges(n: number, size: number): Generator<number[]> {
  for (let s = 0; s < n; s += size) yield Array.from({ length: Math.min(size, n - s) }, (_, k) => s + k)
}
