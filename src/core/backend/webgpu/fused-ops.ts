// One-dispatch WebGPU kernels for the elementwise steps of a PGD iteration (fused-ops.ts and
// linf.ts name them; input-gradient.ts and pgdFrom use them where registered). On a GPU the
// PGD step is bound by dispatches (~55 µs of host time each, bench/RESULTS.md): these replace
// 2 (add, relu), 2 (step, mul), 3 (add, step, mul) and 10 (PGD's update) tfjs kernels. The
// arithmetic and its order are those of the tfjs ops they replace.

import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core'
import { ElementwiseProgram, type WebGpuRunner } from './program'

type Inputs = Record<string, TensorInfo>

/** A kernel of one ElementwiseProgram over its inputs (all of the first one's shape). */
function elementwise(names: string[], shaderKey: string, body: string, uniforms = '', values: (attrs: Record<string, unknown>) => number[] = () => []): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const ins = names.map((n) => (inputs as Inputs)[n])
    const program = new ElementwiseProgram(names, uniforms, shaderKey, body, ins[0].shape)
    const data = values((attrs ?? {}) as Record<string, unknown>).map((v) => ({ type: 'float32' as const, data: [v] }))
    return (backend as unknown as WebGpuRunner).runWebGPUProgram(program, ins, 'float32', data)
  }
}

// relu as tfjs's WebGPU Relu: negative → 0, anything else (NaN included) passes.
export const addReluWebGpu = elementwise(
  ['a', 'b'],
  'advtuneAddRelu',
  `
  let s = a[index] + b[index];
  result[index] = select(s, 0.0, s < 0.0);`,
)

// [y > 0] is Step's 0/1, multiplied in as tfjs's Relu gradient does (dy · step(x)).
export const reluGradWebGpu = elementwise(
  ['dy', 'y'],
  'advtuneReluGrad',
  `
  result[index] = dy[index] * select(0.0, 1.0, y[index] > 0.0);`,
)

export const addReluGradWebGpu = elementwise(
  ['a', 'b', 'y'],
  'advtuneAddReluGrad',
  `
  result[index] = (a[index] + b[index]) * select(0.0, 1.0, y[index] > 0.0);`,
)

// exactSign(g)·step added, then clipped into the ball [lo, hi] and the image range [0, 1]:
// linf.ts's projectInto(xa + sign·step) op for op.
export const pgdStepWebGpu = elementwise(
  ['xa', 'g', 'lo', 'hi'],
  'advtunePgdStep',
  `
  let g0 = g[index];
  let s = select(0.0, 1.0, g0 > 0.0) - select(0.0, 1.0, g0 < 0.0);
  let v = min(max(xa[index] + s * uniforms.stepSize, lo[index]), hi[index]);
  result[index] = clamp(v, 0.0, 1.0);`,
  'stepSize : f32,',
  (attrs) => [attrs.stepSize as number],
)

// The mean over H and W taken back: dy [B, C] / (H·W) at every position of y [B, H, W, C], then
// through the ReLU. The op path's div, step and mul (input-gradient.ts) in one dispatch.
export const meanReluGradWebGpu = elementwise(
  ['y', 'dy'],
  'advtuneMeanReluGrad',
  `
  let C = uniforms.yShape[3];
  let b = index / (uniforms.yShape[1] * uniforms.yShape[2] * C);
  result[index] = dy[b * C + index % C] / uniforms.count * select(0.0, 1.0, y[index] > 0.0);`,
  'count : f32,',
  (attrs) => [attrs.count as number],
)

// softmax − onehot per row of logits [B, K]: every thread takes its row's max and Σ exp (K = 10),
// where the op path runs Softmax, OneHot and Sub.
export const softmaxXentGradWebGpu = elementwise(
  ['logits', 'labels'],
  'advtuneSoftmaxXentGrad',
  `
  let K = uniforms.logitsShape[1];
  let row = index / K;
  let base = row * K;
  var m = logits[base];
  for (var j = 1; j < K; j = j + 1) { m = max(m, logits[base + j]); }
  var s = 0.0;
  for (var j = 0; j < K; j = j + 1) { s = s + exp(logits[base + j] - m); }
  result[index] = exp(logits[index] - m) / s - select(0.0, 1.0, labels[row] == index - base);`,
)

// (x − mean)/std per channel (the last axis): the input normalisation, Sub and RealDiv in one.
export const normalizeWebGpu = elementwise(
  ['x', 'mu', 'sigma'],
  'advtuneNormalize',
  `
  let c = index % uniforms.xShape[3];
  result[index] = (x[index] - mu[c]) / sigma[c];`,
)

// 1 where both losses are finite, else 0: the gate of a step's update when its loss is read back
// only after the next step is queued (finetune.ts). f32 has no isFinite in WGSL: the exponent bits.
export const finiteGateWebGpu = elementwise(
  ['a', 'b'],
  'advtuneFiniteGate',
  `
  let finiteA = (bitcast<u32>(a[0]) & 0x7f800000u) != 0x7f800000u;
  let finiteB = (bitcast<u32>(b[0]) & 0x7f800000u) != 0x7f800000u;
  result[index] = select(0.0, 1.0, finiteA && finiteB);`,
)

/** `next` where gate[0] is 1, else `prev` (same shape): a gated update computed out of place. */
export function gateSelect(runner: WebGpuRunner, next: TensorInfo, prev: TensorInfo, gate: TensorInfo): TensorInfo {
  const program = new ElementwiseProgram(['next', 'prev', 'gate'], '', 'advtuneGateSelect', 'result[index] = select(prev[index], next[index], gate[0] == 1.0);', next.shape)
  return runner.runWebGPUProgram(program, [next, prev, gate], 'float32')
}
