// The attack gradient's fused steps on WASM (src/core/model/fused-ops.ts names them; WebGPU has
// its own): a conv's bias and ReLU, and a transposed conv's residual sum and ReLU gradient, go
// into the Winograd kernels' output pass where the shape fits (winograd.ts), else into one
// threaded elementwise pass after the conv. Each step is the float32 operation of the tfjs
// kernel it replaces, in the same order, so results are bit-identical to the unfused ops
// (test/core/model/input-gradient.test.ts) while an activation is read and written once
// instead of two or three times. Without advtune's native module (or with it switched off) the
// kernels run those very tfjs kernels one after another.

import { Add, backend_util, Conv2D, Conv2DBackpropInput, Multiply, Relu, Step } from '@tensorflow/tfjs-core'
import type { FusedConv2DAttrs, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core'
import { callKernel, disposeAll, runWasm } from './ops'
import { nativeKernels, winogradFor, type Epilogue } from './winograd'

type Shape4 = [number, number, number, number]
type Inputs = Record<string, TensorInfo | undefined>

const size = (t: TensorInfo) => t.shape.reduce((a, b) => a * b, 1)

/** Whether the native pass can take it: float32 operands, res and gate of x's size, bias one per channel. */
function nativeFits(x: TensorInfo, epi: Epilogue): boolean {
  const c = x.shape[x.shape.length - 1]
  return (
    [x, epi.bias, epi.res, epi.gate].every((t) => t == null || t.dtype === 'float32') &&
    (epi.res == null || size(epi.res) === size(x)) &&
    (epi.gate == null || size(epi.gate) === size(x)) &&
    (epi.bias == null || size(epi.bias) === c)
  )
}

/** epilogue(x) as a new tensor: one native pass, or tfjs's Add, Relu, Step and Multiply kernels in turn. */
function finish(backend: unknown, x: TensorInfo, epi: Epilogue): TensorInfo {
  const native = nativeKernels()
  if (native != null && nativeFits(x, epi)) return native.finish(x, epi)
  let t = x
  const next = (u: TensorInfo) => {
    if (t !== x) disposeAll(backend, t)
    t = u
  }
  if (epi.bias) next(runWasm(Add, backend, { a: t, b: epi.bias }))
  if (epi.res) next(runWasm(Add, backend, { a: t, b: epi.res }))
  if (epi.relu) next(runWasm(Relu, backend, { x: t }))
  if (epi.gate) {
    const step = runWasm(Step, backend, { x: epi.gate }, { alpha: 0 })
    next(runWasm(Multiply, backend, { a: t, b: step }))
    disposeAll(backend, step)
  }
  if (t === x) throw new Error('an empty epilogue') // never asked for: the kernels below always add a step
  return t
}

/**
 * FusedConv2D with no activation or ReLU and a per-channel bias: conv, + bias, ReLU as the
 * separate kernels would compute them (XNNPACK's own fused kernel starts its sums from the bias,
 * which rounds differently). Everything else goes to the stock kernel.
 */
export function makeFusedConv2D(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args
    const { x, filter, bias, preluActivationWeights } = inputs as Inputs as { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo }
    const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } = attrs as unknown as FusedConv2DAttrs
    const plain = (activation === 'linear' || activation === 'relu') && preluActivationWeights == null
    if (!plain || dataFormat !== 'NHWC' || x.dtype !== 'float32' || x.shape.length !== 4) return callKernel(stock, backend, inputs, attrs)
    const info = backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, strides, dilations, pad, dimRoundingMode, false, 'channelsLast')
    if (bias != null && !(bias.shape.length === 1 && bias.shape[0] === info.outChannels)) return callKernel(stock, backend, inputs, attrs)
    const epi: Epilogue = { bias, relu: activation === 'relu' }
    const winograd = winogradFor(info, info.inChannels, info.outChannels)
    if (winograd != null) return winograd.conv(x, filter, info.outChannels, false, epi)
    const y = runWasm(Conv2D, backend, { x, filter }, { strides, pad, dataFormat, dilations, dimRoundingMode })
    if (!epi.bias && !epi.relu) return y
    const out = finish(backend, y, epi)
    disposeAll(backend, y)
    return out
  }
}

/** CONV_INPUT_GRAD_RELU_KERNEL: (conv2dTranspose(dy, filter) [+ dres]) · step(y). */
export const convInputGradRelu: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter, y, dres } = inputs as Inputs as { dy: TensorInfo; filter: TensorInfo; y: TensorInfo; dres?: TensorInfo }
  const { strides, pad } = attrs as unknown as { strides: number; pad: number | 'valid' }
  const info = backend_util.computeConv2DInfo(y.shape as Shape4, filter.shape as Shape4, strides, 1, pad, undefined, false, 'channelsLast')
  const epi: Epilogue = { res: dres, gate: y }
  const winograd = winogradFor(info, info.outChannels, info.inChannels)
  if (winograd != null) return winograd.conv(dy, filter, info.inChannels, true, epi)
  const dx = runWasm(Conv2DBackpropInput, backend, { dy, filter }, { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: y.shape })
  const out = finish(backend, dx, epi)
  disposeAll(backend, dx)
  return out
}

/** RELU_GRAD_KERNEL: dy · step(y). */
export const reluGrad: KernelFunc = ({ inputs, backend }) => {
  const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo }
  return finish(backend, dy, { gate: y })
}

/** ADD_RELU_GRAD_KERNEL: (a + b) · step(y). */
export const addReluGrad: KernelFunc = ({ inputs, backend }) => {
  const { a, b, y } = inputs as { a: TensorInfo; b: TensorInfo; y: TensorInfo }
  return finish(backend, a, { res: b, gate: y })
}

/** ADD_RELU_KERNEL: relu(a + b). */
export const addRelu: KernelFunc = ({ inputs, backend }) => {
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo }
  return finish(backend, a, { res: b, relu: true })
}
