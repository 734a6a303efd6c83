// Conv2D for the WASM backend: advtune's Winograd kernel where the shape fits (3x3, stride 1,
// "same" padding: 17 of ResNet-20's 19 convolutions), the stock XNNPACK kernel elsewhere.
import { backend_util } from '@tensorflow/tfjs-core'
import type { Conv2DAttrs, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core'
import { callKernel } from './ops'
import { winogradFor } from './winograd'

type Shape4 = [number, number, number, number]

export function makeConv2D(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args
    const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo }
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as Conv2DAttrs
    if (dataFormat === 'NHWC' && x.dtype === 'float32' && x.shape.length === 4) {
      const info = backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, strides, dilations, pad, dimRoundingMode, false, 'channelsLast')
      const engine = winogradFor(info, info.inChannels, info.outChannels)
      if (engine != null) return engine.conv(x, filter, info.outChannels, false)
    }
    return callKernel(stock, backend, inputs, attrs)
  }
}
