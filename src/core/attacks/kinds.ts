// Every attack advtune knows, described once: its settings, what each kind reads of them, how it
// is named and what it costs. The config's kind types and validation, share links, the
// configuration panel, the run descriptions, the training step and the study's compute
// accounting all read these two tables. Adding an attack means writing it (linf.ts, apgd.ts),
// adding its row here and its case in attackForEval (linf.ts; TypeScript asks for each).
// Plain data and arithmetic: no tfjs, so the page's main thread may import it.

/** A training attack's settings; which of them a kind reads is in TRAIN_ATTACKS. */
export interface TrainAttack {
  kind: TrainAttackKind
  eps255: number // L∞ radius in pixel units of 1/255: ε_max, scaled over training by RunConfig.epsCurve
  stepSize255: number // PGD step in 1/255 at ε_max, scaled with ε
  steps: number // PGD iterations
}

/** An evaluation attack's settings; which of them a kind reads is in EVAL_ATTACKS. */
export interface EvalAttack {
  kind: EvalAttackKind
  eps255: number
  stepSize255: number
  steps: number // iterations
  randomStart: boolean
  restarts: number // an image counts as robust only if it survives all of them
}

export const TRAIN_ATTACK_KINDS = ['pgd', 'fgsm-rs', 'none'] as const
export type TrainAttackKind = (typeof TRAIN_ATTACK_KINDS)[number]
export const EVAL_ATTACK_KINDS = ['pgd', 'fgsm', 'apgd-ce'] as const
export type EvalAttackKind = (typeof EVAL_ATTACK_KINDS)[number]

/** A training attack as PGD runs it, in pixel units; null: the step trains on clean images. */
export interface TrainPgd {
  eps: number
  stepSize: number
  steps: number
  randomStart: true
}

export interface TrainAttackInfo {
  menu: string // the configuration panel's choice
  uses: { stepSize: boolean; steps: boolean }
  hint?: string // under the step size field
  /** One line for tables, charts and file names: "PGD-7, ε=8/255, step 2/255". */
  label(a: TrainAttack): string
  /** The attack PGD runs at this step (ε already scaled by the ε curve). */
  pgd(a: TrainAttack): TrainPgd | null
  /** Forward+backward passes per training image: the attack's iterations plus the update's one. */
  passesPerImage(a: Pick<TrainAttack, 'steps'>): number
}

export interface EvalAttackInfo {
  menu: string
  /** Which settings it reads: 'always'/'never' fix the random start whatever the setting says. */
  uses: { stepSize: boolean; steps: boolean; restarts: boolean; randomStart: 'option' | 'always' | 'never' }
  stepsLabel: string
  /** Iterations it is set to when chosen in place of a kind with another default; null: it has none. */
  defaultSteps: number | null
  hints: { stepSize?: string; randomStart?: string }
  label(a: EvalAttack): string
  /** Whether it draws no random numbers: two evaluations of the same weights give the same figure. */
  deterministic(a: EvalAttack): boolean
}

const eps = (v: number) => `ε=${Number(v.toFixed(3))}/255`
const restartsNote = (a: EvalAttack, extra: string[] = []) => {
  const notes = [...extra, a.restarts > 1 ? `${a.restarts} restarts` : ''].filter(Boolean)
  return notes.length ? ` (${notes.join(', ')})` : ''
}

export const TRAIN_ATTACKS: Record<TrainAttackKind, TrainAttackInfo> = {
  pgd: {
    menu: 'PGD (random start)',
    uses: { stepSize: true, steps: true },
    hint: 'At ε_max; scaled with ε along the curve. FGSM-RS uses 1.25 × ε',
    label: (a) => `PGD-${a.steps}, ${eps(a.eps255)}, step ${Number(a.stepSize255.toFixed(3))}/255`,
    pgd: (a) => ({ eps: a.eps255 / 255, stepSize: a.stepSize255 / 255, steps: a.steps, randomStart: true }),
    passesPerImage: (a) => a.steps + 1,
  },
  // FGSM with random start (Wong, Rice & Kolter 2020): one step of 1.25·ε from a uniform start.
  'fgsm-rs': {
    menu: 'FGSM-RS (fast AT)',
    uses: { stepSize: false, steps: false },
    label: (a) => `FGSM-RS, ${eps(a.eps255)}`,
    pgd: (a) => ({ eps: a.eps255 / 255, stepSize: (1.25 * a.eps255) / 255, steps: 1, randomStart: true }),
    passesPerImage: () => 2,
  },
  none: {
    menu: 'None (clean fine-tuning)',
    uses: { stepSize: false, steps: false },
    label: () => 'none (clean fine-tuning)',
    pgd: () => null,
    passesPerImage: () => 1,
  },
}

/** AutoAttack's iteration count for APGD-CE. */
export const APGD_STEPS = 100
const PGD_EVAL_STEPS = 10

export const EVAL_ATTACKS: Record<EvalAttackKind, EvalAttackInfo> = {
  pgd: {
    menu: 'PGD',
    uses: { stepSize: true, steps: true, restarts: true, randomStart: 'option' },
    stepsLabel: 'Steps',
    defaultSteps: PGD_EVAL_STEPS,
    hints: {},
    label: (a) => `PGD-${a.steps}, ${eps(a.eps255)}${restartsNote(a, [a.randomStart ? 'random start' : ''])}`,
    deterministic: (a) => !a.randomStart && a.restarts === 1,
  },
  fgsm: {
    menu: 'FGSM',
    uses: { stepSize: false, steps: false, restarts: false, randomStart: 'never' },
    stepsLabel: 'Steps',
    defaultSteps: null,
    hints: {},
    label: (a) => `FGSM, ${eps(a.eps255)}`,
    deterministic: () => true,
  },
  // APGD-CE (Croce & Hein 2020): AutoAttack's first attack, step-size free, for final numbers.
  'apgd-ce': {
    menu: "APGD-CE (AutoAttack's first attack)",
    uses: { stepSize: false, steps: true, restarts: true, randomStart: 'always' },
    stepsLabel: 'Iterations',
    defaultSteps: APGD_STEPS,
    hints: { stepSize: 'APGD-CE adapts its own step size', randomStart: 'APGD-CE always starts at a random point' },
    label: (a) => `APGD-CE-${a.steps}, ${eps(a.eps255)}${restartsNote(a)}`,
    deterministic: () => false,
  },
}

/** Iterations the attack runs: its steps where it reads them, else one. */
export const evalIterations = (a: EvalAttack): number => (EVAL_ATTACKS[a.kind].uses.steps ? a.steps : 1)

/** Whether the attack starts from a random point. */
export function evalRandomStart(a: EvalAttack): boolean {
  const r = EVAL_ATTACKS[a.kind].uses.randomStart
  return r === 'option' ? a.randomStart : r === 'always'
}

/**
 * Choosing another evaluation attack: a kind with its own default iteration count gets it when it
 * replaces a kind with another one (APGD-CE's 100 iterations; PGD's 10 back after APGD-CE, since
 * PGD-100 at every evaluation is rarely meant). Kinds without iterations leave them as they were.
 */
export function evalKindPatch(from: EvalAttack, kind: EvalAttackKind): Partial<EvalAttack> {
  const to = EVAL_ATTACKS[kind].defaultSteps
  const was = EVAL_ATTACKS[from.kind].defaultSteps
  return to !== null && was !== null && to !== was ? { kind, steps: to } : { kind }
}
