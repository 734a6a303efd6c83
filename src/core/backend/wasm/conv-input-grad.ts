// Fast Conv2DBackpropInput for the WASM backend: the stock kernel is a naive loop (57 % of a PGD
// step); the input gradient is a convolution too, so XNNPACK can compute it.
import { backend_util, Conv2D, Transpose } from '@tensorflow/tfjs-core'
import type { Conv2DBackpropInputAttrs, KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core'
import { callKernel, disposeAll, runWasm, view } from './ops'
import { winogradFor } from './winograd'

type Shape4 = [number, number, number, number]

/** One spatial axis of the sub-pixel plan: which filter tap feeds which output phase. */
interface AxisPlan {
  size: number // taps of the sub-pixel filter along this axis
  before: number // conv padding before dy
  after: number // conv padding after dy
  taps: { phase: number; tap: number; k: number }[] // k = index into the forward filter
}

/**
 * Along one axis, the forward conv reads x[o·s + k − pad] for output o and filter tap k, so
 * input position i = s·q + r (phase r) gets dy[q + c − j] · w[b + j·s] for every j ≥ 0 with
 * b + j·s < K, where r + pad = s·c + b. Every phase is a correlation of dy with a few taps, so
 * all phases together are one stride-1 convolution of dy producing s phases per position,
 * computed at dy's resolution: no multiplications by inserted zeros. (Stride 1 is the plain
 * "rotated filter" transposed convolution.) Null where that does not fit: the caller falls back.
 */
function planAxis(K: number, s: number, pad: number, inSize: number, outSize: number): AxisPlan | null {
  if (inSize % s !== 0) return null
  const raw: { phase: number; d: number; k: number }[] = []
  for (let r = 0; r < s; r++) {
    const c = Math.floor((r + pad) / s)
    for (let k = (r + pad) % s, j = 0; k < K; k += s, j++) raw.push({ phase: r, d: c - j, k })
  }
  if (raw.length === 0) return null
  const dMin = Math.min(...raw.map((t) => t.d))
  const dMax = Math.max(...raw.map((t) => t.d))
  const before = -dMin
  const after = inSize / s - outSize + dMax
  if (before < 0 || after < 0) return null
  return { size: dMax - dMin + 1, before, after, taps: raw.map(({ phase, d, k }) => ({ phase, tap: d - dMin, k })) }
}

/** F[th, tw, co, (rh·sw + rw)·Ci + ci] = w[kh, kw, ci, co]: the forward filter re-laid out on the host. */
function subPixelFilter(w: Float32Array, ci: number, co: number, kw: number, sh: number, sw: number, ph: AxisPlan, pw: AxisPlan): Float32Array {
  const outCh = sh * sw * ci
  const f = new Float32Array(ph.size * pw.size * co * outCh)
  for (const th of ph.taps) {
    for (const tw of pw.taps) {
      const wBase = (th.k * kw + tw.k) * ci * co
      const fBase = (th.tap * pw.size + tw.tap) * co * outCh + (th.phase * sw + tw.phase) * ci
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) f[fBase + o * outCh + i] = w[wBase + i * co + o]
      }
    }
  }
  return f
}

/**
 * The input gradient as advtune's Winograd convolution where it fits (see winograd.ts), else as
 * one XNNPACK convolution of dy with a sub-pixel filter (see planAxis),
 * then, for strides > 1, one transpose that interleaves the phases. Cases that do not fit
 * (NCHW, input size not a multiple of the stride, padding wider than the filter) go to `stock`,
 * the backend's own slow but general kernel.
 */
export function makeConv2DBackpropInput(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo }
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs
    if (dataFormat === 'NCHW' || dy.dtype !== 'float32') return callKernel(stock, backend, inputs, attrs)
    const info = backend_util.computeConv2DInfo(inputShape, filter.shape as Shape4, strides, 1, pad, dimRoundingMode, false, 'channelsLast')
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info
    const { filterHeight, filterWidth, strideHeight: sh, strideWidth: sw, padInfo } = info
    // Stride 1, 3x3, "same": the rotated filter's convolution of dy, as Winograd (dy has outChannels).
    const winograd = winogradFor(info, outChannels, inChannels)
    if (winograd != null) return winograd.conv(dy, filter, inChannels, true)
    const ph = planAxis(filterHeight, sh, padInfo.top, inHeight, outHeight)
    const pw = planAxis(filterWidth, sw, padInfo.left, inWidth, outWidth)
    if (ph == null || pw == null) return callKernel(stock, backend, inputs, attrs)

    const kb = backend as KernelBackend
    const wValues = kb.readSync(filter.dataId) as Float32Array
    const fShape = [ph.size, pw.size, outChannels, sh * sw * inChannels]
    const fValues = subPixelFilter(wValues, inChannels, outChannels, filterWidth, sh, sw, ph, pw)
    const f: TensorInfo = { dataId: kb.write(fValues, fShape, 'float32'), shape: fShape, dtype: 'float32' }
    const phases = runWasm(
      Conv2D,
      backend,
      { x: dy, filter: f },
      {
        strides: [1, 1],
        dilations: [1, 1],
        dataFormat: 'NHWC',
        pad: [
          [0, 0],
          [ph.before, ph.after],
          [pw.before, pw.after],
          [0, 0],
        ],
      },
    )
    disposeAll(backend, f)
    if (sh === 1 && sw === 1) return phases
    // [n, q, p, rh, rw, ci] -> [n, q, rh, p, rw, ci]; (n,q) and (rw,ci) stay contiguous, so 4-D.
    const qh = inHeight / sh
    const qw = inWidth / sw
    const grouped = view(phases, [batchSize * qh, qw, sh, sw * inChannels])
    const dx = runWasm(Transpose, backend, { x: grouped }, { perm: [0, 2, 1, 3] })
    disposeAll(backend, phases)
    return view(dx, [batchSize, inHeight, inWidth, inChannels])
  }
}
