// The bench page's correctness check of a GPU backend (test/browser/webgpu-engine.test.ts drives
// it): ResNet-20 logits against the plain CPU backend, and two real PGD-2 training steps.

import * as tf from '@tensorflow/tfjs-core'
import type { TrainAttack } from '../core/config'
import type { CifarSet } from '../core/data/cifar'
import { disposeModel, forward } from '../core/model/resnet'
import { modelFromStateDict } from '../core/model/weights'
import { createRng } from '../core/rng'
import type { StateDict } from '../core/tensors'
import { trainStep, type Stepper } from '../core/train/finetune'
import { Sgd } from '../core/train/sgd'
import { startBackend, type BenchBackend, type StartedBackend } from './backend'
import { firstBatch } from './workloads'

export const PGD2: TrainAttack = { kind: 'pgd', eps255: 8, stepSize255: 2, steps: 2 }

export interface EngineCheck {
  started: StartedBackend
  batch: number
  logitsMaxAbsDiff: number // against the CPU backend, same weights and images
  logitsMaxAbs: number // scale of the logits, for context
  losses: number[] // the two training steps on the backend under test
  cpuLosses: number[] // the same two steps (same seeds) on the CPU backend
  weightChange: number // max |Δ| over all trainable weights after the two steps
  numTensors: number[] // after step 1 and after step 2
  backendAtEnd: string
  ms: { logits: number; steps: number }
}

/** Logits, then two PGD-2 steps, on the active backend; the model is built fresh from `dict`. */
async function logitsAndSteps(dict: StateDict, set: CifarSet, batchSize: number) {
  const model = modelFromStateDict(dict)
  const batch = firstBatch(set, batchSize)
  const t0 = performance.now()
  const logits = tf.tidy(() => forward(model, tf.tensor4d(batch.x, [batchSize, 32, 32, 3]), 'eval'))
  const values = (await logits.data()) as Float32Array
  logits.dispose()
  const t1 = performance.now()
  const before = await Promise.all(model.trainable.map(async (v) => (await v.data()) as Float32Array))
  const s: Stepper = { model, sgd: new Sgd(model.trainable, 0.9, 5e-4), rng: createRng(7) }
  const losses: number[] = []
  const numTensors: number[] = []
  for (let i = 0; i < 2; i++) {
    losses.push(await trainStep(s, batch, PGD2, 0.05))
    numTensors.push(tf.memory().numTensors)
  }
  const t2 = performance.now()
  let weightChange = 0
  for (const [k, v] of model.trainable.entries()) {
    const after = (await v.data()) as Float32Array
    for (let i = 0; i < after.length; i++) weightChange = Math.max(weightChange, Math.abs(after[i] - before[k][i]))
  }
  s.sgd.dispose()
  disposeModel(model)
  return { values, losses, numTensors, weightChange, ms: { logits: t1 - t0, steps: t2 - t1 } }
}

export async function engineCheck(name: BenchBackend, dict: StateDict, set: CifarSet, batch: number): Promise<EngineCheck> {
  await startBackend('cpu')
  const ref = await logitsAndSteps(dict, set, batch)
  const started = await startBackend(name)
  const got = await logitsAndSteps(dict, set, batch)
  let diff = 0
  let scale = 0
  for (let i = 0; i < ref.values.length; i++) {
    diff = Math.max(diff, Math.abs(got.values[i] - ref.values[i]))
    scale = Math.max(scale, Math.abs(ref.values[i]))
  }
  return {
    started,
    batch,
    logitsMaxAbsDiff: diff,
    logitsMaxAbs: scale,
    losses: got.losses,
    cpuLosses: ref.losses,
    weightChange: got.weightChange,
    numTensors: got.numTensors,
    backendAtEnd: tf.getBackend(),
    ms: got.ms,
  }
}
