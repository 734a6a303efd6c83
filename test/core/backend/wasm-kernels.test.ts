// The WASM training kernels (conv filter/input gradients, tile) against the tfjs CPU backend.
import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../../../src/core/backend/wasm/kernels'
import { initWasmBackendNode } from '../../../scripts/lib/wasm-node'
import { expectSameOnCpuAndWasm, host } from './compare'

type Pad = number | 'same' | 'valid'
type Case = [x: number[], w: number[], stride: number | [number, number], pad: Pad]

// NHWC input, HWIO filter. Our model: 3x3 pad 1 at stride 1 and 2; the rest covers the edges.
const cases: Case[] = [
  [[1, 8, 8, 3], [3, 3, 3, 16], 1, 1], // stem
  [[2, 8, 8, 16], [3, 3, 16, 16], 1, 1],
  [[4, 8, 8, 16], [3, 3, 16, 32], 2, 1], // downsampling block, PyTorch-style symmetric pad
  [[8, 8, 8, 32], [3, 3, 32, 64], 2, 1],
  [[3, 4, 4, 64], [3, 3, 64, 64], 1, 1],
  [[5, 6, 6, 32], [3, 3, 32, 32], 1, 1],
  [[2, 8, 8, 16], [1, 1, 16, 32], 1, 0],
  [[2, 8, 8, 16], [1, 1, 16, 32], 2, 0], // last row/column of x unused by the forward conv
  [[2, 7, 7, 16], [3, 3, 16, 8], 2, 1], // odd size: input gradient falls back to the stock kernel
  [[2, 8, 8, 4], [3, 3, 4, 8], 2, 'same'], // TF 'same' pads 0 before, 1 after
  [[2, 9, 9, 4], [3, 3, 4, 8], 2, 'valid'],
  [[1, 6, 10, 3], [3, 3, 3, 5], [1, 2], 1], // non-square, a different stride per axis
  [[2, 8, 8, 4], [5, 5, 4, 4], 1, 2],
]

const label = ([x, w, s, p]: Case) => `x [${x}] w [${w}] stride ${s} pad ${p}`
const labelled = cases.map((c) => [label(c), c] as const)
const outShape = ([x, w, s, p]: Case) => tf.backend_util.computeConv2DInfo(x as [number, number, number, number], w as [number, number, number, number], s, 1, p).outShape

beforeAll(async () => {
  await initWasmBackendNode()
})

describe('conv2d gradients on WASM equal the CPU backend', () => {
  it.each(labelled)('tf.grads of a weighted sum: %s', async (_, c) => {
    const [xs, ws, s, p] = c
    // A random weighting makes dy non-uniform; a plain sum would give dy = 1 everywhere.
    const args = [host(xs, 1), host(ws, 2), host(outShape(c), 3)]
    await expectSameOnCpuAndWasm(
      args,
      (x, w, r) => {
        const loss = (x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, p), r))
        return tf.grads(loss)([x, w])
      },
      label(c),
    )
  })

  it.each(labelled)('the gradient kernels run directly: %s', async (_, c) => {
    const [xs, ws, s, p] = c
    const attrs = { strides: s, pad: p, dataFormat: 'NHWC' }
    await expectSameOnCpuAndWasm(
      [host(xs, 4), host(ws, 5), host(outShape(c), 6)],
      (x, w, dy) => [
        tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: xs }) as tf.Tensor,
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: ws }) as tf.Tensor,
      ],
      label(c),
    )
  })

  it('the gradient of a plain sum (dy = 1), batch 8, stride 2', async () => {
    await expectSameOnCpuAndWasm(
      [host([8, 8, 8, 16], 7), host([3, 3, 16, 32], 8)],
      (x, w) => tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 1)))([x, w]),
      'sum',
    )
  })
})

describe('tile on WASM equals the CPU backend', () => {
  const tiles: [number[], number[]][] = [
    [
      [1, 1, 1, 16],
      [4, 8, 8, 1],
    ], // the batch-norm gradient's broadcast: fast path
    [
      [4, 1],
      [1, 3],
    ], // fast path
    [
      [1, 5],
      [6, 1],
    ], // fast path
    [
      [2, 3],
      [2, 2],
    ], // a real tile: stock kernel
    [
      [1, 3],
      [2, 2],
    ], // mixed: stock kernel
    [[3], [4]], // rank 1: stock kernel
    [
      [2, 1, 3],
      [1, 1, 1],
    ], // no-op reps
  ]
  it.each(tiles)('x [%s] reps [%s]', async (xs, reps) => {
    await expectSameOnCpuAndWasm([host(xs, 9)], (x) => tf.tile(x, reps), `tile ${xs} ${reps}`, 0)
  })

  it('int32 tiles exactly', async () => {
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend)
      const t = tf.tile(tf.tensor([[1], [-2], [3]], [3, 1], 'int32'), [1, 4])
      expect(t.dtype).toBe('int32')
      expect(t.arraySync()).toEqual([
        [1, 1, 1, 1],
        [-2, -2, -2, -2],
        [3, 3, 3, 3],
      ])
      t.dispose()
    }
  })
})

describe('end to end', () => {
  it('gradients of a conv-BN-ReLU stack w.r.t. input and weights equal the CPU backend', async () => {
    const args = [host([4, 8, 8, 3], 10), host([3, 3, 3, 16], 11), host([3, 3, 16, 32], 12), host([16], 13), host([32], 14), host([32], 15)]
    await expectSameOnCpuAndWasm(
      args,
      (x, w1, w2, gamma1, runMean2, gamma2) => {
        const loss = (x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, g1: tf.Tensor, g2: tf.Tensor) => {
          // training-mode BN (batch statistics), then inference-mode BN (running statistics,
          // whose gradient tiles [1,1,1,C] to the activation shape), as the ResNet uses them
          const a = tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 1)
          const { mean, variance } = tf.moments(a, [0, 1, 2])
          const h = tf.relu(tf.batchNorm(a, mean, variance, tf.zerosLike(g1), tf.add(g1, 1), 1e-5))
          const b = tf.conv2d(h as tf.Tensor4D, w2 as tf.Tensor4D, 2, 1)
          const out = tf.relu(tf.batchNorm(b, runMean2, tf.onesLike(runMean2), tf.zerosLike(g2), tf.add(g2, 1), 1e-5))
          return tf.sum(tf.square(tf.mean(out, [1, 2])))
        }
        return tf.grads(loss)([x, w1, w2, gamma1, gamma2])
      },
      'conv-BN-ReLU stack',
    )
  })
})

describe('registration', () => {
  it('replaces the stock kernels, is idempotent, and can be undone', async () => {
    await tf.setBackend('wasm')
    const ours = {
      input: tf.getKernel('Conv2DBackpropInput', 'wasm').kernelFunc,
      tile: tf.getKernel('Tile', 'wasm').kernelFunc,
    }
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined()
    registerWasmTrainingKernels()
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm').kernelFunc).toBe(ours.input)

    unregisterWasmTrainingKernels()
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined()
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm').kernelFunc).not.toBe(ours.input)
    expect(tf.getKernel('Tile', 'wasm').kernelFunc).not.toBe(ours.tile)
    // the stock backend cannot produce weight gradients: the reason this module exists
    const x = tf.ones([1, 4, 4, 2]) as tf.Tensor4D
    expect(() => tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, 1)))(tf.ones([3, 3, 2, 2]))).toThrow(/Conv2DBackpropFilter/)

    registerWasmTrainingKernels()
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm').kernelFunc).toBe(ours.input)
    expect(tf.getKernel('Tile', 'wasm').kernelFunc).toBe(ours.tile)
  })

  it('NCHW weight gradients throw a clear error', async () => {
    await tf.setBackend('wasm')
    const x = tf.ones([1, 2, 4, 4])
    const dy = tf.ones([1, 2, 4, 4])
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 1, dataFormat: 'NCHW', filterShape: [3, 3, 2, 2] })).toThrow(/NHWC only/)
  })
})

describe('memory', () => {
  it('repeated gradient calls leak no tensors and no backend buffers', async () => {
    await tf.setBackend('wasm')
    const x = tf.randomNormal([4, 8, 8, 16]) as tf.Tensor4D
    const w1 = tf.randomNormal([3, 3, 16, 16]) as tf.Tensor4D
    const w2 = tf.randomNormal([3, 3, 16, 32]) as tf.Tensor4D
    const gamma = tf.randomNormal([32])
    const step = () => {
      const grads = tf.grads((x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor) => {
        const h = tf.relu(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 1))
        const y = tf.conv2d(h as tf.Tensor4D, w2 as tf.Tensor4D, 2, 1)
        return tf.sum(tf.square(tf.batchNorm(y, tf.zerosLike(gamma), tf.onesLike(gamma), tf.zerosLike(gamma), gamma)))
      })([x, w1, w2])
      tf.dispose(grads)
    }
    step()
    const tensors = tf.memory().numTensors
    const buffers = tf.engine().backend.numDataIds() // counts what the engine never sees, too
    for (let i = 0; i < 5; i++) step()
    expect(tf.memory().numTensors).toBe(tensors)
    expect(tf.engine().backend.numDataIds()).toBe(buffers)
    tf.dispose([x, w1, w2, gamma])
  })
})
