// The learning-rate schedule: a piecewise-linear curve through control points over training
// progress t ∈ [0, 1], y ∈ [0, 1] a multiplier of the peak LR. The editor draws exactly this
// function and the trainer calls exactly this function. No tfjs here.

export interface ControlPoint {
  t: number
  y: number
}

export type Schedule = readonly ControlPoint[]

export const MAX_POINTS = 24

/** A curve's value at progress t (clamped to [0,1]). Equal t on neighbours makes a vertical step. */
export function curveAt(pts: Schedule, t: number): number {
  const u = Math.min(1, Math.max(0, t))
  let i = 1
  // Strict '<=' keeps the right-hand value of a vertical step from the jump onwards.
  while (i < pts.length - 1 && pts[i].t <= u) i++
  const a = pts[i - 1]
  const b = pts[i]
  if (b.t === a.t) return b.y
  return a.y + ((u - a.t) / (b.t - a.t)) * (b.y - a.y)
}

/** The LR schedule's multiplier of the peak LR at progress t. */
export const lrMultiplier = curveAt

/** Progress at optimizer step `step` (0-based) of `totalSteps`: the middle of the step's span. */
export function progressAt(step: number, totalSteps: number): number {
  return totalSteps <= 0 ? 0 : (step + 0.5) / totalSteps
}

/** The learning rate the trainer applies at a step. */
export function lrAt(pts: Schedule, peakLr: number, step: number, totalSteps: number): number {
  return peakLr * lrMultiplier(pts, progressAt(step, totalSteps))
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v))

/**
 * Makes any edited point list a valid schedule: sorted by t, first pinned to t=0 and last to
 * t=1, every coordinate clamped to [0, 1]. Non-finite points are dropped.
 */
export function normalizeSchedule(pts: readonly ControlPoint[]): ControlPoint[] {
  const finite = pts.filter((p) => Number.isFinite(p.t) && Number.isFinite(p.y))
  const sorted = finite.map((p) => ({ t: clamp01(p.t), y: clamp01(p.y) })).sort((a, b) => a.t - b.t)
  if (sorted.length === 0)
    return [
      { t: 0, y: 1 },
      { t: 1, y: 1 },
    ]
  if (sorted.length === 1)
    return [
      { t: 0, y: sorted[0].y },
      { t: 1, y: sorted[0].y },
    ]
  sorted[0] = { ...sorted[0], t: 0 }
  sorted[sorted.length - 1] = { ...sorted[sorted.length - 1], t: 1 }
  return sorted.slice(0, MAX_POINTS)
}

/** Problems that make a schedule unusable, as messages a person can act on. Empty when fine. */
export function scheduleProblems(pts: readonly ControlPoint[]): string[] {
  const problems = curveProblems(pts, 'schedule')
  if (pts.length >= 2 && pts.every((p) => p.y === 0)) problems.push('The learning rate is zero everywhere: the run would not change the model.')
  return problems
}

/**
 * Problems of any curve over training progress (the LR schedule, the ε curve): at least two
 * points, inside [0, 1] × [0, 1] (y = 1 is the peak LR or ε_max), ordered, ends pinned.
 */
export function curveProblems(pts: readonly ControlPoint[], what: string): string[] {
  const problems: string[] = []
  const A = what.startsWith('ε') ? 'An' : 'A'
  if (pts.length < 2) problems.push(`${A} ${what} needs at least two control points.`)
  if (pts.length > MAX_POINTS) problems.push(`${A} ${what} has at most ${MAX_POINTS} control points.`)
  if (pts.some((p) => !Number.isFinite(p.t) || !Number.isFinite(p.y))) problems.push('Every control point needs finite coordinates.')
  if (pts.some((p) => p.y < 0 || p.y > 1 || p.t < 0 || p.t > 1)) problems.push(`Control points must lie inside [0, 1] × [0, 1]${what.startsWith('ε') ? ': ε cannot exceed ε_max' : ''}.`)
  for (let i = 1; i < pts.length; i++)
    if (pts[i].t < pts[i - 1].t) {
      problems.push('Control points must be ordered by training progress.')
      break
    }
  if (pts.length >= 2 && (pts[0].t !== 0 || pts[pts.length - 1].t !== 1)) problems.push('The first point must sit at the start (t = 0) and the last at the end (t = 1).')
  return problems
}

export type PresetName = 'slow-start-fast-decay' | 'step-decay' | 'cyclic' | 'constant' | 'cosine' | 'one-cycle'
export const PRESET_NAMES: readonly PresetName[] = ['slow-start-fast-decay', 'step-decay', 'cyclic', 'constant', 'cosine', 'one-cycle']

/** Cosine annealing from the peak to zero (Loshchilov & Hutter 2017) through 13 points. */
const cosinePoints = (): ControlPoint[] => Array.from({ length: 13 }, (_, i) => ({ t: i / 12, y: Number((0.5 * (1 + Math.cos((Math.PI * i) / 12))).toFixed(4)) }))

/**
 * Presets. "Slow start, fast decay" is the strategy of Jeddi, Shafiee & Wong (2020); the paper's
 * exact constants are not reproduced here, so these are our choice: a linear warm-up over the
 * first half of training, a fast drop to 10 % of the peak by 70 %, then annealing to zero.
 */
export const PRESETS: Record<PresetName, { label: string; points: ControlPoint[] }> = {
  'slow-start-fast-decay': {
    label: 'Slow start, fast decay',
    points: [
      { t: 0, y: 0 },
      { t: 0.5, y: 1 },
      { t: 0.7, y: 0.1 },
      { t: 1, y: 0 },
    ],
  },
  'step-decay': {
    label: 'Step decay',
    points: [
      { t: 0, y: 1 },
      { t: 0.5, y: 1 },
      { t: 0.5, y: 0.1 },
      { t: 0.75, y: 0.1 },
      { t: 0.75, y: 0.01 },
      { t: 1, y: 0.01 },
    ],
  },
  cyclic: {
    label: 'Cyclic (triangular)',
    points: [
      { t: 0, y: 0 },
      { t: 0.25, y: 1 },
      { t: 0.5, y: 0 },
      { t: 0.75, y: 1 },
      { t: 1, y: 0 },
    ],
  },
  constant: {
    label: 'Constant',
    points: [
      { t: 0, y: 1 },
      { t: 1, y: 1 },
    ],
  },
  cosine: { label: 'Cosine', points: cosinePoints() },
  'one-cycle': {
    // Smith's one-cycle policy, linear: up to the peak over the first 30 %, down to zero after.
    label: 'One-cycle',
    points: [
      { t: 0, y: 0 },
      { t: 0.3, y: 1 },
      { t: 1, y: 0 },
    ],
  },
}

export type EpsPresetName = 'constant' | 'ramp-30' | 'ramp-50'
export const EPS_PRESET_NAMES: readonly EpsPresetName[] = ['constant', 'ramp-30', 'ramp-50']

/**
 * ε curves: the training attack's strength as a multiple of ε_max. A warm-up lets a non-robust
 * pretrained model adapt before it meets the full-strength attack ("Robust Fine-Tuning from
 * Non-Robust Pretrained Models", arXiv 2509.23325).
 */
export const EPS_PRESETS: Record<EpsPresetName, { label: string; points: ControlPoint[] }> = {
  constant: {
    label: 'Full ε throughout',
    points: [
      { t: 0, y: 1 },
      { t: 1, y: 1 },
    ],
  },
  'ramp-30': {
    label: 'Ramp over the first 30 %',
    points: [
      { t: 0, y: 0 },
      { t: 0.3, y: 1 },
      { t: 1, y: 1 },
    ],
  },
  'ramp-50': {
    label: 'Ramp over the first half',
    points: [
      { t: 0, y: 0 },
      { t: 0.5, y: 1 },
      { t: 1, y: 1 },
    ],
  },
}

/** The training attack's ε (in /255) at a step: ε_max × curve at the step's midpoint. */
export function epsAt(pts: Schedule, epsMax255: number, step: number, totalSteps: number): number {
  return epsMax255 * curveAt(pts, progressAt(step, totalSteps))
}

export const DEFAULT_SCHEDULE: ControlPoint[] = PRESETS['slow-start-fast-decay'].points
