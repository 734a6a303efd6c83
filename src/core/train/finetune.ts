// The adversarial fine-tuning loop: for every step, attack the batch (model in eval mode), then
// take one SGD step on the adversarial batch (BatchNorm in train mode) at lr = peak × schedule(t).
// Reads like a script from top to bottom; the GPU is read once per step (the loss).

import * as tf from '@tensorflow/tfjs-core'
import { pgd, type PgdOptions } from '../attacks/linf'
import { configProblems, stepsPerEpoch, totalSteps, type RunConfig, type TrainAttack } from '../config'
import { gatherBatch, type HostBatch } from '../data/batches'
import { head, type CifarSet } from '../data/cifar'
import { crossEntropy, disposeStats, forward, updateRunningStats, type BatchStats, type Model } from '../model/resnet'
import { createRng, deriveSeed, permutation, type Rng } from '../rng'
import { lrAt, scheduleProblems, type ControlPoint } from '../schedule'
import { evalAttackOptions, evaluate, frozenForward, type EvalResult } from './evaluate'
import { shardedPgd, type AttackHelper } from './attackShards'
import { Sgd } from './sgd'
import type { AdvExample, EvalPoint, RunEndStatus, StepInfo } from './types'

export interface FineTuneHooks {
  onStep?(info: StepInfo): void
  onEval?(point: EvalPoint): void
  onExamples?(step: number, examples: AdvExample[]): void
  /** Checked once per step; true ends the run as 'stopped'. */
  shouldStop?(): boolean
  /** Awaited once per step; resolves when the run may go on (pause support). */
  gate?(): Promise<void>
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
const EVAL_BATCH = 100

/**
 * The adversarial training batch for the configured training attack (eps 0 or 'none': clean),
 * shared with `helpers` where there are any (see attackShards.ts: same result either way).
 */
export async function trainingInput(s: Stepper, x: tf.Tensor4D, y: tf.Tensor1D, a: TrainAttack): Promise<tf.Tensor4D> {
  const eps = a.eps255 / 255
  if (a.kind === 'none' || eps === 0) return x.clone()
  const o: PgdOptions =
    a.kind === 'fgsm-rs' // FGSM with random start (Wong et al. 2020): one step of 1.25·eps
      ? { eps, stepSize: 1.25 * eps, steps: 1, randomStart: true }
      : { eps, stepSize: a.stepSize255 / 255, steps: a.steps, randomStart: true }
  const frozen = frozenForward(s.model) // the weights stay fixed during the attack
  try {
    return await (s.helpers?.length ? shardedPgd(s.model, frozen.fwd, x, y, o, s.rng, s.helpers) : pgd(frozen.fwd, x, y, o, s.rng))
  } finally {
    frozen.dispose()
  }
}

export interface Stepper {
  model: Model
  sgd: Sgd
  rng: Rng // the training attack's random starts
  helpers?: readonly AttackHelper[] // other threads that take shares of the attack
}

/** A train-mode pass on the (adversarial) batch: the loss and every trainable's gradient. */
export interface TrainPass {
  value: tf.Scalar
  grads: tf.NamedTensorMap
  stats: BatchStats[] // BatchNorm's batch statistics, for the running averages
}

export function trainPass(s: Stepper, xAdv: tf.Tensor4D, y: tf.Tensor1D): TrainPass {
  const stats: BatchStats[] = []
  const { value, grads } = tf.variableGrads(() => crossEntropy(forward(s.model, xAdv, 'train', stats), y), s.model.trainable)
  return { value, grads, stats }
}

/** The SGD step and the running averages from a pass (`apply` false: neither); frees the pass but its loss. */
export function finishPass(s: Stepper, p: TrainPass, lr: number, apply: boolean): void {
  if (apply) {
    s.sgd.step(p.grads, lr)
    updateRunningStats(s.model, p.stats)
  }
  disposeStats(p.stats)
  tf.dispose(Object.values(p.grads))
}

/**
 * One adversarial training step: attack the batch, then one SGD step on the adversarial batch
 * with BatchNorm in train mode. Returns the loss; a non-finite loss leaves the model untouched.
 */
export async function trainStep(s: Stepper, batch: HostBatch, attack: TrainAttack, lr: number): Promise<number> {
  const x = tf.tensor4d(batch.x, [batch.size, 32, 32, 3])
  const y = tf.tensor1d(batch.y, 'int32')
  const xAdv = await trainingInput(s, x, y, attack)
  const pass = trainPass(s, xAdv, y)
  const loss = (await pass.value.data())[0] // the one GPU read-back of a step
  finishPass(s, pass, lr, Number.isFinite(loss))
  tf.dispose([x, y, xAdv, pass.value])
  return loss
}

/** How a run may use the host beyond the model: threads that take shares of its attacks. */
export interface FineTuneOptions {
  attackHelpers?: readonly AttackHelper[]
}

export async function fineTune(model: Model, data: FineTuneData, c: RunConfig, schedule: ControlPoint[], hooks: FineTuneHooks = {}, opts: FineTuneOptions = {}): Promise<FineTuneResult> {
  const problems = [...configProblems(c), ...scheduleProblems(schedule)]
  if (problems.length) throw new Error(problems.join(' '))
  if (data.train.n < c.trainSize || data.test.n < c.evalSize) throw new Error('not enough images loaded for this configuration')

  const train = head(data.train, c.trainSize)
  const evalSet = head(data.test, c.evalSize)
  const attack = evalAttackOptions(c.evalAttack)
  const total = totalSteps(c)
  const perEpoch = stepsPerEpoch(c)
  const orderRng = createRng(deriveSeed(c.seed, 'order'))
  const augRng = createRng(deriveSeed(c.seed, 'augment'))
  const attackRng = createRng(deriveSeed(c.seed, 'train-attack'))
  const sgd = new Sgd(model.trainable, c.momentum, c.weightDecay)
  const stepper: Stepper = { model, sgd, rng: attackRng, helpers: opts.attackHelpers }
  const history: EvalPoint[] = []
  let wallMs = 0
  let lossSum = 0
  let lossCount = 0
  let lr = 0

  const runEval = async (step: number): Promise<EvalResult> => {
    const r = await evaluate(model, evalSet, attack, { batchSize: EVAL_BATCH, seed: c.seed, exampleCount: EXAMPLE_COUNT, helpers: opts.attackHelpers })
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

  await runEval(0)
  let perm = permutation(train.n, orderRng)
  for (let step = 0; step < total; step++) {
    await hooks.gate?.()
    if (hooks.shouldStop?.()) return end('stopped', 'stopped by the user', step)
    const started = performance.now()
    const inEpoch = step % perEpoch
    if (step > 0 && inEpoch === 0) perm = permutation(train.n, orderRng)
    const batch = gatherBatch(train, perm.subarray(inEpoch * c.batchSize, (inEpoch + 1) * c.batchSize), c.augment ? augRng : null)
    lr = lrAt(schedule, c.peakLr, step, total)

    const loss = await trainStep(stepper, batch, c.trainAttack, lr)
    if (!Number.isFinite(loss)) {
      wallMs += performance.now() - started
      return end('diverged', `the training loss became ${loss} at step ${step + 1} (lr ${lr.toPrecision(3)}); the weights are those before that step`, step)
    }

    const stepMs = performance.now() - started
    wallMs += stepMs
    lossSum += loss
    lossCount++
    hooks.onStep?.({ step: step + 1, totalSteps: total, epoch: (step + 1) / perEpoch, lr, loss, imagesPerSec: (batch.size / stepMs) * 1000 })
    if ((step + 1) % c.evalEvery === 0 || step + 1 === total) await runEval(step + 1)
  }
  return end('done', null, total)
}
