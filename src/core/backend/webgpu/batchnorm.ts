// The fused BatchNorm kernels of src/core/model/batchnorm-fused.ts on tfjs's WebGPU backend:
// per-channel sums as one workgroup per channel (a strided loop, then a tree in workgroup
// memory: deterministic, no atomics), and the elementwise parts as one thread per element.
// The arithmetic and its order follow resnet.ts's batchNorm; only the order of the sums differs.

import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core'
import { gateSelect } from './fused-ops'
import { dispatchInPlace, ownsData } from './in-place'
import { ElementwiseProgram, type Program, type Uniform, type WebGpuRunner } from './program'

const REDUCE_WORKGROUP = 256

/**
 * out[c] = finish(Σ over positions p of term(p·C + c)) for the C channels of `variableNames[0]`
 * [B, H, W, C]: workgroup c sums channel c. `term` reads element `i` of the inputs (and per-
 * channel values at `c`); `finish` turns the sum `total` into the result (n = positions).
 */
class ChannelReduceProgram implements Program {
  outputShape: number[]
  dispatchLayout = { x: [0] }
  dispatch: [number, number, number]
  workgroupSize: [number, number, number] = [REDUCE_WORKGROUP, 1, 1]
  size = true // uniforms.size = C

  constructor(
    public variableNames: string[],
    public shaderKey: string,
    public uniforms: string,
    private prelude: string,
    private term: string,
    private finish: string,
    channels: number,
  ) {
    this.outputShape = [channels]
    this.dispatch = [channels, 1, 1]
  }

  getUserCode(): string {
    const first = this.variableNames[0]
    return `
      var<workgroup> partial : array<f32, ${REDUCE_WORKGROUP}>;
      fn main(index : i32) {
        let c = i32(workgroupId.x);
        let channels = uniforms.size;
        let s = uniforms.${first}Shape;
        let positions = s[0] * s[1] * s[2];
        let total = positions * channels;
        let n = f32(positions);
        ${this.prelude}
        var acc = 0.0;
        for (var i = c + i32(localId.x) * channels; i < total; i = i + ${REDUCE_WORKGROUP} * channels) {
          acc = acc + ${this.term};
        }
        partial[localId.x] = acc;
        workgroupBarrier();
        for (var k = ${REDUCE_WORKGROUP / 2}u; k > 0u; k = k >> 1u) {
          if (localId.x < k) { partial[localId.x] = partial[localId.x] + partial[localId.x + k]; }
          workgroupBarrier();
        }
        if (localId.x == 0u) {
          let sum = partial[0];
          result[c] = ${this.finish};
        }
      }`
  }
}

type Inputs = Record<string, TensorInfo>
const f32 = (v: number): Uniform => ({ type: 'float32', data: [v] })
const i32 = (v: number): Uniform => ({ type: 'int32', data: [v] })
const channelsOf = (x: TensorInfo) => x.shape[x.shape.length - 1]

function reduce(names: string[], key: string, prelude: string, term: string, finish: string, withEps = false): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const ins = names.map((n) => (inputs as Inputs)[n])
    const program = new ChannelReduceProgram(names, key, withEps ? 'eps : f32,' : '', prelude, term, finish, channelsOf(ins[0]))
    const uniforms = withEps ? [f32((attrs as { eps: number }).eps)] : []
    return (backend as unknown as WebGpuRunner).runWebGPUProgram(program, ins, 'float32', uniforms)
  }
}

export const bnMeanWebGpu = reduce(['x'], 'advtuneBnMean', '', 'x[i]', 'sum / n')

export const bnVarianceWebGpu = reduce(['x', 'mean'], 'advtuneBnVariance', 'let mu = mean[c];', '(x[i] - mu) * (x[i] - mu)', 'sum / n')

export const bnDBetaWebGpu = reduce(['dy'], 'advtuneBnDBeta', '', 'dy[i]', 'sum')

export const bnDGammaWebGpu = reduce(
  ['dy', 'x', 'mean', 'variance'],
  'advtuneBnDGamma',
  'let mu = mean[c]; let rstd = inverseSqrt(variance[c] + uniforms.eps);',
  'dy[i] * ((x[i] - mu) * rstd)',
  'sum',
  true,
)

/**
 * An elementwise kernel over the first input's shape with uniforms `channels` (its last
 * dimension) and eps; `body` gets the names of the inputs present (optional ones may be absent).
 */
function perElement(names: string[], key: string, body: (present: string[]) => string, extraUniforms = '', extra: (attrs: Record<string, number>) => Uniform[] = () => []): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const present = names.filter((n) => (inputs as Inputs)[n] != null)
    const ins = present.map((n) => (inputs as Inputs)[n])
    const a = attrs as unknown as Record<string, number>
    // The shader key names the inputs present: the code differs with them.
    const program = new ElementwiseProgram(present, `channels : i32, eps : f32, ${extraUniforms}`, `${key}_${present.length}`, body(present), ins[0].shape)
    return (backend as unknown as WebGpuRunner).runWebGPUProgram(program, ins, 'float32', [i32(channelsOf(ins[0])), f32(a.eps), ...extra(a)])
  }
}

export const bnReluWebGpu = perElement(
  ['x', 'mean', 'variance', 'gamma', 'beta', 'residual'],
  'advtuneBnRelu',
  (present) => `
  let c = index % uniforms.channels;
  let xhat = (x[index] - mean[c]) * inverseSqrt(variance[c] + uniforms.eps);
  let v = xhat * gamma[c] + beta[c]${present.includes('residual') ? ' + residual[index]' : ''};
  result[index] = select(v, 0.0, v < 0.0);`,
)

export const bnDxWebGpu = perElement(
  ['dy', 'x', 'mean', 'variance', 'gamma', 'dGamma', 'dBeta'],
  'advtuneBnDx',
  () => `
  let c = index % uniforms.channels;
  let rstd = inverseSqrt(variance[c] + uniforms.eps);
  let xhat = (x[index] - mean[c]) * rstd;
  let centred = (dy[index] - dBeta[c] / uniforms.n) - xhat * (dGamma[c] / uniforms.n);
  result[index] = centred * (gamma[c] * rstd);`,
  'n : f32,',
  (a) => [f32(a.n)],
)

// Folding (eval mode), per output channel c (the last dimension): s = γ·rsqrt(σ² + ε).
export const foldFilterWebGpu = perElement(
  ['weight', 'gamma', 'variance'],
  'advtuneFoldFilter',
  () => `
  let c = index % uniforms.channels;
  result[index] = weight[index] * (gamma[c] * inverseSqrt(variance[c] + uniforms.eps));`,
)

export const foldShiftWebGpu = perElement(
  ['beta', 'mean', 'gamma', 'variance'],
  'advtuneFoldShift',
  () => `
  result[index] = beta[index] - mean[index] * (gamma[index] * inverseSqrt(variance[index] + uniforms.eps));`,
)

export const runningAverageWebGpu: KernelFunc = ({ inputs, backend, attrs }) => {
  const { running, batch } = inputs as Inputs
  const { momentum, scale } = attrs as unknown as { momentum: number; scale: number }
  const program = new ElementwiseProgram(
    ['running', 'batch'],
    'keep : f32, momentum : f32, scale : f32,',
    'advtuneRunningAverage',
    'result[index] = running[index] * uniforms.keep + (batch[index] * uniforms.scale) * uniforms.momentum;',
    running.shape,
  )
  return (backend as unknown as WebGpuRunner).runWebGPUProgram(program, [running, batch], 'float32', [f32(1 - momentum), f32(momentum), f32(scale)])
}

/**
 * Both running statistics of a BatchNorm, in one in-place dispatch where they own their buffers;
 * with input {gate}, only where gate[0] is 1 (as the SGD update, sgd.ts).
 */
export const runningStatsWebGpu: KernelFunc = ({ inputs, backend, attrs }) => {
  const { runningMean, runningVar, mean, variance, gate } = inputs as Partial<Inputs> & { runningMean: TensorInfo; runningVar: TensorInfo; mean: TensorInfo; variance: TensorInfo }
  const { momentum, scale } = attrs as unknown as { momentum: number; scale: number }
  if (ownsData(backend, runningMean) && ownsData(backend, runningVar)) {
    // runningAverageWebGpu's arithmetic; the mean's scale of 1 is left out (x·1 = x exactly).
    const update = `
      runningMean[i] = runningMean[i] * u.keep + mean[i] * u.momentum;
      runningVar[i] = runningVar[i] * u.keep + (variance[i] * u.scale) * u.momentum;`
    dispatchInPlace(
      backend,
      `advtuneRunningStatsInPlace_${gate != null}`,
      { runningMean, runningVar },
      gate ? { mean, variance, gate } : { mean, variance },
      { keep: 1 - momentum, momentum, scale },
      runningMean.shape[0],
      gate ? `if (gate[0] == 1.0) { ${update} }` : update,
    )
    return []
  }
  const runner = backend as unknown as WebGpuRunner
  const average = (running: TensorInfo, batch: TensorInfo, s: number) => {
    const next = runningAverageWebGpu({ inputs: { running, batch }, backend, attrs: { momentum, scale: s } }) as TensorInfo
    if (!gate) return next
    const out = gateSelect(runner, next, running, gate)
    runner.disposeData(next.dataId)
    return out
  }
  return [average(runningMean, mean, 1), average(runningVar, variance, scale)]
}
