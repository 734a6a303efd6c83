// The attack gradient's transposed convolution with the ReLU gradient after it in the same
// kernel: (conv2dTranspose(dy, W) [+ dres]) · [y > 0], one dispatch where the op path takes two
// (Conv2DBackpropInput, then advtune's ReluGrad or AddReluGrad). A PGD step is bound by its
// dispatches on a GPU (~60 µs of host time each, bench/RESULTS.md), and ResNet-20's input
// gradient has 18 of these pairs: 126 dispatches per PGD-7 step.
//
// The convolution is tfjs's own Conv2DDerInputProgram in its vec4 form (what tfjs runs for
// Conv2DBackpropInput on WebGPU by default, WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE): the same loops in
// the same order, so the sums are tfjs's; the epilogue is ReluGrad's and AddReluGrad's arithmetic.
// Shapes with channels that are not multiples of 4 take the op path (fused-ops.ts).

import { backend_util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core'
import type { Program, Uniform, WebGpuRunner } from './program'

export interface ConvInputGradReluAttrs {
  strides: number
  pad: number | 'valid' | 'same'
}

const WORK_PER_THREAD = 2 // output columns per thread, as tfjs's vec4 program

class ConvInputGradReluProgram implements Program {
  variableNames: string[]
  outputShape: number[]
  outputComponent = 4
  shaderKey: string
  dispatchLayout = { x: [3], y: [2], z: [0, 1] }
  dispatch: [number, number, number]
  workgroupSize: [number, number, number] = [4, 4, 4]
  uniforms = 'filterDims : vec2<i32>, pads : vec2<i32>, strides : vec2<i32>, outBackprop : vec4<i32>,'

  constructor(
    inShape: number[],
    private readonly residual: boolean,
  ) {
    this.variableNames = residual ? ['dy', 'W', 'y', 'dres'] : ['dy', 'W', 'y']
    this.outputShape = inShape
    const [b, h, w, c] = inShape
    this.dispatch = [Math.ceil(c / 4 / 4), Math.ceil(w / 4 / WORK_PER_THREAD), Math.ceil((b * h) / 4)]
    this.shaderKey = `advtuneConvInputGradRelu_${residual}`
  }

  getUserCode(): string {
    // For every filter tap, the dy position it reads (skipped where it falls between strided
    // positions or outside dy); dot products over dy's channels four at a time.
    const accumulate = (slots: string[]) => `
            for (var d2 = 0; d2 < uniforms.outBackprop[3]; d2 = d2 + 4) {
              let w0 = getW(wRPerm, wCPerm, d1, d2);
              let w1 = getW(wRPerm, wCPerm, d1 + 1, d2);
              let w2 = getW(wRPerm, wCPerm, d1 + 2, d2);
              let w3 = getW(wRPerm, wCPerm, d1 + 3, d2);
              ${slots
                .map(
                  (s) => `{
                let v = getDy(batch, idyR, ${s === '0' ? 'idyC' : 'idyC2'}, d2);
                dotProd[${s}] = dotProd[${s}] + vec4<f32>(dot(v, w0), dot(v, w1), dot(v, w2), dot(v, w3));
              }`,
                )
                .join('\n')}
            }`
    return `
      fn main() {
        let batch = i32(globalId.z) / uniforms.outShape[1];
        let r = i32(globalId.z) % uniforms.outShape[1];
        let c = i32(globalId.y) * ${WORK_PER_THREAD};
        let d1 = i32(globalId.x) * 4;
        let dyCorner = vec2<i32>(r, c) - uniforms.pads;
        var dotProd: array<vec4<f32>, ${WORK_PER_THREAD}>;
        for (var i = 0; i < ${WORK_PER_THREAD}; i++) { dotProd[i] = vec4<f32>(0.0); }
        for (var wR = 0; wR < uniforms.filterDims.x; wR = wR + 1) {
          let dyR = f32(dyCorner.x + wR) / f32(uniforms.strides.x);
          let wRPerm = uniforms.filterDims.x - 1 - wR;
          if (dyR < 0.0 || dyR >= f32(uniforms.outBackprop[1]) || fract(dyR) > 0.0) { continue; }
          let idyR = i32(dyR);
          for (var wC = 0; wC < uniforms.filterDims.y; wC = wC + 1) {
            let dyC = f32(dyCorner.y + wC) / f32(uniforms.strides.y);
            let dyC2 = f32(dyCorner.y + 1 + wC) / f32(uniforms.strides.y);
            let wCPerm = uniforms.filterDims.y - 1 - wC;
            let ok1 = !(dyC < 0.0 || dyC >= f32(uniforms.outBackprop[2]) || fract(dyC) > 0.0);
            let ok2 = !(dyC2 < 0.0 || dyC2 >= f32(uniforms.outBackprop[2]) || fract(dyC2) > 0.0);
            let idyC = i32(dyC);
            let idyC2 = i32(dyC2);
            if (ok1 && ok2) {${accumulate(['0', '1'])}
            } else if (ok1) {${accumulate(['0'])}
            } else if (ok2) {${accumulate(['1'])}
            }
          }
        }
        for (var i = 0; i < ${WORK_PER_THREAD}; i = i + 1) {
          let coords = vec4<i32>(batch, r, c + i, d1);
          if (coordsInBounds4D(coords, uniforms.outShape)) {
            let flat = getOutputIndexFromCoords(coords) / 4;
            let g = ${this.residual ? 'dotProd[i] + dres[flat]' : 'dotProd[i]'};
            setOutputAtIndex(flat, g * select(vec4<f32>(0.0), vec4<f32>(1.0), y[flat] > vec4<f32>(0.0)));
          }
        }
      }`
  }
}

/** Inputs {dy, filter, y[, dres]}: y is the ReLU output the gradient flows back into (input shape). */
export const convInputGradReluWebGpu: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter, y, dres } = inputs as Record<string, TensorInfo>
  const { strides, pad } = attrs as unknown as ConvInputGradReluAttrs
  // tfjs's vec4 program takes channels in fours; fused-ops.ts sends other shapes down the op path.
  if (filter.shape[2] % 4 !== 0 || filter.shape[3] % 4 !== 0) throw new Error(`fused conv input gradient: channels ${filter.shape.slice(2)} not multiples of 4`)
  const info = backend_util.computeConv2DInfo(y.shape as [number, number, number, number], filter.shape as [number, number, number, number], strides, 1, pad)
  const program = new ConvInputGradReluProgram(y.shape, dres != null)
  const uniforms: Uniform[] = [
    { type: 'int32', data: [info.filterHeight, info.filterWidth] },
    { type: 'int32', data: [info.filterHeight - 1 - info.padInfo.top, info.filterWidth - 1 - info.padInfo.left] },
    { type: 'int32', data: [info.strideHeight, info.strideWidth] },
    { type: 'int32', data: [info.batchSize, info.outHeight, info.outWidth, info.outChannels] },
  ]
  return (backend as unknown as WebGpuRunner).runWebGPUProgram(program, dres ? [dy, filter, y, dres] : [dy, filter, y], 'float32', uniforms)
}
