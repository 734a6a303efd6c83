// Fast Sum and Mean over leading axes for the WASM backend. Batch-norm statistics and the
// gradients of every per-channel broadcast reduce NHWC over [0,1,2]; the stock kernels first
// transpose the whole tensor so the reduced axes come last (~15x slower than the reduction).
import { BatchMatMul, Fill, util } from '@tensorflow/tfjs-core'
import type { KernelFunc, MeanAttrs, SumAttrs, TensorInfo } from '@tensorflow/tfjs-core'
import { callKernel, disposeAll, runWasm, view } from './wasm-ops'

/**
 * Reducing the leading axes of x, seen as a [R, C] matrix, is the product [1, R] x [R, C] with a
 * row of ones (of 1/R for a mean): one XNNPACK matrix product, no transpose. Other reductions
 * (trailing or scattered axes, non-float32, empty tensors) go to `stock`.
 */
export function makeLeadingReduce(stock: KernelFunc, mean: boolean): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args
    const x = inputs.x as TensorInfo
    const { axis, keepDims } = attrs as unknown as SumAttrs | MeanAttrs
    const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b)
    const leading = axes.length > 0 && axes.every((a, i) => a === i)
    const r = util.sizeFromShape(x.shape.slice(0, axes.length))
    if (!leading || x.dtype !== 'float32' || r === 0 || axes.length === x.shape.length && r === 1) {
      return callKernel(stock, backend, inputs, attrs)
    }
    const kept = x.shape.slice(axes.length)
    const c = util.sizeFromShape(kept)
    const row = runWasm(Fill, backend, {}, { shape: [1, 1, r], value: mean ? 1 / r : 1, dtype: 'float32' })
    const out = runWasm(BatchMatMul, backend, { a: row, b: view(x, [1, r, c]) }, { transposeA: false, transposeB: false })
    disposeAll(backend, row)
    return view(out, keepDims ? [...axes.map(() => 1), ...kept] : kept)
  }
}
