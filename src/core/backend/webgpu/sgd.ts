// SGD with momentum and weight decay as one WebGPU dispatch per parameter instead of six tfjs
// ops (mul, add, mul, add, mul, sub): on a GPU a ResNet-20 step is bound by how many kernels it
// dispatches, not by their arithmetic (bench/RESULTS.md), and the update is 59 parameters × 6.
// In place where the parameter and its momentum buffer own their buffers (in-place.ts),
// else two programs with fresh outputs. The same arithmetic, in the same order, as Sgd's op-by-op
// path (src/core/train/sgd.ts):
//   buf ← buf·μ + (g + p·wd);   p ← p − buf·lr

import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core'
import { numel } from '../../tensors'
import { dispatchInPlace, ownsData } from './in-place'
import { gateSelect } from './fused-ops'
import { ElementwiseProgram, type WebGpuRunner } from './program'

export interface SgdMomentumAttrs {
  weightDecay: number
  momentum: number
  lr: number
}

/**
 * Inputs {p, g, buf} (same shape) and optionally {gate} (one element: the update happens only
 * where it is 1, see finite-gate in fused-ops.ts); outputs [] where it updated p and buf in
 * place, else [new buf, new p].
 */
export const sgdMomentumWebGpu: KernelFunc = ({ inputs, backend, attrs }) => {
  const { p, g, buf, gate } = inputs as { p: TensorInfo; g: TensorInfo; buf: TensorInfo; gate?: TensorInfo }
  const { weightDecay, momentum, lr } = attrs as unknown as SgdMomentumAttrs
  if (ownsData(backend, p) && ownsData(backend, buf)) {
    const update = `
      let b = buf[i] * u.mu + (g[i] + p[i] * u.wd);
      buf[i] = b;
      p[i] = p[i] - b * u.lr;`
    dispatchInPlace(
      backend,
      `advtuneSgdInPlace_${gate != null}`,
      { p, buf },
      gate ? { g, gate } : { g },
      { wd: weightDecay, mu: momentum, lr },
      numel(p.shape),
      gate ? `if (gate[0] == 1.0) { ${update} }` : update,
    )
    return []
  }
  const runner = backend as unknown as WebGpuRunner
  const bufProgram = new ElementwiseProgram(['p', 'g', 'buf'], 'wd : f32, mu : f32,', 'advtuneSgdBuffer', 'result[index] = buf[index] * uniforms.mu + (g[index] + p[index] * uniforms.wd);', p.shape)
  const newBuf = runner.runWebGPUProgram(bufProgram, [p, g, buf], 'float32', [
    { type: 'float32', data: [weightDecay] },
    { type: 'float32', data: [momentum] },
  ])
  const stepProgram = new ElementwiseProgram(['p', 'buf'], 'lr : f32,', 'advtuneSgdStep', 'result[index] = p[index] - buf[index] * uniforms.lr;', p.shape)
  const newP = runner.runWebGPUProgram(stepProgram, [p, newBuf], 'float32', [{ type: 'float32', data: [lr] }])
  if (!gate) return [newBuf, newP]
  const out = [gateSelect(runner, newBuf, buf, gate), gateSelect(runner, newP, p, gate)]
  runner.disposeData(newBuf.dataId)
  runner.disposeData(newP.dataId)
  return out
}
