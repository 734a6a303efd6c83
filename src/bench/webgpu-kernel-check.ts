// The bench page's check of the WebGPU training kernels (test/browser/webgpu-kernels.test.ts
// drives it): the chunked Conv2DBackpropFilter against the plain CPU backend's, and against the
// stock WebGPU kernel, on random inputs over the shapes that matter (ResNet's 3x3 and 1x1 filters,
// strides 1 and 2, 'same', 'valid' and explicit padding, odd image sizes, chunk boundaries) and
// one the chunked kernel hands back to the stock one (output channels not a multiple of 4). And
// the fused SGD update against Sgd's op-by-op path on the CPU backend.

import * as tf from '@tensorflow/tfjs-core'
import { backend_util, Conv2DBackpropFilter } from '@tensorflow/tfjs-core'
import { chunking, filterGradCalls } from '../core/backend/webgpu-conv-filter-grad'
import { registerWebGpuTrainingKernels, unregisterWebGpuTrainingKernels } from '../core/backend/webgpu-kernels'
import { createRng } from '../core/rng'
import { Sgd, SGD_MOMENTUM_KERNEL } from '../core/train/sgd'
import { startBackend, type StartedBackend } from './backend'

interface Case {
  name: string
  x: [number, number, number, number] // NHWC
  filter: [number, number, number, number] // KH, KW, Cin, Cout
  stride: number
  pad: 'same' | 'valid' | number
}

export const FILTER_GRAD_CASES: Case[] = [
  { name: 'first conv, odd image', x: [3, 9, 7, 3], filter: [3, 3, 3, 16], stride: 1, pad: 1 },
  { name: 'stage 1, many chunks', x: [8, 16, 16, 16], filter: [3, 3, 16, 16], stride: 1, pad: 1 },
  { name: 'downsampling 3x3', x: [2, 9, 8, 16], filter: [3, 3, 16, 32], stride: 2, pad: 1 },
  { name: "1x1, stride 2, 'valid'", x: [2, 6, 6, 8], filter: [1, 1, 8, 4], stride: 2, pad: 'valid' },
  { name: "5x3, 'same'", x: [1, 5, 6, 2], filter: [5, 3, 2, 8], stride: 1, pad: 'same' },
  { name: 'stock fallback (6 outputs)', x: [2, 5, 5, 4], filter: [3, 3, 4, 6], stride: 1, pad: 1 },
]

export interface FilterGradRow {
  name: string
  chunked: boolean // whether the chunked kernel took the case (else the stock one ran)
  chunks: number
  maxAbsDiff: number // ours against the CPU backend
  stockMaxAbsDiff: number // the stock WebGPU kernel against the CPU backend, for scale
  maxAbs: number // of the CPU result
}

export interface SgdCheck {
  fusedKernelRan: boolean // the second step's profile lists the fused kernel
  maxAbsDiff: number // parameters after three steps, fused on WebGPU against the CPU backend
  maxAbsChange: number // how far the steps moved the parameters, for scale
}

export interface WebGpuKernelCheck {
  started: StartedBackend
  rows: FilterGradRow[]
  sgd: SgdCheck
  numTensorsLeaked: number
}

const SGD_SHAPES = [[3, 3, 4, 8], [8], [64, 10]]

/** Three SGD steps (momentum 0.9, weight decay 5e-4) on fixed parameters and gradients. */
async function sgdSteps(profileStep = -1): Promise<{ values: Float32Array[]; kernels: string[] }> {
  const initial = SGD_SHAPES.map((s, k) => tf.tensor(random(s.reduce((a, b) => a * b), 100 + k), s))
  const params = initial.map((t, k) => tf.variable(t, true, `p${k}`))
  tf.dispose(initial)
  const sgd = new Sgd(params, 0.9, 5e-4)
  let kernels: string[] = []
  for (let step = 0; step < 3; step++) {
    const grads = Object.fromEntries(params.map((p, k) => [p.name, tf.tensor(random(p.size, 200 + 10 * step + k), p.shape)]))
    if (step === profileStep) kernels = (await tf.profile(() => sgd.step(grads, 0.05 * (step + 1)))).kernelNames
    else sgd.step(grads, 0.05 * (step + 1))
    tf.dispose(Object.values(grads))
  }
  const values = await Promise.all(params.map(async (p) => (await p.data()) as Float32Array))
  sgd.dispose()
  tf.dispose(params)
  return { values, kernels }
}

function random(n: number, seed: number): Float32Array {
  const rng = createRng(seed)
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1)
}

async function filterGrad(c: Case, x: Float32Array, dy: Float32Array, dyShape: number[]): Promise<Float32Array> {
  const xs = tf.tensor4d(x, c.x)
  const dys = tf.tensor(dy, dyShape)
  const attrs = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter }
  const out = tf.engine().runKernel(Conv2DBackpropFilter, { x: xs, dy: dys }, attrs as never) as tf.Tensor
  const values = (await out.data()) as Float32Array
  tf.dispose([xs, dys, out])
  return values
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0)

export async function webgpuKernelCheck(): Promise<WebGpuKernelCheck> {
  const inputs = FILTER_GRAD_CASES.map((c, k) => {
    // The output shape of the forward convolution, from tfjs itself, so dy always fits.
    const dyShape = backend_util.computeConv2DInfo(c.x, c.filter, c.stride, 1, c.pad).outShape
    return { dyShape, x: random(c.x.reduce((a, b) => a * b), 2 * k + 1), dy: random(dyShape.reduce((a, b) => a * b), 2 * k + 2) }
  })
  await startBackend('cpu')
  const ref = await Promise.all(FILTER_GRAD_CASES.map((c, k) => filterGrad(c, inputs[k].x, inputs[k].dy, inputs[k].dyShape)))
  const sgdRef = await sgdSteps()
  const started = await startBackend('webgpu')
  const before = tf.memory().numTensors
  const rows: FilterGradRow[] = []
  for (const [k, c] of FILTER_GRAD_CASES.entries()) {
    const { x, dy, dyShape } = inputs[k]
    unregisterWebGpuTrainingKernels()
    const stock = await filterGrad(c, x, dy, dyShape)
    registerWebGpuTrainingKernels()
    const chunkedBefore = filterGradCalls.chunked
    const ours = await filterGrad(c, x, dy, dyShape)
    const positions = dyShape[0] * dyShape[1] * dyShape[2]
    rows.push({
      name: c.name,
      chunked: filterGradCalls.chunked > chunkedBefore,
      chunks: chunking(positions, c.filter.reduce((a, b) => a * b) / 4).chunks,
      maxAbsDiff: maxAbsDiff(ours, ref[k]),
      stockMaxAbsDiff: maxAbsDiff(stock, ref[k]),
      maxAbs: ref[k].reduce((m, v) => Math.max(m, Math.abs(v)), 0),
    })
  }
  const fused = await sgdSteps(1) // step 0 makes the momentum buffers; 1 and 2 take the fused kernel
  const initial = SGD_SHAPES.map((s, k) => random(s.reduce((a, b) => a * b), 100 + k))
  const sgd: SgdCheck = {
    fusedKernelRan: fused.kernels.includes(SGD_MOMENTUM_KERNEL),
    maxAbsDiff: Math.max(...fused.values.map((v, k) => maxAbsDiff(v, sgdRef.values[k]))),
    maxAbsChange: Math.max(...sgdRef.values.map((v, k) => maxAbsDiff(v, initial[k]))),
  }
  return { started, rows, sgd, numTensorsLeaked: tf.memory().numTensors - before }
}
