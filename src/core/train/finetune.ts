// The adversarial fine-tuning loop: for every step, attack the batch (model in eval mode), then
// take one SGD step on the adversarial batch (BatchNorm in train mode) at lr = peak × schedule(t)
// (step.ts). Reads like a script from top to bottom; the GPU is read once per step (the loss),
// one step late where the backend lets steps overlap (pipeline.ts).

import type * as tf from '@tensorflow/tfjs-core'
import { configProblems, stepsPerEpoch, totalSteps, type RunConfig, type TrainAttack } from '../config'
import { gatherBatch } from '../data/batches'
import { head, type CifarSet } from '../data/cifar'
import type { Model } from '../model/resnet'
import { createRng, deriveSeed, permutation, rngFromState } from '../rng'
import { epsAt, lrAt, scheduleProblems, type ControlPoint } from '../schedule'
import type { AttackHelper } from './attackShards'
import { evalAttackOptions, evaluate, type EvalResult } from './evaluate'
import { StepPipeline, type StepOutcome } from './pipeline'
import { Sgd } from './sgd'
import { modelWeights, restoreWeights, snapshotProblem, SNAPSHOT_VERSION, type TrainSnapshot } from './snapshot'
import type { Stepper } from './step'
import type { AdvExample, EvalPoint, RunEndStatus, StepInfo } from './types'

export interface FineTuneHooks {
  onStep?(info: StepInfo): void
  onEval?(point: EvalPoint): void
  onExamples?(step: number, examples: AdvExample[]): void
  /** Checked once per step; true ends the run as 'stopped'. */
  shouldStop?(): boolean
  /** Awaited once per step; resolves when the run may go on (pause support). */
  gate?(): Promise<void>
  /** Whether the run is paused now: the loop finishes its queued step before it waits on gate. */
  paused?(): boolean
  /**
   * A resumable snapshot (snapshot.ts), awaited before the run goes on. Taken where no step is in
   * flight: at a pause, after each evaluation (the loop has waited for the GPU there anyway) and
   * once `snapshotIntervalMs` has passed since the last one (default 30 s: at most that much
   * training is lost, for one wait on the GPU per interval; a ResNet-20 snapshot is ~2 MB).
   */
  onSnapshot?(s: TrainSnapshot): Promise<void> | void
}

export interface FineTuneResult {
  status: RunEndStatus
  reason: string | null
  history: EvalPoint[]
  steps: number
  wallMs: number // training time, evaluations excluded
}

export interface FineTuneData {
  train: CifarSet // at least config.trainSize images
  test: CifarSet // at least config.evalSize images
}

export const EXAMPLE_COUNT = 8
export const EVAL_BATCH = 100

/** How a run may use the host beyond the model: threads that take shares of its attacks. */
export interface FineTuneOptions {
  attackHelpers?: readonly AttackHelper[]
  /** The step-0 evaluation, where the caller already has it (the base model's baseline). */
  initialEval?: EvalResult
  /** Continue a run from its snapshot (same config and schedule) instead of starting it. */
  resumeFrom?: TrainSnapshot
  /** The longest time between two snapshots while the run trains (see FineTuneHooks.onSnapshot). */
  snapshotIntervalMs?: number
}

export const SNAPSHOT_INTERVAL_MS = 30_000

export async function fineTune(model: Model, data: FineTuneData, c: RunConfig, schedule: ControlPoint[], hooks: FineTuneHooks = {}, opts: FineTuneOptions = {}): Promise<FineTuneResult> {
  const problems = [...configProblems(c), ...scheduleProblems(schedule)]
  if (problems.length) throw new Error(problems.join(' '))
  if (data.train.n < c.trainSize || data.test.n < c.evalSize) throw new Error('not enough images loaded for this configuration')

  const train = head(data.train, c.trainSize)
  const evalSet = head(data.test, c.evalSize)
  const attack = evalAttackOptions(c.evalAttack)
  const total = totalSteps(c)
  const perEpoch = stepsPerEpoch(c)
  const from = opts.resumeFrom
  const problem = from && snapshotProblem(from, total)
  if (problem) throw new Error(`This run cannot resume: ${problem}.`)
  const orderRng = from ? rngFromState(from.rng.order) : createRng(deriveSeed(c.seed, 'order'))
  const augRng = from ? rngFromState(from.rng.augment) : createRng(deriveSeed(c.seed, 'augment'))
  const attackRng = from ? rngFromState(from.rng.attack) : createRng(deriveSeed(c.seed, 'train-attack'))
  const sgd = new Sgd(model.trainable, c.momentum, c.weightDecay)
  // Momentum buffers are saved under the model's names (tfjs names its variables per model).
  const names = new Map([...model.vars].map(([name, v]) => [v, name]))
  const nameOf = (p: tf.Variable) => names.get(p)!
  if (from) {
    restoreWeights(model, from)
    sgd.importBuffers(from.momentum, nameOf)
  }
  // The training attack at a step: ε and the PGD step size both scaled by the ε curve.
  const epsOf = (step: number) => epsAt(c.epsCurve, c.trainAttack.eps255, step, total)
  const attackAt = (step: number): TrainAttack => {
    const scale = c.trainAttack.eps255 > 0 ? epsOf(step) / c.trainAttack.eps255 : 0
    return { ...c.trainAttack, eps255: epsOf(step), stepSize255: c.trainAttack.stepSize255 * scale }
  }
  const stepper: Stepper = { model, sgd, rng: attackRng, helpers: opts.attackHelpers }
  const history: EvalPoint[] = from ? structuredClone(from.history) : []
  let wallMs = from?.wallMs ?? 0
  let lossSum = from?.lossSum ?? 0
  let lossCount = from?.lossCount ?? 0
  let lr = from?.lr ?? 0

  const runEval = async (step: number): Promise<EvalResult> => {
    const r =
      step === 0 && opts.initialEval ? opts.initialEval : await evaluate(model, evalSet, attack, { batchSize: EVAL_BATCH, seed: c.seed, exampleCount: EXAMPLE_COUNT, helpers: opts.attackHelpers })
    const point: EvalPoint = {
      step,
      epoch: step / perEpoch,
      lr,
      trainLoss: lossCount ? lossSum / lossCount : null,
      clean: r.clean,
      robust: r.robust,
      perClassClean: r.perClassClean,
      perClassRobust: r.perClassRobust,
      evalSize: r.n,
      elapsedMs: wallMs,
    }
    lossSum = lossCount = 0
    history.push(point)
    hooks.onEval?.(point)
    hooks.onExamples?.(step, r.examples)
    return r
  }

  const end = (status: RunEndStatus, reason: string | null, steps: number): FineTuneResult => {
    sgd.dispose()
    return { status, reason, history, steps, wallMs }
  }

  const pipeline = new StepPipeline(stepper)
  let done = from?.step ?? 0 // steps finished, their updates applied
  let lastTakenAt = 0
  // Takes finished steps in order; returns why the run diverged, if one did.
  const take = (finished: StepOutcome[]): string | null => {
    for (const o of finished) {
      const now = performance.now()
      const stepMs = now - Math.max(o.startedAt, lastTakenAt) // overlapping steps: the time between two
      lastTakenAt = now
      wallMs += stepMs
      if (!o.applied) return `the training loss became ${o.loss} at step ${o.step + 1} (lr ${o.lr.toPrecision(3)}); the weights are those before that step`
      done = o.step + 1
      lr = o.lr
      lossSum += o.loss
      lossCount++
      hooks.onStep?.({ step: done, totalSteps: total, epoch: done / perEpoch, lr, eps255: c.trainAttack.kind === 'none' ? 0 : epsOf(o.step), loss: o.loss, imagesPerSec: (o.size / stepMs) * 1000 })
    }
    return null
  }
  // Finishes the queued step, then ends the run (as diverged, where that step diverged).
  const finish = async (status: RunEndStatus, reason: string | null): Promise<FineTuneResult> => {
    const diverged = take(await pipeline.drain())
    return diverged ? end('diverged', diverged, done) : end(status, reason, done)
  }

  // The loop's whole state at a step boundary, no step in flight (the caller drained the pipeline).
  const snapshot = async (perm: Uint32Array): Promise<TrainSnapshot> => ({
    version: SNAPSHOT_VERSION,
    step: done,
    totalSteps: total,
    weights: await modelWeights(model),
    batchesTracked: model.batchesTracked,
    momentum: await sgd.exportBuffers(nameOf),
    rng: { order: orderRng.state(), augment: augRng.state(), attack: attackRng.state() },
    permutation: perm.slice(),
    lossSum,
    lossCount,
    lr,
    wallMs,
    history: structuredClone(history),
  })
  const interval = opts.snapshotIntervalMs ?? SNAPSHOT_INTERVAL_MS
  let lastSnapshotAt = performance.now()
  let evaluated = false // an evaluation since the last snapshot

  if (!from) await runEval(0)
  // A snapshot is taken before an epoch's order is drawn, so its permutation is the current one.
  let perm = from ? from.permutation.slice() : permutation(train.n, orderRng)
  for (let step = from?.step ?? 0; step < total; step++) {
    const pausing = hooks.paused?.() ?? false
    const due = hooks.onSnapshot && step > (from?.step ?? 0) && (pausing || evaluated || performance.now() - lastSnapshotAt >= interval)
    if (pausing || due) {
      const diverged = take(await pipeline.drain())
      if (diverged) return end('diverged', diverged, done)
    }
    if (due) {
      await hooks.onSnapshot!(await snapshot(perm))
      lastSnapshotAt = performance.now()
      evaluated = false
    }
    await hooks.gate?.()
    if (hooks.shouldStop?.()) return finish('stopped', 'stopped by the user')
    const inEpoch = step % perEpoch
    if (step > 0 && inEpoch === 0) perm = permutation(train.n, orderRng)
    const batch = gatherBatch(train, perm.subarray(inEpoch * c.batchSize, (inEpoch + 1) * c.batchSize), c.augment ? augRng : null)

    const diverged = take(await pipeline.push(step, batch, attackAt(step), lrAt(schedule, c.peakLr, step, total)))
    if (diverged) {
      await pipeline.drain() // the step queued after it: its update was gated off too
      return end('diverged', diverged, done)
    }
    if ((step + 1) % c.evalEvery === 0 || step + 1 === total) {
      const late = take(await pipeline.drain())
      if (late) return end('diverged', late, done)
      await runEval(step + 1)
      evaluated = true
    }
  }
  return end('done', null, total)
}
