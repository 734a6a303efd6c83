// advtune's Winograd convolution on WASM (src/core/backend/wasm/winograd.ts) against the tfjs CPU
// backend, at ResNet-20's stride-1 shapes with several tile blocks per call (and a partial last
// one), forward, input gradient and weight gradient (several chunks of tiles, a partial last
// one), on the checkpoint's real filters. Measured (2026-12-05): at most 8.3e-6 of
// the largest value, against XNNPACK's 2-8e-7: F(4x4, 3x3) trades ~10x float32 rounding for 4x less arithmetic.
import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { relativeError } from '../../../bench/tasks/conv-kernels'
import { initWasmBackendNode } from '../../../scripts/lib/wasm-node'
import { wasmBackendInfo } from '../../../src/core/backend/wasm/init'
import { relaxedSimd, setWasmConvKernels } from '../../../src/core/backend/wasm/winograd'
import { ADD_RELU_KERNEL, CONV_INPUT_GRAD_RELU_KERNEL } from '../../../src/core/model/fused-ops'
import { trainingFixture } from '../../helpers/engine'
import { host, runOn } from './compare'
import type { HostArray } from './compare'
import type { HostTensor } from '../../../src/core/tensors'

// [checkpoint filter, H=W, batch]: one stride-1 conv per stage of ResNet-20.
const layers: [string, number, number][] = [
  ['layer1.0.conv1.weight', 32, 5],
  ['layer2.1.conv2.weight', 16, 9],
  ['layer3.2.conv1.weight', 8, 13],
]

let filters: Map<string, HostArray>

beforeAll(async () => {
  await initWasmBackendNode()
  const { pretrained } = await trainingFixture()
  filters = new Map([...layers.map(([name]) => name), 'conv1.weight'].map((name) => [name, hwio(pretrained.get(name)!)]))
})

/** A PyTorch OIHW filter as tfjs's HWIO. */
function hwio(t: HostTensor): HostArray {
  const [o, i, kh, kw] = t.shape
  const values = new Float32Array(o * i * kh * kw)
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) values[((y * kw + x) * i + b) * o + a] = (t.data as Float32Array)[((a * i + b) * kh + y) * kw + x]
  return { shape: [kh, kw, i, o], values }
}

describe('Winograd convolutions on WASM', () => {
  it('run in place of XNNPACK where the shape fits, in the build the engine can run', () => {
    // Node 20 has relaxed SIMD only behind a flag: the plain builds load, though the fused
    // multiply-add ones are offered too (the browser test runs those).
    expect(wasmBackendInfo().winograd).toEqual({ threads: 1, fma: relaxedSimd() })
  })

  it.each(layers)('%s at %i px, batch %i: forward, input and weight gradients within 2e-5 of the CPU backend (relative to the largest value)', async (name, hw, batch) => {
    const hwio = filters.get(name)!
    expect(hwio.shape).toHaveLength(4)
    const [, , cin, cout] = hwio.shape
    const x = host([batch, hw, hw, cin], 1)
    const dy = host([batch, hw, hw, cout], 2)
    const f = (x: tf.Tensor, w: tf.Tensor, dy: tf.Tensor) => [
      tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 1),
      tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, [batch, hw, hw, cin], 1, 1),
      tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 1), dy)))(w),
    ]
    const cpu = await runOn('cpu', [x, hwio, dy], f)
    const ours = await runOn('wasm', [x, hwio, dy], f)
    setWasmConvKernels('xnnpack')
    const xnn = await runOn('wasm', [x, hwio, dy], f)
    setWasmConvKernels('winograd')
    const errs = [0, 1, 2].map((i) => ({ winograd: relativeError(ours[i], cpu[i]), xnnpack: relativeError(xnn[i], cpu[i]) }))
    console.log(`${name}: forward ${JSON.stringify(errs[0])}, input gradient ${JSON.stringify(errs[1])}, weight gradient ${JSON.stringify(errs[2])}`)
    for (const e of errs) {
      expect(e.winograd).toBeLessThan(2e-5)
      expect(e.winograd).toBeGreaterThan(0) // a different algorithm: if it equals the CPU sums bit for bit, it did not run
    }
  })

  it('the stem’s weight gradient (3 image channels, padded with a zero channel): within 2e-5 of the CPU backend, and not XNNPACK’s', async () => {
    const hwio = filters.get('conv1.weight')!
    const [batch, hw, cout] = [5, 32, hwio.shape[3]]
    expect(hwio.shape.slice(0, 3)).toEqual([3, 3, 3])
    const x = host([batch, hw, hw, 3], 3)
    const dy = host([batch, hw, hw, cout], 4)
    const f = (x: tf.Tensor, w: tf.Tensor, dy: tf.Tensor) => [tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 1), dy)))(w)]
    const cpu = await runOn('cpu', [x, hwio, dy], f)
    const ours = await runOn('wasm', [x, hwio, dy], f)
    setWasmConvKernels('xnnpack')
    const xnn = await runOn('wasm', [x, hwio, dy], f)
    setWasmConvKernels('winograd')
    expect(ours[0].length).toBe(cpu[0].length)
    expect(relativeError(ours[0], cpu[0])).toBeLessThan(2e-5)
    expect(sameBits(ours[0], xnn[0])).toBe(false) // Winograd ran, not XNNPACK
    console.log(`conv1.weight: weight gradient ${relativeError(ours[0], cpu[0]).toExponential(2)} (XNNPACK ${relativeError(xnn[0], cpu[0]).toExponential(2)})`)
  })
})

/** Whether two arrays hold the same floats bit for bit (−0 and NaN included). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length)
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length)
  return x.length === y.length && x.every((v, i) => v === y[i])
}

describe('the attack gradient’s fused steps on WASM', () => {
  // Values that tell rounding, signed zeros and NaN apart; y has zeros, negatives and a NaN.
  const withSpecials = (a: HostArray): HostArray => {
    const values = a.values.slice()
    values.set([0, -0, NaN, -1e-30, 1e-30], 7)
    return { shape: a.shape, values }
  }

  it.each([
    [16, 16, 1, 'Winograd'],
    [16, 32, 2, 'XNNPACK + one elementwise pass'],
  ] as const)('cin %i → cout %i, stride %i (%s): bit-identical to the unfused tfjs kernels', async (cin, cout, stride, _path) => {
    const n = 3
    const hw = 8
    const x = host([n, hw, hw, cin], 11)
    const w = host([3, 3, cin, cout], 12)
    const bias = host([cout], 13)
    const dy = host([n, hw / stride, hw / stride, cout], 14)
    const y = withSpecials(host([n, hw, hw, cin], 15))
    const dres = host([n, hw, hw, cin], 16)
    const f = (x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor, dy: tf.Tensor, y: tf.Tensor, dres: tf.Tensor) => {
      const [x4, w4, dy4, y4, r4] = [x, w, dy, y, dres] as tf.Tensor4D[]
      const fused = [
        tf.fused.conv2d({ x: x4, filter: w4, strides: stride, pad: 1, bias, activation: 'relu' }),
        tf.fused.conv2d({ x: x4, filter: w4, strides: stride, pad: 1, bias, activation: 'linear' }),
        tf.engine().runKernel(CONV_INPUT_GRAD_RELU_KERNEL, { dy: dy4, filter: w4, y: y4, dres: r4 }, { strides: stride, pad: 1 } as never) as tf.Tensor,
        tf.engine().runKernel(CONV_INPUT_GRAD_RELU_KERNEL, { dy: dy4, filter: w4, y: y4 }, { strides: stride, pad: 1 } as never) as tf.Tensor,
        tf.engine().runKernel(ADD_RELU_KERNEL, { a: r4, b: y4 }) as tf.Tensor,
      ]
      const dx = tf.conv2dTranspose(dy4, w4, [n, hw, hw, cin], stride, 1)
      const unfused = [
        tf.relu(tf.add(tf.conv2d(x4, w4, stride, 1), bias)),
        tf.add(tf.conv2d(x4, w4, stride, 1), bias),
        tf.mul(tf.add(dx, r4), tf.step(y4)),
        tf.mul(dx, tf.step(y4)),
        tf.relu(tf.add(r4, y4)),
      ]
      return [...fused, ...unfused]
    }
    const out = await runOn('wasm', [x, w, bias, dy, y, dres], f)
    for (let i = 0; i < 5; i++) expect(sameBits(out[i], out[i + 5]), `output ${i}`).toBe(true)
    expect(out[2].some(Number.isNaN)).toBe(true) // the NaN in y went through the ReLU gradient as tfjs's Step takes it
  })
})
