// Elementwise steps of the hand-written attack gradient (input-gradient.ts) that a backend may
// do in one kernel instead of two or three. On a GPU a PGD step is bound by how many kernels it
// dispatches (bench/RESULTS.md), so WebGPU registers them (src/core/backend/webgpu/fused-ops.ts);
// every other backend takes the tfjs ops below, which are exactly what tfjs's tape would run.

import * as tf from '@tensorflow/tfjs-core'

/** Inputs {a, b} of one shape → relu(a + b): a residual block's output. */
export const ADD_RELU_KERNEL = 'AdvtuneAddRelu'
/** Inputs {dy, y} of one shape, y = relu(·) → dy·[y > 0]: ReLU's backward from its output. */
export const RELU_GRAD_KERNEL = 'AdvtuneReluGrad'
/** Inputs {a, b, y} of one shape → (a + b)·[y > 0]: two gradients summed, then ReLU's backward. */
export const ADD_RELU_GRAD_KERNEL = 'AdvtuneAddReluGrad'

const has = (kernel: string) => tf.getKernel(kernel, tf.getBackend()) != null

export function addRelu(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
  if (has(ADD_RELU_KERNEL)) return tf.engine().runKernel(ADD_RELU_KERNEL, { a, b }) as tf.Tensor4D
  return tf.relu(tf.add(a, b)) as tf.Tensor4D
}

// [y > 0] as tfjs's Relu gradient takes it, step(x): relu(x) > 0 exactly where x > 0.
export function reluGrad(dy: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor4D {
  if (has(RELU_GRAD_KERNEL) && sameShape(dy, y)) return tf.engine().runKernel(RELU_GRAD_KERNEL, { dy, y }) as tf.Tensor4D
  return tf.mul(dy, tf.step(y))
}

export function addReluGrad(a: tf.Tensor4D, b: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor4D {
  if (has(ADD_RELU_GRAD_KERNEL)) return tf.engine().runKernel(ADD_RELU_GRAD_KERNEL, { a, b, y }) as tf.Tensor4D
  return tf.mul(tf.add(a, b), tf.step(y))
}

const sameShape = (a: tf.Tensor, b: tf.Tensor) => a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i])

/**
 * Inputs {dy, filter, y[, dres]}, attrs {strides, pad} → (conv2dTranspose(dy, filter) [+ dres])
 * · [y > 0]: a conv's input gradient and the ReLU gradient before it (y: that ReLU's output).
 */
export const CONV_INPUT_GRAD_RELU_KERNEL = 'AdvtuneConvInputGradRelu'

/**
 * The gradient at a ReLU's output y, flowing back through conv(y, filter, stride, pad) from its
 * output gradient dy, plus `dres` (another path's gradient at y) where given, then through the
 * ReLU: (conv2dTranspose(dy) + dres) · [y > 0].
 */
export function convInputGradRelu(dy: tf.Tensor4D, filter: tf.Tensor4D, y: tf.Tensor4D, stride: number, pad: number | 'valid', dres?: tf.Tensor4D): tf.Tensor4D {
  if (has(CONV_INPUT_GRAD_RELU_KERNEL) && filter.shape[2] % 4 === 0 && filter.shape[3] % 4 === 0)
    return tf.engine().runKernel(CONV_INPUT_GRAD_RELU_KERNEL, dres ? { dy, filter, y, dres } : { dy, filter, y }, { strides: stride, pad } as never) as tf.Tensor4D
  // The transposed convolution is the conv's input gradient: tfjs's Conv2D gradient runs the same kernel.
  const dx = tf.conv2dTranspose(dy, filter, y.shape, stride, pad)
  return dres ? addReluGrad(dx, dres, y) : reluGrad(dx, y)
}

/** Inputs {dy [B, C], y [B, H, W, C]}, attr {count: H·W} → dy/count broadcast over H, W, then · [y > 0]. */
export const MEAN_RELU_GRAD_KERNEL = 'AdvtuneMeanReluGrad'

/**
 * The gradient at y (a ReLU output [B, H, W, C]) through the mean over H and W, from the mean's
 * gradient dy [B, C]: dy/(H·W) at every position, through the ReLU. `count` holds H·W as a
 * scalar for the op path (a held one: on WebGPU every new scalar is an upload).
 */
export function meanReluGrad(dy: tf.Tensor2D, y: tf.Tensor4D, count: tf.Scalar): tf.Tensor4D {
  const [B, H, W, C] = y.shape
  if (has(MEAN_RELU_GRAD_KERNEL)) return tf.engine().runKernel(MEAN_RELU_GRAD_KERNEL, { dy, y }, { count: H * W } as never) as tf.Tensor4D
  return tf.mul(tf.div(tf.reshape(dy, [B, 1, 1, C]), count), tf.step(y))
}

/** Inputs {logits [B, K], labels int32 [B]} → softmax(logits) − onehot(labels): Σ cross-entropy's gradient. */
export const SOFTMAX_XENT_GRAD_KERNEL = 'AdvtuneSoftmaxXentGrad'

/** d(Σ cross-entropy)/d logits: on the op path the tape's logSoftmax gradient, exp(logSoftmax) − onehot, exactly. */
export function softmaxXentGrad(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor2D {
  if (has(SOFTMAX_XENT_GRAD_KERNEL)) return tf.engine().runKernel(SOFTMAX_XENT_GRAD_KERNEL, { logits, labels }) as tf.Tensor2D
  return tf.sub(tf.exp(tf.logSoftmax(logits)), tf.oneHot(labels, logits.shape[1]))
}

/** Inputs {x [B, H, W, C], mu [C], sigma [C]} → (x − mu)/sigma (not 'std': a reserved word in WGSL). */
export const NORMALIZE_KERNEL = 'AdvtuneNormalize'

export function normalize(x: tf.Tensor4D, mean: tf.Tensor1D, std: tf.Tensor1D): tf.Tensor4D {
  if (has(NORMALIZE_KERNEL)) return tf.engine().runKernel(NORMALIZE_KERNEL, { x, mu: mean, sigma: std }) as tf.Tensor4D
  return tf.div(tf.sub(x, mean), std)
}
