// The CIFAR ResNet forward pass written with plain tfjs ops over named variables. Plain ops
// (no tf.layers, no fused convs) keep an input-only gradient, as every PGD step takes, from
// computing weight gradients too. Layout NHWC; conv filters HWIO; linear [in, out].

import * as tf from '@tensorflow/tfjs-core'
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

function v(m: Model, name: string): tf.Variable {
  const t = m.vars.get(name)
  if (!t) throw new Error(`model has no tensor ${name}`)
  return t
}

// PyTorch's 3x3 convs pad 1 on every side; 'same' would pad asymmetrically at stride 2.
const PAD = 1

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
function batchNorm(m: Model, x: tf.Tensor4D, prefix: string, stats?: BatchStats[]): tf.Tensor4D {
  const count = x.shape[0] * x.shape[1] * x.shape[2]
  const bn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, gamma, beta, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc]
    // Not tf.moments: it casts x to float32 first, an activation-sized copy on WASM.
    const mean = tf.div(channelSum(xi), count)
    const variance = tf.div(channelSum(tf.square(tf.sub(xi, mean))), count)
    if (stats) stats.push({ prefix, mean: tf.keep(mean as tf.Tensor1D), variance: tf.keep(variance as tf.Tensor1D), count })
    const rstd = tf.rsqrt(tf.add(variance, BN_EPS))
    const xhat = tf.mul(tf.sub(xi, mean), rstd)
    save([xhat, rstd, gamma])
    return {
      value: tf.add(tf.mul(xhat, gamma), beta),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, g] = saved
        const dBeta = channelSum(dy)
        const dGamma = channelSum(tf.mul(dy, xh))
        const centred = tf.sub(tf.sub(dy, tf.div(dBeta, count)), tf.mul(xh, tf.div(dGamma, count)))
        return [tf.mul(centred, tf.mul(g, rs)), dGamma, dBeta]
      },
    }
  })
  return bn(x, v(m, `${prefix}.weight`), v(m, `${prefix}.bias`)) as tf.Tensor4D
}

/**
 * conv → BatchNorm. In eval mode BatchNorm is folded into the convolution (filter scaled per
 * output channel by γ/√(running_var+ε), then one shift): attacks run eval mode seven times a
 * step, and folding removes an activation-sized multiply from every layer's forward and backward.
 */
function convBn(m: Model, x: tf.Tensor4D, conv: string, bn: string, stride: number, mode: Mode, stats?: BatchStats[]): tf.Tensor4D {
  const w = v(m, `${conv}.weight`) as tf.Tensor4D
  if (mode === 'train') return batchNorm(m, tf.conv2d(x, w, stride, PAD), bn, stats)
  const scale = tf.mul(v(m, `${bn}.weight`), tf.rsqrt(tf.add(v(m, `${bn}.running_var`), BN_EPS)))
  const shift = tf.sub(v(m, `${bn}.bias`), tf.mul(v(m, `${bn}.running_mean`), scale))
  return tf.add(tf.conv2d(x, tf.mul(w, scale) as tf.Tensor4D, stride, PAD), shift) as tf.Tensor4D
}

/**
 * Option-A shortcut: x[:, ::2, ::2, :] zero-padded by (out-in)/2 channels on each side, done as
 * one 1x1 stride-2 convolution with a constant 0/1 filter. Same values as slice + pad, but a
 * single fast kernel forwards and backwards (tfjs-wasm runs slice in JavaScript).
 */
function shortcutA(x: tf.Tensor4D, outC: number): tf.Tensor4D {
  const inC = x.shape[3]
  const p = (outC - inC) / 2
  const place = new Float32Array(inC * outC)
  for (let c = 0; c < inC; c++) place[c * outC + c + p] = 1 // input channel c → output channel c + p
  return tf.conv2d(x, tf.tensor4d(place, [1, 1, inC, outC]), 2, 'valid')
}

/**
 * Logits [B, classes] of images [B, 32, 32, 3] with pixels in [0, 1]. The normalisation is part
 * of the model so attacks work in pixel space. In 'train' mode BatchNorm uses batch statistics
 * and, when `stats` is given, appends them (kept tensors the caller disposes).
 */
export function forward(m: Model, x: tf.Tensor4D, mode: Mode, stats?: BatchStats[]): tf.Tensor2D {
  return tf.tidy(() => {
    let h = tf.div(tf.sub(x, tf.tensor1d(CIFAR_MEAN)), tf.tensor1d(CIFAR_STD)) as tf.Tensor4D
    h = tf.relu(convBn(m, h, 'conv1', 'bn1', 1, mode, stats))
    for (let s = 0; s < 3; s++)
      for (let b = 0; b < m.spec.blocksPerStage; b++) {
        const { inC, out, stride } = blockShape(m.spec, s, b)
        const p = `layer${s + 1}.${b}`
        const o1 = tf.relu(convBn(m, h, `${p}.conv1`, `${p}.bn1`, stride, mode, stats))
        const o = convBn(m, o1, `${p}.conv2`, `${p}.bn2`, 1, mode, stats)
        const short = stride !== 1 || inC !== out ? shortcutA(h, out) : h
        h = tf.relu(tf.add(o, short)) as tf.Tensor4D
      }
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D // [B, 64]
    return tf.add(tf.matMul(pooled, v(m, 'linear.weight') as tf.Tensor2D), v(m, 'linear.bias')) as tf.Tensor2D
  })
}

/** Folds a train-mode pass's batch statistics into the running averages (PyTorch convention). */
export function updateRunningStats(m: Model, stats: BatchStats[]): void {
  tf.tidy(() => {
    for (const s of stats) {
      const rm = v(m, `${s.prefix}.running_mean`)
      const rv = v(m, `${s.prefix}.running_var`)
      const unbiased = tf.mul(s.variance, s.count / Math.max(1, s.count - 1))
      rm.assign(tf.add(tf.mul(rm, 1 - BN_MOMENTUM), tf.mul(s.mean, BN_MOMENTUM)))
      rv.assign(tf.add(tf.mul(rv, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)))
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
