// The gradient of the summed cross-entropy with respect to the input images, for the eval-mode
// network with BatchNorm folded (foldBatchNorm), written out by hand: what PGD takes 7-20 times
// per batch. Through tfjs's tape the same gradient costs ~380 kernel calls per ResNet-20 pass
// (Identity, Reshape and Cast for every add, the tape's bookkeeping, a two-kernel ReLU gradient);
// here ~160 on the op path and ~80 on WebGPU, where every call is a dispatch and the step is
// bound by them.
//
// On backends that register advtune's fused kernels the convs also take their shift and ReLU
// in-kernel and each transposed conv its ReLU gradient (fused-ops.ts); on WebGPU the
// normalisation, softmax gradient and pool gradient are one kernel each as well. On WASM the
// fused kernels do the tape's float32 operations in the tape's order, and everywhere else these
// are the very ops the tape runs: on CPU and WASM the result is bit-identical to tf.grad of
// forward(m, x, 'eval', undefined, folding) (test/core/model/input-gradient.test.ts).

import * as tf from '@tensorflow/tfjs-core'
import { blockShape } from './spec'
import { addRelu, convInputGradRelu, meanReluGrad, normalize, RELU_GRAD_KERNEL, SOFTMAX_XENT_GRAD_KERNEL, softmaxXentGrad } from './fused-ops'
import { foldingScalar, modelVar, PAD, shortcutKey, type Folding, type FoldedConv, type Model } from './resnet'

/** What the backward needs of one residual block's forward. */
interface BlockTape {
  input: tf.Tensor4D // the block's input (a ReLU output)
  o1: tf.Tensor4D // relu(conv1): the inner activation
  conv1: FoldedConv
  conv2: FoldedConv
  stride: number
  shortcut?: tf.Tensor4D // the option-A 0/1 filter, where the block changes shape
}

/** conv → shift (→ ReLU): one FusedConv2D where the backend dispatches per kernel. */
function convShift(x: tf.Tensor4D, c: FoldedConv, stride: number, relu: boolean, fuse: boolean): tf.Tensor4D {
  if (fuse) return tf.fused.conv2d({ x, filter: c.filter, strides: stride, pad: PAD, bias: c.shift, activation: relu ? 'relu' : 'linear' })
  const y = tf.add(tf.conv2d(x, c.filter, stride, PAD), c.shift) as tf.Tensor4D
  return relu ? tf.relu(y) : y
}

// The transposed convolution is the conv's input gradient: tfjs's Conv2D gradient runs the same kernel.
const convInputGrad = (dy: tf.Tensor4D, filter: tf.Tensor4D, inShape: number[], stride: number, pad: number | 'valid') =>
  tf.conv2dTranspose(dy, filter, inShape as [number, number, number, number], stride, pad)

/**
 * d(Σ cross-entropy)/dx for images x [B, 32, 32, 3] in pixel space and labels y, through the
 * eval-mode network whose folded weights `f` holds (valid while the weights don't change).
 */
export function inputGradient(m: Model, f: Folding, x: tf.Tensor4D, y: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => {
    const fuse = tf.getKernel(RELU_GRAD_KERNEL, tf.getBackend()) != null
    const conv = (name: string) => {
      const c = f.convs.get(name)
      if (!c) throw new Error(`folding has no conv ${name}`)
      return c
    }
    // Forward, keeping what the backward needs.
    const stem = conv('conv1')
    let h = convShift(normalize(x, f.mean, f.std), stem, 1, true, fuse)
    const blocks: BlockTape[] = []
    for (let s = 0; s < 3; s++)
      for (let b = 0; b < m.spec.blocksPerStage; b++) {
        const { inC, out, stride } = blockShape(m.spec, s, b)
        const p = `layer${s + 1}.${b}`
        const t: BlockTape = { input: h, o1: h, conv1: conv(`${p}.conv1`), conv2: conv(`${p}.conv2`), stride }
        if (stride !== 1 || inC !== out) t.shortcut = f.shortcuts.get(shortcutKey(inC, out))
        t.o1 = convShift(h, t.conv1, stride, true, fuse)
        const o = convShift(t.o1, t.conv2, 1, false, fuse)
        h = addRelu(o, t.shortcut ? (tf.conv2d(h, t.shortcut, 2, 'valid') as tf.Tensor4D) : h)
        blocks.push(t)
      }
    const [, H, W] = h.shape
    const weight = modelVar(m, 'linear.weight') as tf.Tensor2D
    const [pooled, bias] = [tf.mean(h, [1, 2]) as tf.Tensor2D, modelVar(m, 'linear.bias') as tf.Tensor1D]
    // The bias joins the matmul only where the loss gradient is fused too (WebGPU, bound by
    // dispatches): XNNPACK's fused matmul starts its sums from the bias, which would round the
    // logits differently from the tape's matMul + add on WASM.
    const fuseLogits = tf.getKernel(SOFTMAX_XENT_GRAD_KERNEL, tf.getBackend()) != null
    const logits = (fuseLogits ? tf.fused.matMul({ a: pooled, b: weight, bias }) : tf.add(tf.matMul(pooled, weight), bias)) as tf.Tensor2D

    // Backward. Cross-entropy summed over images: dlogits = softmax − onehot.
    const dPooled = tf.matMul(softmaxXentGrad(logits, y), weight, false, true) as tf.Tensor2D
    // The mean over H·W spreads dPooled/(H·W) over every position (H·W = 64: exact).
    let dz = meanReluGrad(dPooled, h, foldingScalar(f, H * W))
    for (let i = blocks.length - 1; i >= 0; i--) {
      const t = blocks[i]
      const dPre1 = convInputGradRelu(dz, t.conv2.filter, t.o1, 1, PAD)
      const dShort = t.shortcut ? convInputGrad(dz, t.shortcut, t.input.shape, 2, 'valid') : dz
      dz = convInputGradRelu(dPre1, t.conv1.filter, t.input, t.stride, PAD, dShort) // the block's input is the ReLU output before it
    }
    return tf.div(convInputGrad(dz, stem.filter, x.shape, 1, PAD), f.std) as tf.Tensor4D
  })
}
