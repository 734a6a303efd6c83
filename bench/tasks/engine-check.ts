// The bench page's correctness check of a GPU backend (test/browser/webgpu-engine.test.ts drives
// it): ResNet-20 logits and the attack's input gradient against the plain CPU backend, two real
// PGD-2 training steps, and two clean training steps. The clean steps compare the training arithmetic alone: a PGD step also
// follows gradient signs, and an element near zero may flip between two float implementations
// (tfjs's CPU and WASM backends differ so at batch 16), which moves the adversarial batch.

import * as tf from '@tensorflow/tfjs-core'
import type { TrainAttack } from '../../src/core/config'
import type { HostBatch } from '../../src/core/data/batches'
import type { CifarSet } from '../../src/core/data/cifar'
import { disposeModel, forward, type Model } from '../../src/core/model/resnet'
import { modelFromStateDict } from '../../src/core/model/weights'
import { createRng } from '../../src/core/rng'
import type { StateDict } from '../../src/core/tensors'
import { inPlaceCalls } from '../../src/core/backend/webgpu/in-place'
import { frozenForward } from '../../src/core/train/evaluate'
import { StepPipeline } from '../../src/core/train/pipeline'
import { trainStep, type Stepper } from '../../src/core/train/step'
import { Sgd } from '../../src/core/train/sgd'
import { startBackend, type BenchBackend, type StartedBackend } from './backend'
import { maxAbs, maxAbsDiff } from './compare'
import { CLEAN, firstBatch } from './workloads'

export const PGD2: TrainAttack = { kind: 'pgd', eps255: 8, stepSize255: 2, steps: 2 }

export interface EngineCheck {
  started: StartedBackend
  batch: number
  logitsMaxAbsDiff: number // against the CPU backend, same weights and images
  logitsMaxAbs: number // scale of the logits, for context
  inputGradMaxAbsDiff: number // frozenForward's hand-written input gradient against the CPU backend's
  inputGradMaxAbs: number // its scale
  inputGradKernels: number // kernel calls it took on the backend under test (fused where registered)
  losses: number[] // the two PGD-2 training steps on the backend under test
  cpuLosses: number[] // the same two steps (same seeds) on the CPU backend
  cleanLosses: number[] // three clean training steps from the pretrained weights, backend under test
  cpuCleanLosses: number[] // the same on the CPU backend
  cleanStepKernels: string[] // the second clean step's kernel calls by name, backend under test
  cleanStepInPlace: number // of its dispatches, those that updated tensors in place (SGD, running statistics)
  cpuCleanStepKernels: number // how many the CPU backend (op paths) took for it
  pipeline: PipelineCheck // the app's loop on the backend under test
  weightChange: number // max |Δ| over all trainable weights after the two steps
  numTensors: number[] // after step 1 and after step 2
  backendAtEnd: string
  ms: { logits: number; steps: number }
}

/** The app's training loop (StepPipeline) on the backend under test: clean steps, then a NaN batch. */
export interface PipelineCheck {
  losses: number[] // its first three steps: cleanLosses' steps, pipelined where the backend overlaps them
  overlapped: number // of its five steps, those queued before the one before them had finished
  divergedAt: number | null // the step whose non-finite loss stopped the run (the NaN batch: 3)
  weightsMaxAbsDiff: number // every variable after the run against three steps one by one (trainStep)
  batchesTracked: [number, number] // the run's and the one-by-one model's
}

/**
 * Five clean steps through StepPipeline, the fourth on a batch with a NaN pixel (a non-finite
 * loss), as the app's loop takes them: the loop stops there, and the weights and BatchNorm
 * statistics must be those of three steps taken one by one, though the fifth step was queued too.
 */
async function pipelineCheck(dict: StateDict, batch: HostBatch): Promise<PipelineCheck> {
  const run = freshRun(dict)
  const nan = { ...batch, x: Float32Array.from(batch.x, (v, i) => (i === 0 ? NaN : v)) }
  const pipeline = new StepPipeline(run.s)
  const losses: number[] = []
  let overlapped = 0
  let divergedAt: number | null = null
  for (let step = 0; step < 5 && divergedAt == null; step++) {
    if (pipeline.overlaps()) overlapped++
    for (const o of await pipeline.push(step, step === 3 ? nan : batch, CLEAN, 0.05)) {
      if (!o.applied) divergedAt ??= o.step
      else losses.push(o.loss)
    }
  }
  for (const o of await pipeline.drain()) if (!o.applied) divergedAt ??= o.step
  const oneByOne = freshRun(dict)
  for (let k = 0; k < 3; k++) await trainStep(oneByOne.s, batch, CLEAN, 0.05)
  const values = async (m: Model) => Promise.all([...m.vars.values()].map(async (v) => (await v.data()) as Float32Array))
  const [a, b] = [await values(run.model), await values(oneByOne.model)]
  const result: PipelineCheck = {
    losses,
    overlapped,
    divergedAt,
    weightsMaxAbsDiff: Math.max(...a.map((v, k) => maxAbsDiff(v, b[k]))),
    batchesTracked: [run.model.batchesTracked, oneByOne.model.batchesTracked],
  }
  run.dispose()
  oneByOne.dispose()
  return result
}

/** A fresh model from `dict`, its optimiser (momentum 0.9, weight decay 5e-4) and attack seed 7: every check's steps start so. */
function freshRun(dict: StateDict) {
  const model = modelFromStateDict(dict)
  const s: Stepper = { model, sgd: new Sgd(model.trainable, 0.9, 5e-4), rng: createRng(7) }
  const dispose = () => {
    s.sgd.dispose()
    disposeModel(model)
  }
  return { model, s, dispose }
}

/** Logits, then two PGD-2 steps, on the active backend; the model is built fresh from `dict`. */
async function logitsAndSteps(dict: StateDict, set: CifarSet, batchSize: number) {
  const run = freshRun(dict)
  const { model, s } = run
  const batch = firstBatch(set, batchSize)
  const t0 = performance.now()
  const logits = tf.tidy(() => forward(model, tf.tensor4d(batch.x, [batchSize, 32, 32, 3]), 'eval'))
  const values = (await logits.data()) as Float32Array
  logits.dispose()
  const t1 = performance.now()
  const grad = await inputGrad(model, batch)
  const before = await Promise.all(model.trainable.map(async (v) => (await v.data()) as Float32Array))
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
  run.dispose()
  const clean = await cleanSteps(dict, batch)
  return { values, grad, losses, cleanLosses: clean.losses, cleanStepKernels: clean.kernels, cleanStepInPlace: clean.inPlace, numTensors, weightChange, ms: { logits: t1 - t0, steps: t2 - t1 } }
}

/** The attack's input gradient (frozenForward's, written by hand) on the batch, and its kernel count. */
async function inputGrad(model: Model, batch: HostBatch): Promise<{ values: Float32Array; kernels: number }> {
  const frozen = frozenForward(model)
  const [x, y] = [tf.tensor4d(batch.x, [batch.size, 32, 32, 3]), tf.tensor1d(batch.y, 'int32')]
  const kernels = (await tf.profile(() => tf.dispose(frozen.fwd.inputGrad!(x, y)))).kernels.length
  const g = frozen.fwd.inputGrad!(x, y)
  const values = (await g.data()) as Float32Array
  tf.dispose([g, x, y])
  frozen.dispose()
  return { values, kernels }
}

/**
 * Three clean training steps (no attack) on a fresh copy of the model: their losses, the second's
 * kernels and how many of its dispatches updated in place. The third's loss is of the weights
 * that the second's (fused, in-place where WebGPU) update made.
 */
async function cleanSteps(dict: StateDict, batch: HostBatch): Promise<{ losses: number[]; kernels: string[]; inPlace: number }> {
  const run = freshRun(dict)
  const s = run.s
  const losses = [await trainStep(s, batch, CLEAN, 0.05)]
  // The second step: the first made SGD's momentum buffers, which the fused update needs.
  const before = inPlaceCalls.count
  const info = await tf.profile(async () => void losses.push(await trainStep(s, batch, CLEAN, 0.05)))
  const inPlace = inPlaceCalls.count - before
  losses.push(await trainStep(s, batch, CLEAN, 0.05))
  run.dispose()
  return { losses, kernels: info.kernels.map((k) => k.name), inPlace }
}

export async function engineCheck(name: BenchBackend, dict: StateDict, set: CifarSet, batch: number): Promise<EngineCheck> {
  await startBackend('cpu')
  const ref = await logitsAndSteps(dict, set, batch)
  const started = await startBackend(name)
  const got = await logitsAndSteps(dict, set, batch)
  const pipeline = await pipelineCheck(dict, firstBatch(set, batch))
  return {
    started,
    batch,
    logitsMaxAbsDiff: maxAbsDiff(got.values, ref.values),
    logitsMaxAbs: maxAbs(ref.values),
    inputGradMaxAbsDiff: maxAbsDiff(got.grad.values, ref.grad.values),
    inputGradMaxAbs: maxAbs(ref.grad.values),
    inputGradKernels: got.grad.kernels,
    losses: got.losses,
    cpuLosses: ref.losses,
    cleanLosses: got.cleanLosses,
    cpuCleanLosses: ref.cleanLosses,
    cleanStepKernels: got.cleanStepKernels,
    cleanStepInPlace: got.cleanStepInPlace,
    cpuCleanStepKernels: ref.cleanStepKernels.length,
    pipeline,
    weightChange: got.weightChange,
    numTensors: got.numTensors,
    backendAtEnd: tf.getBackend(),
    ms: got.ms,
  }
}
