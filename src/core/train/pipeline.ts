// Training steps back to back on a GPU. A step's loss decides whether its update may happen (a
// non-finite loss leaves the model untouched), and reading it waits for the GPU: done at every
// step, the GPU idles while the host prepares the next one, and the host while the GPU finishes.
// Where the backend can gate an update on the device (WebGPU: the fused SGD and running-statistics
// kernels take a 0/1 gate), each step is queued with its update gated on its own loss and the
// previous step's, and its loss is read only after the next step is queued. A non-finite loss
// thus stops its own update and the one queued after it: the weights are those before that step,
// as when every loss is read before its update, and the caller stops there (fineTune does).
// Elsewhere (CPU, WASM: the reads cost nothing) steps run one by one through trainStep.

import * as tf from '@tensorflow/tfjs-core'
import type { TrainAttack } from '../config'
import type { HostBatch } from '../data/batches'
import { RUNNING_STATS_KERNEL } from '../model/batchnorm-fused'
import { finishPass, trainingInput, trainPass, trainStep, type Stepper } from './step'

/** Inputs {a, b} (one element each) → [1] f32: 1 where both are finite, else 0. */
export const FINITE_GATE_KERNEL = 'AdvtuneFiniteGate'

/** A finished step: its loss, whether its update was applied, and when it was queued. */
export interface StepOutcome {
  step: number
  lr: number
  size: number // images in its batch
  loss: number
  applied: boolean // false: a non-finite loss here or in the step before it stopped the update
  startedAt: number // performance.now() when it was queued
}

interface Queued {
  step: number
  lr: number
  size: number
  loss: tf.Scalar
  read: Promise<tf.TypedArray>
  startedAt: number
  afterNonFinite: boolean // the step before it had a non-finite loss: the gate stopped this update
}

const hasKernel = (name: string) => tf.getKernel(name, tf.getBackend()) != null

export class StepPipeline {
  private queued: Queued | null = null

  constructor(private readonly s: Stepper) {}

  /** Whether the next step overlaps: the backend gates updates and the momentum buffers exist. */
  overlaps(): boolean {
    return this.s.sgd.canGate() && hasKernel(FINITE_GATE_KERNEL) && hasKernel(RUNNING_STATS_KERNEL)
  }

  /** Queues step `step` (numbered by the caller); returns the steps that finished meanwhile, in order. */
  async push(step: number, batch: HostBatch, attack: TrainAttack, lr: number): Promise<StepOutcome[]> {
    const startedAt = performance.now()
    if (!this.overlaps()) {
      const done = await this.drain()
      const loss = await trainStep(this.s, batch, attack, lr) // updates only where the loss is finite
      return [...done, { step, lr, size: batch.size, loss, applied: Number.isFinite(loss), startedAt }]
    }
    const x = tf.tensor4d(batch.x, [batch.size, 32, 32, 3])
    const y = tf.tensor1d(batch.y, 'int32')
    const xAdv = await trainingInput(this.s, x, y, attack)
    const pass = trainPass(this.s, xAdv, y)
    const gate = finiteGate(pass.value, this.queued?.loss ?? pass.value)
    finishPass(this.s, pass, lr, true, gate)
    tf.dispose([x, y, xAdv, gate])
    const read = pass.value.data() // queued behind this step: resolves when the GPU is through it
    const done = await this.drain() // the previous step's loss, read while this step runs
    const afterNonFinite = done.some((o) => !Number.isFinite(o.loss))
    this.queued = { step, lr, size: batch.size, loss: pass.value, read, startedAt, afterNonFinite }
    return done
  }

  /** Waits for the queued step, if any. */
  async drain(): Promise<StepOutcome[]> {
    const q = this.queued
    if (!q) return []
    this.queued = null
    const loss = (await q.read)[0]
    q.loss.dispose()
    const applied = Number.isFinite(loss) && !q.afterNonFinite
    if (!applied) this.s.model.batchesTracked-- // updateRunningStats counted it; the gate kept the statistics
    return [{ step: q.step, lr: q.lr, size: q.size, loss, applied, startedAt: q.startedAt }]
  }
}

/** 1 (on the device) where both one-element tensors are finite, else 0. */
export function finiteGate(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (hasKernel(FINITE_GATE_KERNEL)) return tf.engine().runKernel(FINITE_GATE_KERNEL, { a, b }) as tf.Tensor
  return tf.tidy(() => tf.cast(tf.logicalAnd(tf.isFinite(a), tf.isFinite(b)), 'float32').reshape([1]))
}
