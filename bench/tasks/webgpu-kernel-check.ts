// The bench page's check of the WebGPU training kernels (test/browser/webgpu-kernels.test.ts
// drives it): the chunked Conv2DBackpropFilter against the plain CPU backend's, and against the
// stock WebGPU kernel, on random inputs over the shapes that matter (ResNet's 3x3 and 1x1 filters,
// strides 1 and 2, 'same', 'valid' and explicit padding, odd image sizes, chunk boundaries) and
// one the chunked kernel hands back to the stock one (output channels not a multiple of 4). And
// the fused SGD update, the fused kernels of the attack gradient (elementwise, and the transposed
// convolutions with their ReLU gradients) and PGD's fused update against their op-by-op paths on
// the CPU backend; the fused train-mode BatchNorm against
// plain tfjs ops and autodiff on the CPU backend.

import * as tf from '@tensorflow/tfjs-core'
import { backend_util, Conv2DBackpropFilter } from '@tensorflow/tfjs-core'
import { chunking, filterGradCalls } from '../../src/core/backend/webgpu/conv-filter-grad'
import { inPlaceCalls } from '../../src/core/backend/webgpu/in-place'
import { registerWebGpuTrainingKernels, unregisterWebGpuTrainingKernels } from '../../src/core/backend/webgpu/kernels'
import { pgdFrom, PGD_STEP_KERNEL, type Forward } from '../../src/core/attacks/linf'
import {
  BN_DX_KERNEL,
  BN_MEAN_KERNEL,
  BN_RELU_KERNEL,
  FOLD_FILTER_KERNEL,
  FOLD_SHIFT_KERNEL,
  foldBn,
  fusedBatchNormRelu,
  runningAverage,
  RUNNING_AVERAGE_KERNEL,
  updateRunningStatsOf,
} from '../../src/core/model/batchnorm-fused'
import { BN_EPS, BN_MOMENTUM } from '../../src/core/model/resnet'
import {
  ADD_RELU_GRAD_KERNEL,
  ADD_RELU_KERNEL,
  addRelu,
  addReluGrad,
  CONV_INPUT_GRAD_RELU_KERNEL,
  convInputGradRelu,
  MEAN_RELU_GRAD_KERNEL,
  meanReluGrad,
  normalize,
  NORMALIZE_KERNEL,
  RELU_GRAD_KERNEL,
  reluGrad,
  SOFTMAX_XENT_GRAD_KERNEL,
  softmaxXentGrad,
} from '../../src/core/model/fused-ops'
import { createRng } from '../../src/core/rng'
import { Sgd, SGD_MOMENTUM_KERNEL } from '../../src/core/train/sgd'
import { startBackend, type StartedBackend } from './backend'
import { maxAbs, maxAbsDiff } from './compare'

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
  inPlaceDispatches: number // of the fused updates, those that wrote in place (5: all but one shared parameter's)
  sharedUnchanged: boolean // a tensor sharing a parameter's data kept its values through the update
  maxAbsDiff: number // parameters after three steps, fused on WebGPU against the CPU backend
  maxAbsChange: number // how far the steps moved the parameters, for scale
}

/** One fused kernel (or PGD's update) on WebGPU against its op path on the CPU backend. */
export interface FusedOpRow {
  name: string
  kernelRan: boolean // the WebGPU profile lists the fused kernel
  maxAbsDiff: number
  maxAbs: number // of the CPU result
  tolerance: number // on maxAbsDiff: 1e-6 for elementwise arithmetic, relative where a kernel sums
}

export interface WebGpuKernelCheck {
  started: StartedBackend
  rows: FilterGradRow[]
  sgd: SgdCheck
  fusedOps: FusedOpRow[]
  batchNorm: FusedOpRow[] // train-mode BatchNorm+ReLU's outputs, statistics and gradients
  numTensorsLeaked: number
}

const SGD_SHAPES = [[3, 3, 4, 8], [8], [64, 10]]

/**
 * Three SGD steps (momentum 0.9, weight decay 5e-4) on fixed parameters and gradients. In step 1
 * another tensor shares the first parameter's data, so that update may not write in place.
 */
async function sgdSteps(profileStep = -1): Promise<{ values: Float32Array[]; kernels: string[]; inPlace: number; sharedUnchanged: boolean }> {
  const initial = SGD_SHAPES.map((s, k) =>
    tf.tensor(
      random(
        s.reduce((a, b) => a * b),
        100 + k,
      ),
      s,
    ),
  )
  const params = initial.map((t, k) => tf.variable(t, true, `p${k}`))
  tf.dispose(initial)
  const sgd = new Sgd(params, 0.9, 5e-4)
  let kernels: string[] = []
  let sharedUnchanged = false
  const before = inPlaceCalls.count
  for (let step = 0; step < 3; step++) {
    const grads = Object.fromEntries(params.map((p, k) => [p.name, tf.tensor(random(p.size, 200 + 10 * step + k), p.shape)]))
    const shared = step === 1 ? params[0].clone() : null // clone shares the data
    const old = shared ? ((await shared.data()) as Float32Array).slice() : null
    if (step === 2) await Promise.all(params.map((p) => p.data())) // tfjs now holds CPU copies, which the update must drop
    if (step === profileStep) kernels = (await tf.profile(() => sgd.step(grads, 0.05 * (step + 1)))).kernelNames
    else sgd.step(grads, 0.05 * (step + 1))
    if (shared) sharedUnchanged = maxAbsDiff((await shared.data()) as Float32Array, old!) === 0
    tf.dispose([...Object.values(grads), ...(shared ? [shared] : [])])
  }
  const values = await Promise.all(params.map(async (p) => (await p.data()) as Float32Array))
  sgd.dispose()
  tf.dispose(params)
  return { values, kernels, inPlace: inPlaceCalls.count - before, sharedUnchanged }
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

const FUSED_SHAPE: [number, number, number, number] = [2, 5, 6, 8]

/** Inputs with exact zeros and values of every size, so that ReLU and sign see their edge cases. */
function edgy(seed: number): tf.Tensor4D {
  const values = random(
    FUSED_SHAPE.reduce((a, b) => a * b),
    seed,
  ).map((v, i) => (i % 7 === 0 ? 0 : i % 5 === 0 ? v * 1e-9 : v))
  return tf.tensor4d(values, FUSED_SHAPE)
}

/** The fused ops, a PGD-3 run and BatchNorm folding on fixed inputs, on the active backend (fused where registered). */
async function fusedOps(): Promise<{ name: string; kernel: string; values: Float32Array; ran: boolean; sums: boolean }[]> {
  const [a, b, c, x] = [
    edgy(301),
    edgy(302),
    edgy(303),
    tf.tensor4d(
      random(480, 304).map((v) => 0.5 + 0.5 * v),
      FUSED_SHAPE,
    ),
  ]
  // A forward whose input gradient is fixed: PGD's update alone (the sign, the ball, [0, 1]).
  const labels = tf.tensor1d([0, 1], 'int32') // unused by this gradient
  const channel = (seed: number, positive = false) => tf.tensor1d(random(8, seed).map((v) => (positive ? 0.1 + Math.abs(v) : v)))
  const big = (seed: number) => tf.tensor4d(random(320 * 32 * 32 * 16, seed), [320, 32, 32, 16])
  const [bigA, bigB] = [big(309), big(310)]
  const bn = { gamma: channel(305), beta: channel(306), mean: channel(307), variance: channel(308, true) }
  const fwd: Forward = Object.assign(
    () => {
      throw new Error('not used')
    },
    { inputGrad: () => tf.mul(a, 1) as tf.Tensor4D },
  )
  // A transposed conv back into FUSED_SHAPE (W = 6: a thread's two columns, the second past the
  // edge where W is odd after stride 2), from a 3x3 conv of stride 1 and of stride 2.
  const filter = tf.tensor4d(random(3 * 3 * 8 * 12, 311), [3, 3, 8, 12])
  const [dy1, dy2] = [tf.tensor4d(random(2 * 5 * 6 * 12, 312), [2, 5, 6, 12]), tf.tensor4d(random(2 * 3 * 3 * 12, 313), [2, 3, 3, 12])]
  const [dMean, count] = [
    tf.tensor2d(
      random(16, 314).map((v) => 30 * v),
      [2, 8],
    ),
    tf.scalar(30),
  ]
  const logits = tf.tensor2d(
    random(50, 315).map((v) => 6 * v),
    [5, 10],
  )
  const labels5 = tf.tensor1d([3, 0, 9, 1, 7], 'int32')
  const cases: [string, string, () => tf.Tensor, boolean?][] = [
    ['relu(a + b)', ADD_RELU_KERNEL, () => addRelu(a, b)],
    ['dy · [y > 0]', RELU_GRAD_KERNEL, () => reluGrad(a, b)],
    ['(a + b) · [y > 0]', ADD_RELU_GRAD_KERNEL, () => addReluGrad(a, b, c)],
    ['PGD-3 update', PGD_STEP_KERNEL, () => pgdFrom(fwd, x, labels, x.clone(), { eps: 8 / 255, stepSize: 3 / 255, steps: 3 })],
    ['folded filter', FOLD_FILTER_KERNEL, () => tf.tidy(() => foldBn(a, bn, BN_EPS).filter)],
    ['folded shift', FOLD_SHIFT_KERNEL, () => tf.tidy(() => foldBn(a, bn, BN_EPS).shift)],
    // 81,920 workgroups of 64: more than one dispatch dimension holds (65,535), as at batch 320+.
    ['relu(a + b), 5.2M elements', ADD_RELU_KERNEL, () => addRelu(bigA, bigB)],
    ['conv input gradient · [y > 0]', CONV_INPUT_GRAD_RELU_KERNEL, () => convInputGradRelu(dy1, filter, c, 1, 1), true],
    ['(conv input gradient, stride 2, + residual) · [y > 0]', CONV_INPUT_GRAD_RELU_KERNEL, () => convInputGradRelu(dy2, filter, c, 2, 1, a), true],
    ['mean gradient · [y > 0]', MEAN_RELU_GRAD_KERNEL, () => meanReluGrad(dMean, c, count)],
    ['softmax − onehot', SOFTMAX_XENT_GRAD_KERNEL, () => softmaxXentGrad(logits, labels5), true],
    ['(x − mean)/std', NORMALIZE_KERNEL, () => normalize(x, bn.beta, bn.variance)],
  ]
  const out = []
  for (const [name, kernel, run, sums] of cases) {
    const info = await tf.profile(() => tf.dispose(run()))
    const t = run()
    out.push({ name, kernel, values: (await t.data()) as Float32Array, ran: info.kernelNames.includes(kernel), sums: sums ?? false })
    t.dispose()
  }
  tf.dispose([a, b, c, x, labels, bigA, bigB, ...Object.values(bn), filter, dy1, dy2, dMean, count, logits, labels5])
  return out
}

const BN_SHAPE: [number, number, number, number] = [3, 5, 6, 8]
const BN_NAMES = ['y', 'batch mean', 'batch variance', 'dx', 'dγ', 'dβ', 'd residual', 'running variance', 'running mean and variance, in place']

/**
 * relu(BatchNorm(x) + r) in train mode and its gradients (of Σ y·w) for inputs x, γ, β, r. On
 * the CPU: plain tfjs ops and tfjs's autodiff, an independent reference; on WebGPU: the fused
 * kernels. Also the running-variance update from the batch variance.
 */
async function batchNormCase(fused: boolean): Promise<{ values: Float32Array[]; ran: boolean; pairInPlace: boolean }> {
  const n = BN_SHAPE.reduce((a, b) => a * b)
  const x = tf.tensor4d(
    random(n, 401).map((v, i) => 3 * v + (i % 8)),
    BN_SHAPE,
  ) // channels of different means
  const r = tf.tensor4d(random(n, 402), BN_SHAPE)
  const w = tf.tensor4d(random(n, 403), BN_SHAPE)
  const gamma = tf.tensor1d(random(8, 404).map((v) => 1 + 0.5 * v))
  const beta = tf.tensor1d(random(8, 405))
  const running = tf.tensor1d(random(8, 406).map((v) => 1 + 0.5 * v))
  let stats: tf.Tensor1D[] = [] // of the latest forward
  const keepStats = (m: tf.Tensor1D, v: tf.Tensor1D) => {
    tf.dispose(stats)
    stats = [tf.keep(m), tf.keep(v)]
  }
  const f = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor, ri: tf.Tensor): tf.Tensor4D => {
    if (fused) return fusedBatchNormRelu(xi as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, ri as tf.Tensor4D, BN_EPS, keepStats)
    const { mean, variance } = tf.moments(xi, [0, 1, 2])
    keepStats(mean as tf.Tensor1D, variance as tf.Tensor1D)
    return tf.relu(tf.add(tf.add(tf.mul(tf.mul(tf.sub(xi, mean), tf.rsqrt(tf.add(variance, BN_EPS))), g), b), ri)) as tf.Tensor4D
  }
  const run = () =>
    tf.tidy(() => {
      const { value, grads } = tf.valueAndGrads((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor, ri: tf.Tensor) => tf.sum(tf.mul(f(xi, g, b, ri), w)))([x, gamma, beta, r])
      value.dispose()
      const y = f(x, gamma, beta, r)
      const unbiased = runningAverage(running, stats[1], BN_MOMENTUM, n / 8 / (n / 8 - 1), (v) => tf.scalar(v))
      return [y, stats[0], stats[1], ...grads, unbiased]
    })
  const info = await tf.profile(() => tf.dispose(run()))
  const ran = [BN_MEAN_KERNEL, BN_RELU_KERNEL, BN_DX_KERNEL, RUNNING_AVERAGE_KERNEL].every((k) => info.kernelNames.includes(k))
  const outs = run()
  const values = await Promise.all(outs.map(async (t) => (await t.data()) as Float32Array))
  // Both running statistics updated twice from the batch's, as updateRunningStats does (in
  // place on WebGPU: variables that own their data, read once so tfjs holds CPU copies).
  const owned = (t: tf.Tensor) => {
    const v = tf.variable(t, false)
    t.dispose()
    return v
  }
  const [rm, rv] = [owned(tf.zeros([8])), owned(tf.tensor1d(random(8, 407).map((v) => 1 + 0.5 * v)))]
  await Promise.all([rm.data(), rv.data()])
  const inPlaceBefore = inPlaceCalls.count
  for (let k = 0; k < 2; k++) tf.tidy(() => updateRunningStatsOf(rm, rv, stats[0], stats[1], BN_MOMENTUM, n / 8 / (n / 8 - 1), (v) => tf.scalar(v)))
  const pairInPlace = inPlaceCalls.count - inPlaceBefore === 2
  values.push(Float32Array.from([...((await rm.data()) as Float32Array), ...((await rv.data()) as Float32Array)]))
  tf.dispose([...outs, ...stats, x, r, w, gamma, beta, running, rm, rv])
  return { values, ran, pairInPlace }
}

export async function webgpuKernelCheck(): Promise<WebGpuKernelCheck> {
  const inputs = FILTER_GRAD_CASES.map((c, k) => {
    // The output shape of the forward convolution, from tfjs itself, so dy always fits.
    const dyShape = backend_util.computeConv2DInfo(c.x, c.filter, c.stride, 1, c.pad).outShape
    return {
      dyShape,
      x: random(
        c.x.reduce((a, b) => a * b),
        2 * k + 1,
      ),
      dy: random(
        dyShape.reduce((a, b) => a * b),
        2 * k + 2,
      ),
    }
  })
  await startBackend('cpu')
  const ref = await Promise.all(FILTER_GRAD_CASES.map((c, k) => filterGrad(c, inputs[k].x, inputs[k].dy, inputs[k].dyShape)))
  const sgdRef = await sgdSteps()
  const fusedRef = await fusedOps()
  const bnRef = await batchNormCase(false)
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
      maxAbs: maxAbs(ref[k]),
    })
  }
  const fused = await sgdSteps(1) // step 0 makes the momentum buffers; 1 and 2 take the fused kernel
  const initial = SGD_SHAPES.map((s, k) =>
    random(
      s.reduce((a, b) => a * b),
      100 + k,
    ),
  )
  const sgd: SgdCheck = {
    fusedKernelRan: fused.kernels.includes(SGD_MOMENTUM_KERNEL),
    inPlaceDispatches: fused.inPlace,
    sharedUnchanged: fused.sharedUnchanged,
    maxAbsDiff: Math.max(...fused.values.map((v, k) => maxAbsDiff(v, sgdRef.values[k]))),
    maxAbsChange: Math.max(...sgdRef.values.map((v, k) => maxAbsDiff(v, initial[k]))),
  }
  const fusedOpRows = (await fusedOps()).map((r, k) => ({
    name: r.name,
    kernelRan: r.ran,
    maxAbsDiff: maxAbsDiff(r.values, fusedRef[k].values),
    maxAbs: maxAbs(fusedRef[k].values),
    tolerance: r.sums ? 1e-5 * Math.max(1, maxAbs(fusedRef[k].values)) : 1e-6,
  }))
  const bn = await batchNormCase(true)
  const batchNorm = BN_NAMES.map((name, k) => ({
    name,
    kernelRan: k === BN_NAMES.length - 1 ? bn.pairInPlace : bn.ran,
    maxAbsDiff: maxAbsDiff(bn.values[k], bnRef.values[k]),
    maxAbs: maxAbs(bnRef.values[k]),
    tolerance: 1e-5 * Math.max(1, maxAbs(bnRef.values[k])),
  }))
  return { started, rows, sgd, fusedOps: fusedOpRows, batchNorm, numTensorsLeaked: tf.memory().numTensors - before }
}
