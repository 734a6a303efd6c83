// Elementwise steps of the hand-written attack gradient (input-gradient.ts) that a backend may
// do in one kernel instead of two or three. On a GPU a PGD step is bound by how many kernels it
// dispatches (bench/RESULTS.md), so WebGPU registers them (src/core/backend/webgpu-fused-ops.ts);
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
