// The CIFAR ResNet forward pass written with plain tfjs ops over named variables. Plain ops
// (no tf.layers) keep an input-only gradient from computing weight gradients too; the attack's
// input gradient has its own hand-written pass (input-gradient.ts), and a backend may fuse
// BatchNorm's ops into a few kernels (batchnorm-fused.ts). Layout NHWC; conv filters HWIO;
// linear [in, out].

import * as tf from '@tensorflow/tfjs-core'
import { foldBn, fusedBatchNormRelu, hasFoldKernels, hasFusedBatchNorm, updateRunningStatsOf } from './batchnorm-fused'
import { blockShape, type ResNetSpec } from './spec'

export const CIFAR_MEAN = [0.485, 0.456, 0.406] // the akamaster checkpoints' input normalisation
export const CIFAR_STD = [0.229, 0.224, 0.225]
export const BN_EPS = 1e-5
export const BN_MOMENTUM = 0.1 // PyTorch convention: running = 0.9 running + 0.1 batch

export interface Model {
  spec: ResNetSpec
  /** PyTorch state_dict name → variable in tfjs layout. */
  vars: Map<string, tf.Variable>
  /** Weights and biases updated by the optimiser, in state_dict order. */
  trainable: tf.Variable[]
  /** Train-mode forward passes so far: exported as BatchNorm's num_batches_tracked. */
  batchesTracked: number
}

/** Batch statistics of one BatchNorm layer from a train-mode pass, for the running averages. */
export interface BatchStats {
  prefix: string
  mean: tf.Tensor1D
  variance: tf.Tensor1D // biased (divides by n), as used to normalise
  count: number // values per channel: n = B·H·W
}

export type Mode = 'eval' | 'train'

/** The model's tensor `name` (PyTorch state_dict name); throws if it has none. */
export function modelVar(m: Model, name: string): tf.Variable {
  const t = m.vars.get(name)
  if (!t) throw new Error(`model has no tensor ${name}`)
  return t
}

const v = modelVar

// PyTorch's 3x3 convs pad 1 on every side; 'same' would pad asymmetrically at stride 2.
export const PAD = 1

/** What the layers of one forward pass share. */
interface Pass {
  m: Model
  mode: Mode
  stats?: BatchStats[]
  folding?: Folding
  /** One scalar tensor per value for the whole pass: on WebGPU each number in an op is an upload. */
  scalar: (value: number) => tf.Scalar
}

/** Scalar tensors by value, created on first use (inside the caller's tidy scope). */
function scalarCache(): (value: number) => tf.Scalar {
  const made = new Map<number, tf.Scalar>()
  return (value) => {
    let s = made.get(value)
    if (!s) made.set(value, (s = tf.scalar(value)))
    return s
  }
}

/**
 * Per-channel sum of [B, H, W, C] in two stages (space, then batch). tfjs-wasm sums in float32
 * one element after another, and BatchNorm's backward cancels large terms: over a 32x32x128
 * reduction its weight gradients came out 2-9 % off PyTorch's. Two stages cut the rounding
 * from ~B·H·W to ~(H·W + B) ulps.
 */
function channelSum(t: tf.Tensor): tf.Tensor1D {
  return tf.sum(tf.sum(t, [1, 2]), 0) as tf.Tensor1D
}

/**
 * Train-mode BatchNorm with its gradient written out by hand. Autodiff through tf.moments
 * builds activation-sized ones, casts and divides for every mean; the closed form needs two
 * channel sums and a few elementwise ops:
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ/σ · (dy − dβ/n − x̂·dγ/n)
 */
function batchNorm(p: Pass, x: tf.Tensor4D, prefix: string): tf.Tensor4D {
  const count = x.shape[0] * x.shape[1] * x.shape[2]
  // Made out here, in the pass's scope: customGrad's function runs in a scope of its own.
  const [n, eps] = [p.scalar(count), p.scalar(BN_EPS)]
  const bn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, gamma, beta, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc]
    // Not tf.moments: it casts x to float32 first, an activation-sized copy on WASM.
    const mean = tf.div(channelSum(xi), n)
    const variance = tf.div(channelSum(tf.square(tf.sub(xi, mean))), n)
    p.stats?.push({ prefix, mean: tf.keep(mean as tf.Tensor1D), variance: tf.keep(variance as tf.Tensor1D), count })
    const rstd = tf.rsqrt(tf.add(variance, eps))
    const xhat = tf.mul(tf.sub(xi, mean), rstd)
    save([xhat, rstd, gamma, n])
    return {
      value: tf.add(tf.mul(xhat, gamma), beta),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, g, ns] = saved
        const dBeta = channelSum(dy)
        const dGamma = channelSum(tf.mul(dy, xh))
        const centred = tf.sub(tf.sub(dy, tf.div(dBeta, ns)), tf.mul(xh, tf.div(dGamma, ns)))
        return [tf.mul(centred, tf.mul(g, rs)), dGamma, dBeta]
      },
    }
  })
  return bn(x, v(p.m, `${prefix}.weight`), v(p.m, `${prefix}.bias`)) as tf.Tensor4D
}

/** A conv layer with its BatchNorm folded in (eval mode): filter·γ/σ and shift β − μ·γ/σ. */
export interface FoldedConv {
  filter: tf.Tensor4D
  shift: tf.Tensor1D
}

/**
 * What an eval-mode forward of fixed weights can hold ready (kept tensors, see foldBatchNorm):
 * per conv layer name its folded filter and shift, and the forward's constants.
 */
export interface Folding {
  convs: Map<string, FoldedConv>
  mean: tf.Tensor1D // input normalisation
  std: tf.Tensor1D
  shortcuts: Map<string, tf.Tensor4D> // option-A 0/1 filters, by shortcutKey
  scalars: Map<number, tf.Scalar> // constants of passes with these weights, by value (foldingScalar)
}

/** A scalar held with the folding (made once, disposed with it): on WebGPU each new one is an upload. */
export function foldingScalar(f: Folding, value: number): tf.Scalar {
  let s = f.scalars.get(value)
  if (!s) f.scalars.set(value, (s = tf.keep(tf.scalar(value))))
  return s
}

function foldOne(m: Model, conv: string, bn: string, eps: tf.Scalar | number = BN_EPS): FoldedConv {
  const t = (name: string) => v(m, `${bn}.${name}`) as tf.Tensor1D
  return foldBn(v(m, `${conv}.weight`) as tf.Tensor4D, { gamma: t('weight'), beta: t('bias'), mean: t('running_mean'), variance: t('running_var') }, eps)
}

/** The (conv, BatchNorm) pairs of the network, stem first, in forward order. */
function convLayers(spec: ResNetSpec): { conv: string; bn: string }[] {
  const out = [{ conv: 'conv1', bn: 'bn1' }]
  for (let s = 0; s < 3; s++) for (let b = 0; b < spec.blocksPerStage; b++) for (const k of [1, 2]) out.push({ conv: `layer${s + 1}.${b}.conv${k}`, bn: `layer${s + 1}.${b}.bn${k}` })
  return out
}

/**
 * Every conv layer's BatchNorm folded in once. An attack runs the same eval-mode weights 7-20
 * times: folding per forward cost 6 small kernels per layer each time (114 of a ResNet-20
 * forward's 187 kernels), which on a GPU cost more in dispatch than in arithmetic. Valid until
 * the weights or running statistics change; the caller disposes it (disposeFolding).
 */
export function foldBatchNorm(m: Model): Folding {
  // One upload, not one per layer; a backend with fold kernels takes ε as an attribute.
  const eps = hasFoldKernels() ? BN_EPS : tf.scalar(BN_EPS)
  const convs = new Map(
    convLayers(m.spec).map(({ conv, bn }) => {
      const [filter, shift] = tf.tidy(() => {
        const f = foldOne(m, conv, bn, eps)
        return [f.filter, f.shift]
      })
      return [conv, { filter: filter as tf.Tensor4D, shift: shift as tf.Tensor1D }]
    }),
  )
  if (typeof eps !== 'number') eps.dispose()
  const shortcuts = new Map<string, tf.Tensor4D>()
  for (let s = 0; s < 3; s++)
    for (let b = 0; b < m.spec.blocksPerStage; b++) {
      const { inC, out, stride } = blockShape(m.spec, s, b)
      if (stride !== 1 || inC !== out) shortcuts.set(shortcutKey(inC, out), shortcutFilter(inC, out))
    }
  return { convs, mean: tf.tensor1d(CIFAR_MEAN), std: tf.tensor1d(CIFAR_STD), shortcuts, scalars: new Map() }
}

export function disposeFolding(f: Folding): void {
  for (const c of f.convs.values()) tf.dispose([c.filter, c.shift])
  tf.dispose([f.mean, f.std, ...f.shortcuts.values(), ...f.scalars.values()])
  f.convs.clear()
  f.shortcuts.clear()
  f.scalars.clear()
}

/**
 * The mean over H and W. Its gradient spreads dy/(H·W) by a broadcast: tf.mean's own builds
 * ones(x.shape) on the host, an activation-sized upload every training step on a GPU. The same
 * values: (dy·1)/(H·W) there, dy/(H·W) here.
 */
function globalAvgPool(p: Pass, h: tf.Tensor4D): tf.Tensor2D {
  const [B, H, W, C] = h.shape
  const area = p.scalar(H * W) // made in the pass's scope; save() keeps it for the backward
  const pool = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor4D, tf.GradSaveFunc]
    save([area])
    return {
      value: tf.mean(x, [1, 2]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.broadcastTo(tf.div(tf.reshape(dy, [B, 1, 1, C]), saved[0]), [B, H, W, C]),
    }
  })
  return pool(h) as tf.Tensor2D
}

/**
 * relu(conv → BatchNorm [+ residual]): in train mode, BatchNorm and ReLU in a few fused kernels
 * where the backend has them (batchnorm-fused.ts), else op by op.
 */
function convBnRelu(p: Pass, x: tf.Tensor4D, conv: string, bn: string, stride: number, residual: tf.Tensor4D | null = null): tf.Tensor4D {
  if (p.mode === 'train' && hasFusedBatchNorm()) {
    const y = tf.conv2d(x, v(p.m, `${conv}.weight`) as tf.Tensor4D, stride, PAD)
    const count = y.shape[0] * y.shape[1] * y.shape[2]
    return fusedBatchNormRelu(y, v(p.m, `${bn}.weight`) as tf.Tensor1D, v(p.m, `${bn}.bias`) as tf.Tensor1D, residual, BN_EPS, (mean, variance) => {
      p.stats?.push({ prefix: bn, mean: tf.keep(mean), variance: tf.keep(variance), count })
    })
  }
  const o = convBn(p, x, conv, bn, stride)
  return tf.relu(residual ? tf.add(o, residual) : o) as tf.Tensor4D
}

/**
 * conv → BatchNorm. In eval mode BatchNorm is folded into the convolution (filter scaled per
 * output channel by γ/√(running_var+ε), then one shift): attacks run eval mode seven times a
 * step, and folding removes an activation-sized multiply from every layer's forward and backward.
 * `folding` holds the folded weights ready; without it they are folded here, every call.
 */
function convBn(p: Pass, x: tf.Tensor4D, conv: string, bn: string, stride: number): tf.Tensor4D {
  if (p.mode === 'train') return batchNorm(p, tf.conv2d(x, v(p.m, `${conv}.weight`) as tf.Tensor4D, stride, PAD), bn)
  const f = p.folding?.convs.get(conv) ?? foldOne(p.m, conv, bn)
  return tf.add(tf.conv2d(x, f.filter, stride, PAD), f.shift) as tf.Tensor4D
}

/**
 * Option-A shortcut: x[:, ::2, ::2, :] zero-padded by (out-in)/2 channels on each side, done as
 * one 1x1 stride-2 convolution with a constant 0/1 filter. Same values as slice + pad, but a
 * single fast kernel forwards and backwards (tfjs-wasm runs slice in JavaScript).
 */
function shortcutA(x: tf.Tensor4D, outC: number, filter?: tf.Tensor4D): tf.Tensor4D {
  return tf.conv2d(x, filter ?? shortcutFilter(x.shape[3], outC), 2, 'valid')
}

export const shortcutKey = (inC: number, outC: number) => `${inC}>${outC}`

/** The 0/1 filter [1, 1, inC, outC] that puts input channel c on output channel c + (outC − inC)/2. */
function shortcutFilter(inC: number, outC: number): tf.Tensor4D {
  const p = (outC - inC) / 2
  const place = new Float32Array(inC * outC)
  for (let c = 0; c < inC; c++) place[c * outC + c + p] = 1
  return tf.tensor4d(place, [1, 1, inC, outC])
}

/**
 * Logits [B, classes] of images [B, 32, 32, 3] with pixels in [0, 1]. The normalisation is part
 * of the model so attacks work in pixel space. In 'train' mode BatchNorm uses batch statistics
 * and, when `stats` is given, appends them (kept tensors the caller disposes). In 'eval' mode
 * `folding` (foldBatchNorm) saves re-folding BatchNorm into the filters on every call.
 */
export function forward(m: Model, x: tf.Tensor4D, mode: Mode, stats?: BatchStats[], folding?: Folding): tf.Tensor2D {
  if (folding && mode !== 'eval') throw new Error('folded BatchNorm is for eval mode only')
  return tf.tidy(() => {
    const pass: Pass = { m, mode, stats, folding, scalar: scalarCache() }
    const mean = folding?.mean ?? tf.tensor1d(CIFAR_MEAN)
    const std = folding?.std ?? tf.tensor1d(CIFAR_STD)
    let h = tf.div(tf.sub(x, mean), std) as tf.Tensor4D
    h = convBnRelu(pass, h, 'conv1', 'bn1', 1)
    for (let s = 0; s < 3; s++)
      for (let b = 0; b < m.spec.blocksPerStage; b++) {
        const { inC, out, stride } = blockShape(m.spec, s, b)
        const p = `layer${s + 1}.${b}`
        const o1 = convBnRelu(pass, h, `${p}.conv1`, `${p}.bn1`, stride)
        const short = stride !== 1 || inC !== out ? shortcutA(h, out, folding?.shortcuts.get(shortcutKey(inC, out))) : h
        h = convBnRelu(pass, o1, `${p}.conv2`, `${p}.bn2`, 1, short)
      }
    const pooled = globalAvgPool(pass, h) // [B, 64]
    return tf.add(tf.matMul(pooled, v(m, 'linear.weight') as tf.Tensor2D), v(m, 'linear.bias')) as tf.Tensor2D
  })
}

/**
 * Folds a train-mode pass's batch statistics into the running averages (PyTorch convention);
 * with `gate` (on the device), only where it is 1 (see updateRunningStatsOf).
 */
export function updateRunningStats(m: Model, stats: BatchStats[], gate?: tf.Tensor): void {
  tf.tidy(() => {
    const scalar = scalarCache()
    for (const s of stats) {
      const [rm, rv] = [v(m, `${s.prefix}.running_mean`), v(m, `${s.prefix}.running_var`)]
      updateRunningStatsOf(rm, rv, s.mean, s.variance, BN_MOMENTUM, s.count / Math.max(1, s.count - 1), scalar, gate) // unbiased
    }
  })
  m.batchesTracked++
}

export function disposeStats(stats: BatchStats[]): void {
  for (const s of stats) tf.dispose([s.mean, s.variance])
  stats.length = 0
}

/** Mean softmax cross-entropy of logits against integer labels. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, reduction: 'mean' | 'sum' = 'mean'): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(labels, logits.shape[1])
    const perImage = tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))
    return (reduction === 'mean' ? tf.mean(perImage) : tf.sum(perImage)) as tf.Scalar
  })
}

export function disposeModel(m: Model): void {
  for (const t of m.vars.values()) t.dispose()
  m.vars.clear()
  m.trainable.length = 0
}
