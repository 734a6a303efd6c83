// Conv2DBackpropFilter for tfjs's WebGPU backend. The stock kernel (tfjs-backend-webgpu 4.22,
// Conv2DDerFilterProgram) gives each filter weight one GPU thread that loops over the whole batch
// and image: 2,304 threads × 131,072 products for ResNet-20's first stage at batch 128, which
// leaves a big GPU nearly idle (a clean training step took ~700 ms on an H200; bench/RESULTS.md).
// Here the sum over (image, y, x) is split into chunks: pass 1 gives every (chunk, 4 output
// channels of one filter tap) a thread, pass 2 adds the chunks up in a fixed order, so the result
// is deterministic (no float atomics) and the GPU gets ~10^5 threads for every layer's shape.

import { backend_util } from '@tensorflow/tfjs-core'
import type { Conv2DBackpropFilterAttrs, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core'
import type { Program, WebGpuRunner } from './program'

const WORKGROUP = 64
// Enough threads to fill a large GPU; SwiftShader and small GPUs just take more waves.
const TARGET_THREADS = 1 << 17
const MIN_CHUNK = 32 // positions per thread, so that a thread's work outweighs its start-up

/** How the positions (image, y, x) are cut: `chunks` pieces of `chunk` positions (the last shorter). */
export function chunking(positions: number, groups: number): { chunks: number; chunk: number } {
  const want = Math.max(1, Math.min(Math.ceil(TARGET_THREADS / groups), Math.ceil(positions / MIN_CHUNK)))
  const chunk = Math.ceil(positions / want)
  return { chunks: Math.ceil(positions / chunk), chunk }
}

/** Pass 1: partial[s][tap][ci][co..co+3] = Σ over chunk s of x(patch) · dy. */
class PartialProgram implements Program {
  variableNames = ['x', 'dy']
  variableComponents = [1, 4] // x read as scalars, dy as vec4 over 4 output channels
  outputComponent = 4
  outputShape: number[]
  shaderKey = 'advtuneConvFilterGradPartial'
  dispatchLayout = { x: [0, 1] }
  dispatch: [number, number, number]
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1]
  uniforms = 'pads : vec2<i32>, strides : vec2<i32>, kw : i32, threads : i32, groups : i32, chunk : i32, positions : i32,'

  constructor(chunks: number, filterSize: number) {
    this.outputShape = [chunks, filterSize]
    this.dispatch = [Math.ceil((chunks * filterSize) / 4 / WORKGROUP), 1, 1]
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index >= uniforms.threads) { return; }
        let inH = uniforms.xShape[1];
        let inW = uniforms.xShape[2];
        let cin = uniforms.xShape[3];
        let outH = uniforms.dyShape[1];
        let outW = uniforms.dyShape[2];
        let cout4 = uniforms.dyShape[3] / 4;
        let s = index / uniforms.groups;
        let g = index - s * uniforms.groups;
        let co4 = g % cout4;
        let t = g / cout4; // (kh * KW + kw) * Cin + ci
        let ci = t % cin;
        let tap = t / cin;
        let kw = tap % uniforms.kw;
        let kh = tap / uniforms.kw;
        let p0 = s * uniforms.chunk;
        let p1 = min(p0 + uniforms.chunk, uniforms.positions);
        let hw = outH * outW;
        var b = p0 / hw;
        var yo = (p0 - b * hw) / outW;
        var xo = p0 - b * hw - yo * outW;
        var acc = vec4<f32>(0.0);
        for (var p = p0; p < p1; p = p + 1) {
          let xr = yo * uniforms.strides[0] - uniforms.pads[0] + kh;
          let xc = xo * uniforms.strides[1] - uniforms.pads[1] + kw;
          if (xr >= 0 && xr < inH && xc >= 0 && xc < inW) {
            acc = acc + x[((b * inH + xr) * inW + xc) * cin + ci] * dy[p * cout4 + co4];
          }
          xo = xo + 1;
          if (xo == outW) {
            xo = 0;
            yo = yo + 1;
            if (yo == outH) { yo = 0; b = b + 1; }
          }
        }
        result[index] = acc;
      }`
  }
}

/** Pass 2: dW[f..f+3] = Σ_s partial[s][f..f+3], s in order. */
class SumChunksProgram implements Program {
  variableNames = ['partial']
  variableComponents = [4]
  outputComponent = 4
  outputShape: number[]
  shaderKey = 'advtuneConvFilterGradSum'
  dispatchLayout: { x: number[] }
  dispatch: [number, number, number]
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1]
  uniforms = 'groups : i32, chunks : i32,'

  constructor(filterShape: number[]) {
    this.outputShape = filterShape
    this.dispatchLayout = { x: filterShape.map((_, i) => i) }
    const size = filterShape.reduce((a, b) => a * b, 1)
    this.dispatch = [Math.ceil(size / 4 / WORKGROUP), 1, 1]
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index >= uniforms.groups) { return; }
        var acc = vec4<f32>(0.0);
        for (var s = 0; s < uniforms.chunks; s = s + 1) {
          acc = acc + partial[s * uniforms.groups + index];
        }
        result[index] = acc;
      }`
  }
}

/** Whether the chunked kernel takes this convolution; the stock kernel takes the rest. */
export function chunkedKernelFits(info: backend_util.Conv2DInfo): boolean {
  return info.dataFormat === 'channelsLast' && info.dilationHeight === 1 && info.dilationWidth === 1 && info.outChannels % 4 === 0 && info.batchSize * info.outHeight * info.outWidth > 0
}

/** How many calls each path took since the page started: the kernel check and the bench read it. */
export const filterGradCalls = { chunked: 0, stock: 0 }

/**
 * The kernel function: the chunked programs where they fit (NHWC, no dilation, output channels a
 * multiple of 4: every convolution of the CIFAR ResNets), else `stock`.
 */
export function makeConv2DBackpropFilter(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo }
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as unknown as Conv2DBackpropFilterAttrs
    const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, backend_util.convertConv2DDataFormat(dataFormat))
    if (!chunkedKernelFits(info)) {
      filterGradCalls.stock++
      return stock(args)
    }
    filterGradCalls.chunked++
    const backend = args.backend as unknown as WebGpuRunner
    const filterSize = filterShape.reduce((a, b) => a * b, 1)
    const groups = filterSize / 4
    const positions = info.batchSize * info.outHeight * info.outWidth
    const { chunks, chunk } = chunking(positions, groups)
    const partial = backend.runWebGPUProgram(new PartialProgram(chunks, filterSize), [x, dy], 'float32', [
      { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
      { type: 'int32', data: [info.strideHeight, info.strideWidth] },
      { type: 'int32', data: [info.filterWidth] },
      { type: 'int32', data: [chunks * groups] },
      { type: 'int32', data: [groups] },
      { type: 'int32', data: [chunk] },
      { type: 'int32', data: [positions] },
    ])
    const out = backend.runWebGPUProgram(new SumChunksProgram(filterShape), [partial], 'float32', [
      { type: 'int32', data: [groups] },
      { type: 'int32', data: [chunks] },
    ])
    backend.disposeData(partial.dataId)
    return out
  }
}
