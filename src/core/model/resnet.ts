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
const conv = (x: tf.Tensor4D, w: tf.Tensor4D, stride: number) => tf.conv2d(x, w, stride, 1)

function batchNorm(m: Model, x: tf.Tensor4D, prefix: string, mode: Mode, stats?: BatchStats[]): tf.Tensor4D {
  const gamma = v(m, `${prefix}.weight`)
  const beta = v(m, `${prefix}.bias`)
  if (mode === 'eval') {
    // y = x·scale + shift with scale = γ/√(running_var+ε): two cheap broadcasts per layer.
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(v(m, `${prefix}.running_var`), BN_EPS)))
    const shift = tf.sub(beta, tf.mul(v(m, `${prefix}.running_mean`), scale))
    return tf.add(tf.mul(x, scale), shift) as tf.Tensor4D
  }
  const { mean, variance } = tf.moments(x, [0, 1, 2])
  if (stats) stats.push({ prefix, mean: tf.keep(mean as tf.Tensor1D), variance: tf.keep(variance as tf.Tensor1D), count: x.shape[0] * x.shape[1] * x.shape[2] })
  const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, BN_EPS)))
  return tf.add(tf.mul(xhat, gamma), beta) as tf.Tensor4D
}

/** Option-A shortcut: x[:, ::2, ::2, :] zero-padded by (out-in)/2 channels on each side. */
function shortcutA(x: tf.Tensor4D, outC: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape
  // Even rows/cols via reshape + slice (tfjs has no StridedSlice gradient).
  const rows = tf.reshape(x, [b * (h / 2), 2, w / 2, 2 * c])
  const sub = tf.reshape(tf.slice(rows, [0, 0, 0, 0], [b * (h / 2), 1, w / 2, c]), [b, h / 2, w / 2, c])
  const p = (outC - c) / 2
  return tf.pad(sub, [
    [0, 0],
    [0, 0],
    [0, 0],
    [p, p],
  ]) as tf.Tensor4D
}

/**
 * Logits [B, classes] of images [B, 32, 32, 3] with pixels in [0, 1]. The normalisation is part
 * of the model so attacks work in pixel space. In 'train' mode BatchNorm uses batch statistics
 * and, when `stats` is given, appends them (kept tensors the caller disposes).
 */
export function forward(m: Model, x: tf.Tensor4D, mode: Mode, stats?: BatchStats[]): tf.Tensor2D {
  return tf.tidy(() => {
    let h = tf.div(tf.sub(x, tf.tensor1d(CIFAR_MEAN)), tf.tensor1d(CIFAR_STD)) as tf.Tensor4D
    h = tf.relu(batchNorm(m, conv(h, v(m, 'conv1.weight') as tf.Tensor4D, 1), 'bn1', mode, stats))
    for (let s = 0; s < 3; s++)
      for (let b = 0; b < m.spec.blocksPerStage; b++) {
        const { inC, out, stride } = blockShape(m.spec, s, b)
        const p = `layer${s + 1}.${b}`
        let o = tf.relu(batchNorm(m, conv(h, v(m, `${p}.conv1.weight`) as tf.Tensor4D, stride), `${p}.bn1`, mode, stats))
        o = batchNorm(m, conv(o, v(m, `${p}.conv2.weight`) as tf.Tensor4D, 1), `${p}.bn2`, mode, stats)
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
