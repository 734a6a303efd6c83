// Train-mode BatchNorm → (+ residual) → ReLU in a handful of kernels, and eval-mode BatchNorm
// folded into its conv in two, for backends that register them (WebGPU:
// src/core/backend/webgpu/batchnorm.ts). The op path of resnet.ts takes ~14
// kernels forward and ~14 backward per layer (channel sums in two stages, the normalisation op
// by op, ReLU and its two-kernel gradient); on a GPU, where a training step is bound by
// dispatches, these take 3 forward (mean, variance, normalise+ReLU) and 4 backward (ReLU mask,
// Σdy, Σdy·x̂, dx). Same formulas as resnet.ts's batchNorm:
//   x̂ = (x − μ)·rsqrt(σ² + ε);  y = relu(x̂·γ + β [+ residual])
//   dβ = Σ dy',  dγ = Σ dy'·x̂,  dx = (dy' − dβ/n − x̂·dγ/n)·(γ·rsqrt(σ² + ε)),  dy' = dy·[y > 0]

import * as tf from '@tensorflow/tfjs-core'
import { reluGrad } from './fused-ops'

/** Inputs {x [B,H,W,C]}, attrs {} → per-channel mean [C]. */
export const BN_MEAN_KERNEL = 'AdvtuneBnMean'
/** Inputs {x, mean}, attrs {} → per-channel biased variance [C] (divides by n = B·H·W). */
export const BN_VARIANCE_KERNEL = 'AdvtuneBnVariance'
/** Inputs {x, mean, variance, gamma, beta[, residual]}, attrs {eps} → relu(x̂·γ + β [+ residual]). */
export const BN_RELU_KERNEL = 'AdvtuneBnRelu'
/** Inputs {dy, x, mean, variance}, attrs {eps} → Σ dy·x̂ per channel [C]. */
export const BN_DGAMMA_KERNEL = 'AdvtuneBnDGamma'
/** Inputs {dy} → Σ dy per channel [C]. */
export const BN_DBETA_KERNEL = 'AdvtuneBnDBeta'
/** Inputs {dy, x, mean, variance, gamma, dGamma, dBeta}, attrs {eps, n} → dx (n = B·H·W). */
export const BN_DX_KERNEL = 'AdvtuneBnDx'
/** Inputs {running, batch}, attrs {momentum, scale} → running·(1 − momentum) + (batch·scale)·momentum. */
export const RUNNING_AVERAGE_KERNEL = 'AdvtuneRunningAverage'
/**
 * Inputs {runningMean, runningVar, mean, variance} and optionally {gate}, attrs {momentum, scale}:
 * RUNNING_AVERAGE's update of both running statistics (scale on the variance only) in one kernel,
 * where a gate is given only if gate[0] is 1; outputs [] where it wrote the running statistics in
 * place, else [new running mean, new running variance].
 */
export const RUNNING_STATS_KERNEL = 'AdvtuneRunningStats'

/** Inputs {weight [..., C], gamma, variance}, attrs {eps} → weight·(γ·rsqrt(σ² + ε)): a folded filter. */
export const FOLD_FILTER_KERNEL = 'AdvtuneFoldFilter'
/** Inputs {beta, mean, gamma, variance}, attrs {eps} → β − μ·(γ·rsqrt(σ² + ε)): a folded shift. */
export const FOLD_SHIFT_KERNEL = 'AdvtuneFoldShift'

const KERNELS = [BN_MEAN_KERNEL, BN_VARIANCE_KERNEL, BN_RELU_KERNEL, BN_DGAMMA_KERNEL, BN_DBETA_KERNEL, BN_DX_KERNEL]

/** Whether the active backend has every kernel of the fused train-mode BatchNorm. */
export const hasFusedBatchNorm = () => KERNELS.every((k) => tf.getKernel(k, tf.getBackend()) != null)

const run = (kernel: string, inputs: tf.NamedTensorMap, attrs: Record<string, number> = {}) => tf.engine().runKernel(kernel, inputs, attrs as never) as tf.Tensor

/**
 * relu(BatchNorm(x) [+ residual]) with batch statistics; `onStats` receives the batch mean and
 * biased variance for the running averages, inside the op's scope (tf.keep them to hold them).
 */
export function fusedBatchNormRelu(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  residual: tf.Tensor4D | null,
  eps: number,
  onStats: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void,
): tf.Tensor4D {
  const n = x.shape[0] * x.shape[1] * x.shape[2]
  const forward = (xi: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D, r: tf.Tensor4D | null, save: tf.GradSaveFunc) => {
    const mean = run(BN_MEAN_KERNEL, { x: xi }) as tf.Tensor1D
    const variance = run(BN_VARIANCE_KERNEL, { x: xi, mean }) as tf.Tensor1D
    onStats(mean, variance)
    const y = run(BN_RELU_KERNEL, r ? { x: xi, mean, variance, gamma: g, beta: b, residual: r } : { x: xi, mean, variance, gamma: g, beta: b }, { eps }) as tf.Tensor4D
    save([xi, mean, variance, g, y])
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, mu, va, ga, ys] = saved
        const dyMasked = reluGrad(dy as tf.Tensor4D, ys as tf.Tensor4D)
        const dBeta = run(BN_DBETA_KERNEL, { dy: dyMasked })
        const dGamma = run(BN_DGAMMA_KERNEL, { dy: dyMasked, x: xs, mean: mu, variance: va }, { eps })
        const dx = run(BN_DX_KERNEL, { dy: dyMasked, x: xs, mean: mu, variance: va, gamma: ga, dGamma, dBeta }, { eps, n })
        return r ? [dx, dGamma, dBeta, dyMasked] : [dx, dGamma, dBeta]
      },
    }
  }
  if (residual) {
    const op = tf.customGrad((...a: (tf.Tensor | tf.GradSaveFunc)[]) => forward(a[0] as tf.Tensor4D, a[1] as tf.Tensor1D, a[2] as tf.Tensor1D, a[3] as tf.Tensor4D, a[4] as tf.GradSaveFunc))
    return op(x, gamma, beta, residual) as tf.Tensor4D
  }
  const op = tf.customGrad((...a: (tf.Tensor | tf.GradSaveFunc)[]) => forward(a[0] as tf.Tensor4D, a[1] as tf.Tensor1D, a[2] as tf.Tensor1D, null, a[3] as tf.GradSaveFunc))
  return op(x, gamma, beta) as tf.Tensor4D
}

/**
 * running·(1 − momentum) + (batch·scale)·momentum (PyTorch's running averages; scale n/(n−1)
 * makes the variance unbiased): one kernel where the backend has it, else op by op.
 */
export function runningAverage(running: tf.Tensor1D, batch: tf.Tensor1D, momentum: number, scale: number | null, scalar: (v: number) => tf.Scalar): tf.Tensor1D {
  if (tf.getKernel(RUNNING_AVERAGE_KERNEL, tf.getBackend()) != null) return run(RUNNING_AVERAGE_KERNEL, { running, batch }, { momentum, scale: scale ?? 1 }) as tf.Tensor1D
  const b = scale == null ? batch : tf.mul(batch, scalar(scale))
  return tf.add(tf.mul(running, scalar(1 - momentum)), tf.mul(b, scalar(momentum))) as tf.Tensor1D
}

/**
 * A BatchNorm's running statistics from a batch's, in place (variables): runningAverage of each,
 * `scale` on the variance only. One kernel where the backend has RUNNING_STATS, else two. With
 * `gate` (one element on the device), only where it is 1: needs the kernel.
 */
export function updateRunningStatsOf(
  rm: tf.Variable,
  rv: tf.Variable,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  momentum: number,
  scale: number,
  scalar: (v: number) => tf.Scalar,
  gate?: tf.Tensor,
): void {
  if (tf.getKernel(RUNNING_STATS_KERNEL, tf.getBackend()) != null) {
    const inputs = { runningMean: rm, runningVar: rv, mean, variance, ...(gate ? { gate } : {}) }
    const out = run(RUNNING_STATS_KERNEL, inputs, { momentum, scale }) as unknown as tf.Tensor[]
    if (out.length) {
      // else the kernel wrote them in place
      rm.assign(out[0])
      rv.assign(out[1])
    }
    return
  }
  if (gate) throw new Error('a gated running-statistics update needs its kernel')
  rm.assign(runningAverage(rm as tf.Tensor1D, mean, momentum, null, scalar))
  rv.assign(runningAverage(rv as tf.Tensor1D, variance, momentum, scale, scalar))
}

export const hasFoldKernels = () => [FOLD_FILTER_KERNEL, FOLD_SHIFT_KERNEL].every((k) => tf.getKernel(k, tf.getBackend()) != null)

/** A conv's eval-mode BatchNorm (running statistics) as tensors. */
export interface BnParams {
  gamma: tf.Tensor1D
  beta: tf.Tensor1D
  mean: tf.Tensor1D // running
  variance: tf.Tensor1D // running
}

/**
 * BatchNorm folded into the conv before it: filter·s and shift β − μ·s with s = γ·rsqrt(σ² + ε)
 * (per output channel, the filter's last dimension). Two kernels where the backend has them,
 * else six ops in the same order.
 */
export function foldBn(weight: tf.Tensor4D, bn: BnParams, eps: tf.Scalar | number): { filter: tf.Tensor4D; shift: tf.Tensor1D } {
  const { gamma, beta, mean, variance } = bn
  if (typeof eps === 'number' && hasFoldKernels())
    return {
      filter: run(FOLD_FILTER_KERNEL, { weight, gamma, variance }, { eps }) as tf.Tensor4D,
      shift: run(FOLD_SHIFT_KERNEL, { beta, mean, gamma, variance }, { eps }) as tf.Tensor1D,
    }
  const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, eps)))
  return { filter: tf.mul(weight, scale) as tf.Tensor4D, shift: tf.sub(beta, tf.mul(mean, scale)) as tf.Tensor1D }
}
