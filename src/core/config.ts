// One serialisable run configuration with the unit on every field. It crosses the worker
// boundary, is frozen into every run record and travels in share URLs. No tfjs here.

import { EVAL_ATTACK_KINDS, TRAIN_ATTACK_KINDS, type EvalAttack, type TrainAttack } from './attacks/kinds'
import { curveProblems, EPS_PRESETS, type ControlPoint } from './schedule'

export const MODEL_NAMES = ['resnet20', 'resnet32', 'resnet44', 'resnet56'] as const
export type ModelName = (typeof MODEL_NAMES)[number]

// The attacks' settings and kinds are described in one table (attacks/kinds.ts).
export { EVAL_ATTACK_KINDS, TRAIN_ATTACK_KINDS, type EvalAttack, type EvalAttackKind, type TrainAttack, type TrainAttackKind } from './attacks/kinds'

/** Where a run starts: the pretrained checkpoint (fine-tuning) or He-initialised weights (from scratch). */
export type ModelInit = 'pretrained' | 'random'
export const MODEL_INITS: readonly ModelInit[] = ['pretrained', 'random']

export interface RunConfig {
  model: ModelName
  init: ModelInit
  epochs: number // passes over the training subset
  trainSize: number // images of the CIFAR-10 training set used for fine-tuning
  batchSize: number
  peakLr: number // multiplied by the schedule curve (y ∈ [0, 1])
  momentum: number // SGD momentum (PyTorch convention, no dampening)
  weightDecay: number // L2, added to the gradient (PyTorch SGD convention)
  augment: boolean // random crop (4-pixel zero padding) + horizontal flip
  trainAttack: TrainAttack
  /** The training attack's strength over progress t ∈ [0, 1]: ε(t) = trainAttack.eps255 × curve(t). */
  epsCurve: ControlPoint[]
  evalAttack: EvalAttack
  evalSize: number // held-out test images for clean/robust accuracy (the first N of the test set)
  evalEvery: number // optimizer steps between evaluations (and one at the end)
  seed: number
}

/**
 * The default run: the best recipe the study (docs/study) found for about ten minutes of a
 * two-core laptop's CPU. FGSM with random start buys four times the training images of PGD-7 for
 * the same passes, and an ε ramp over the first 30 % lets the pretrained network adapt before the
 * full-strength attack; PGD-7 at full ε from the first step left clean accuracy near 36 %.
 */
export const DEFAULT_CONFIG: RunConfig = {
  model: 'resnet20',
  init: 'pretrained',
  epochs: 3,
  trainSize: 7_680,
  batchSize: 128,
  peakLr: 0.05,
  momentum: 0.9,
  weightDecay: 5e-4,
  augment: true,
  trainAttack: { kind: 'fgsm-rs', eps255: 8, stepSize255: 2, steps: 7 },
  epsCurve: EPS_PRESETS['ramp-30'].points,
  evalAttack: { kind: 'pgd', eps255: 8, stepSize255: 2, steps: 10, randomStart: false, restarts: 1 },
  evalSize: 500,
  evalEvery: 60, // once an epoch (60 steps of 128 images)
  seed: 0,
}

export const TRAIN_SET_SIZE = 50_000
export const TEST_SET_SIZE = 10_000

const int = (v: number) => Number.isInteger(v)

/** Problems that make a config unusable, as messages a person can act on. Empty when fine. */
export function configProblems(c: RunConfig): string[] {
  const p: string[] = []
  if (!int(c.epochs) || c.epochs < 1 || c.epochs > 200) p.push('Epochs must be a whole number from 1 to 200.')
  if (!int(c.trainSize) || c.trainSize < 1 || c.trainSize > TRAIN_SET_SIZE) p.push(`The training subset must hold 1 to ${TRAIN_SET_SIZE} images.`)
  if (!int(c.batchSize) || c.batchSize < 1 || c.batchSize > 1024) p.push('Batch size must be a whole number from 1 to 1024.')
  if (int(c.batchSize) && int(c.trainSize) && c.batchSize > c.trainSize) p.push('Batch size cannot exceed the training subset.')
  if (!(c.peakLr > 0 && c.peakLr <= 10)) p.push('Peak learning rate must be above 0 and at most 10.')
  if (!(c.momentum >= 0 && c.momentum < 1)) p.push('Momentum must be in [0, 1).')
  if (!(c.weightDecay >= 0 && c.weightDecay <= 0.1)) p.push('Weight decay must be in [0, 0.1].')
  for (const [name, a] of [
    ['Training', c.trainAttack],
    ['Evaluation', c.evalAttack],
  ] as const) {
    if (!(a.eps255 >= 0 && a.eps255 <= 64)) p.push(`${name} attack eps must be in [0, 64]/255.`)
    if (!(a.stepSize255 > 0 && a.stepSize255 <= 64)) p.push(`${name} attack step size must be in (0, 64]/255.`)
    if (!int(a.steps) || a.steps < 1 || a.steps > 100) p.push(`${name} attack steps must be a whole number from 1 to 100.`)
  }
  if (!MODEL_INITS.includes(c.init)) p.push(`The initialisation must be one of ${MODEL_INITS.join(', ')}.`)
  if (!(TRAIN_ATTACK_KINDS as readonly string[]).includes(c.trainAttack.kind)) p.push(`The training attack must be one of ${TRAIN_ATTACK_KINDS.join(', ')}.`)
  if (!(EVAL_ATTACK_KINDS as readonly string[]).includes(c.evalAttack.kind)) p.push(`The evaluation attack must be one of ${EVAL_ATTACK_KINDS.join(', ')}.`)
  p.push(...curveProblems(Array.isArray(c.epsCurve) ? c.epsCurve : [], 'ε curve').map((m) => `${m} (The ε curve scales the training ε: 1 is ε_max.)`))
  if (!int(c.evalAttack.restarts) || c.evalAttack.restarts < 1 || c.evalAttack.restarts > 10) p.push('Evaluation restarts must be from 1 to 10.')
  if (!int(c.evalSize) || c.evalSize < 1 || c.evalSize > TEST_SET_SIZE) p.push(`The evaluation subset must hold 1 to ${TEST_SET_SIZE} images.`)
  if (!int(c.evalEvery) || c.evalEvery < 1) p.push('Evaluate every N steps needs N ≥ 1.')
  if (!int(c.seed) || c.seed < 0 || c.seed > 2 ** 31) p.push('The seed must be a whole number from 0 to 2^31.')
  return p
}

export function stepsPerEpoch(c: Pick<RunConfig, 'trainSize' | 'batchSize'>): number {
  // The last partial batch is dropped: batch statistics of a tiny batch would be noise.
  return Math.max(1, Math.floor(c.trainSize / c.batchSize))
}

export function totalSteps(c: Pick<RunConfig, 'trainSize' | 'batchSize' | 'epochs'>): number {
  return stepsPerEpoch(c) * c.epochs
}

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const
