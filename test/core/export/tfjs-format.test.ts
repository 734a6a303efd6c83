// The tfjs export must give tensors that tfjs reads back with the right values in tfjs layout:
// checked with tfjs's own decoder and convolution, on a synthetic dict and the real ResNet-20.

import { readFileSync } from 'node:fs'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { describe, expect, it } from 'vitest'
import { readCheckpoint, parseSafetensors, serializeSafetensors } from '../../../src/core/checkpoint'
import { toTfjsFormat } from '../../../src/core/export/tfjs-format'
import { f32, type StateDict } from '../../../src/core/tensors'

const ramp = (n: number, scale = 1) => Float32Array.from({ length: n }, (_, i) => (i - n / 2) * scale)

function decode(dict: StateDict) {
  const a = toTfjsFormat(dict, 'm')
  expect(a.modelJson.weightsManifest[0].paths).toEqual(['m.weights.bin'])
  const specs = a.modelJson.weightsManifest[0].weights
  return tf.io.decodeWeights(a.weightsBin.buffer, specs)
}

describe('toTfjsFormat', () => {
  it('transposes conv OIHW → HWIO and linear [out,in] → [in,out], keeps 1-D and int tensors', () => {
    const dict: StateDict = new Map([
      ['conv.weight', f32([3, 2, 2, 4], ramp(48))],
      ['fc.weight', f32([5, 3], ramp(15))],
      ['bn.bias', f32([3], ramp(3))],
      ['bn.num_batches_tracked', { dtype: 'I64' as const, shape: [], data: BigInt64Array.of(123n) }],
    ])
    const w = decode(dict)
    expect(w['conv.weight'].shape).toEqual([2, 4, 2, 3])
    const conv = w['conv.weight'].arraySync() as number[][][][]
    const src = dict.get('conv.weight')!.data as Float32Array
    for (let o = 0; o < 3; o++) for (let i = 0; i < 2; i++) for (let h = 0; h < 2; h++) for (let x = 0; x < 4; x++) expect(conv[h][x][i][o]).toBe(src[((o * 2 + i) * 2 + h) * 4 + x])
    expect(w['fc.weight'].shape).toEqual([3, 5])
    const fc = w['fc.weight'].arraySync() as number[][]
    const fsrc = dict.get('fc.weight')!.data as Float32Array
    for (let o = 0; o < 5; o++) for (let i = 0; i < 3; i++) expect(fc[i][o]).toBe(fsrc[o * 3 + i])
    expect(Array.from(w['bn.bias'].dataSync())).toEqual(Array.from(ramp(3)))
    expect(w['bn.num_batches_tracked'].dtype).toBe('int32')
    expect(w['bn.num_batches_tracked'].dataSync()[0]).toBe(123)
  })

  it('exported conv weights drive tf.conv2d like a direct OIHW convolution', () => {
    const [O, I, K] = [4, 3, 3]
    const wt = f32(
      [O, I, K, K],
      Float32Array.from({ length: O * I * K * K }, (_, k) => Math.sin(k * 1.3)),
    )
    const x = Float32Array.from({ length: 5 * 5 * I }, (_, k) => Math.cos(k * 0.7)) // [1,5,5,I] NHWC
    const out = tf.conv2d(tf.tensor4d(x, [1, 5, 5, I]), decode(new Map([['w', wt]]))['w'] as tf.Tensor4D, 1, 'valid').dataSync()
    const d = wt.data as Float32Array
    for (let oy = 0; oy < 3; oy++)
      for (let ox = 0; ox < 3; ox++)
        for (let o = 0; o < O; o++) {
          let acc = 0
          for (let i = 0; i < I; i++) for (let ky = 0; ky < K; ky++) for (let kx = 0; kx < K; kx++) acc += d[((o * I + i) * K + ky) * K + kx] * x[((oy + ky) * 5 + (ox + kx)) * I + i]
          expect(out[(oy * 3 + ox) * O + o]).toBeCloseTo(acc, 4)
        }
  })

  it('exports the real ResNet-20 (via a safetensors round trip) with every value in place', () => {
    const manifest = JSON.parse(readFileSync('public/weights/manifest.json', 'utf8')) as { model: string; file: string; params: number }[]
    const entry = manifest.find((e) => e.model === 'resnet20')!
    const dict = parseSafetensors(serializeSafetensors(readCheckpoint(readFileSync(`public/weights/${entry.file}`), entry.file)))
    const a = toTfjsFormat(dict, 'resnet20')
    const floats = [...dict.values()].filter((t) => t.dtype === 'F32').reduce((n, t) => n + t.data.length, 0)
    expect(a.weightsBin.byteLength).toBe(4 * [...dict.values()].reduce((n, t) => n + t.data.length, 0))
    expect(floats).toBeGreaterThanOrEqual(entry.params)
    const w = tf.io.decodeWeights(a.weightsBin.buffer, a.modelJson.weightsManifest[0].weights)
    expect(Object.keys(w)).toEqual([...dict.keys()])
    for (const [name, t] of dict) {
      const got = w[name].dataSync()
      const src = t.data as Float32Array
      if (t.shape.length === 4) {
        const [O, I, H, W] = t.shape
        expect(w[name].shape).toEqual([H, W, I, O])
        for (let k = 0; k < src.length; k += 97) {
          const o = Math.floor(k / (I * H * W)),
            i = Math.floor(k / (H * W)) % I,
            h = Math.floor(k / W) % H,
            x = k % W
          expect(got[((h * W + x) * I + i) * O + o]).toBe(src[k])
        }
      } else if (t.shape.length === 2) {
        const [O, I] = t.shape
        for (let k = 0; k < src.length; k++) expect(got[(k % I) * O + Math.floor(k / I)]).toBe(src[k])
      } else expect(Array.from(got)).toEqual(Array.from(src))
    }
  })
})
