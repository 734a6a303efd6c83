// Conv2DBackpropFilter for the WASM backend, which ships none (weight gradients throw in tfjs 4.22):
// advtune's Winograd kernel where the shape fits (winograd.ts; the stem's 3 channels padded to 4,
// channel-pad.ts); elsewhere the weight gradient, itself a convolution, is computed by XNNPACK.
import { backend_util, Conv2D, Slice, Transpose } from '@tensorflow/tfjs-core'
import type { Conv2DBackpropFilterAttrs, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core'
import { padAxis, roundUp, sliceAxis } from './channel-pad'
import { disposeAll, runWasm, view } from './ops'
import { winogradFor } from './winograd'

type Shape4 = [number, number, number, number]

/**
 * dw[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·sh+kh−top, ow·sw+kw−left, ci] · dy[n,oh,ow,co]
 *
 * Read ci as the batch, (kh,kw) as the output pixel, n as the input channel and (oh,ow) as the
 * filter tap: that is a stride-1 convolution of xT = x[ci,h,w,n] with dyT = dy[oh,ow,n,co] as
 * the filter, dilated by the forward stride, giving [ci,kh,kw,co]; one transpose makes it HWIO.
 */
export const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo }
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs
  if (dataFormat === 'NCHW') {
    throw new Error('WASM Conv2DBackpropFilter supports NHWC only (the WASM Conv2D does too)')
  }
  const info = backend_util.computeConv2DInfo(x.shape as Shape4, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast')
  const { inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info
  const { filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = info
  if (dy.shape.join() !== info.outShape.join()) {
    throw new Error(`Conv2DBackpropFilter: dy shape [${dy.shape}] != conv output [${info.outShape}]`)
  }
  const cin = roundUp(inChannels, 4) // the stem's 3 channels padded to 4 (channel-pad.ts)
  const winograd = x.dtype === 'float32' && dy.dtype === 'float32' ? winogradFor(info, cin, outChannels) : null
  if (winograd != null) {
    if (cin === inChannels) return winograd.filterGrad(x, dy)
    const xp = padAxis(backend, x, 3, cin)
    const dwp = winograd.filterGrad(xp, dy)
    const dw = sliceAxis(backend, dwp, 2, inChannels)
    disposeAll(backend, xp, dwp)
    return dw
  }

  // The padding after the input that makes the output exactly filterHeight x filterWidth. It is
  // negative when the last input rows/columns fall in no window: then pad nothing and crop.
  const bottom = filterHeight + (outHeight - 1) * strideHeight - inHeight - padInfo.top
  const right = filterWidth + (outWidth - 1) * strideWidth - inWidth - padInfo.left

  // x -> [ci,h,w,n] as two transposes: the 2-D one is fast, and the 3-D one moves whole rows of
  // n, together about twice as fast as the 4-D permutation in one go.
  const batch = x.shape[0]
  const xFlatT = runWasm(Transpose, backend, { x: view(x, [batch, inHeight * inWidth * inChannels]) }, { perm: [1, 0] })
  const xT = runWasm(Transpose, backend, { x: view(xFlatT, [inHeight * inWidth, inChannels, batch]) }, { perm: [1, 0, 2] })
  disposeAll(backend, xFlatT)
  const dyT = runWasm(Transpose, backend, { x: view(dy, [batch, outHeight * outWidth, outChannels]) }, { perm: [1, 0, 2] })
  const explicit = [
    [0, 0],
    [padInfo.top, Math.max(bottom, 0)],
    [padInfo.left, Math.max(right, 0)],
    [0, 0],
  ]
  let g = runWasm(
    Conv2D,
    backend,
    {
      x: view(xT, [inChannels, inHeight, inWidth, batch]),
      filter: view(dyT, [outHeight, outWidth, batch, outChannels]),
    },
    {
      strides: [1, 1],
      dilations: [strideHeight, strideWidth],
      pad: explicit,
      dataFormat: 'NHWC',
    },
  )
  disposeAll(backend, xT, dyT)
  if (bottom < 0 || right < 0) {
    const cropped = runWasm(
      Slice,
      backend,
      { x: g },
      {
        begin: [0, 0, 0, 0],
        size: [inChannels, filterHeight, filterWidth, outChannels],
      },
    )
    disposeAll(backend, g)
    g = cropped
  }
  const dw = runWasm(Transpose, backend, { x: g }, { perm: [1, 2, 0, 3] })
  disposeAll(backend, g)
  return dw
}
