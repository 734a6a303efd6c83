// Human-readable names for attacks, accuracies and runs, shared by the page, the comparison
// table and the names of downloaded files.

import { EVAL_ATTACKS, TRAIN_ATTACKS } from '../core/attacks/kinds'
import type { EvalAttack, RunConfig, TrainAttack } from '../core/config'
import { EPS_PRESET_NAMES, EPS_PRESETS, type ControlPoint } from '../core/schedule'

const sameCurve = (a: readonly ControlPoint[], b: readonly ControlPoint[]) => a.length === b.length && a.every((p, i) => p.t === b[i].t && p.y === b[i].y)

/** "PGD-10, ε=8/255" (plus restarts / random start when not the plain default). */
export const evalAttackLabel = (a: EvalAttack): string => EVAL_ATTACKS[a.kind].label(a)

/** "PGD-7, ε=8/255, step 2/255", "FGSM-RS, ε=8/255", "none (clean fine-tuning)". */
export const trainAttackLabel = (a: TrainAttack): string => TRAIN_ATTACKS[a.kind].label(a)

/**
 * The training attack's ε curve when it is not full ε throughout, else null: "ε ramp over the
 * first 30 %" for a preset, "ε curve 2–8/255" for a hand-drawn one.
 */
export function epsCurveLabel(c: Pick<RunConfig, 'trainAttack' | 'epsCurve'>): string | null {
  const curve = c.epsCurve
  if (c.trainAttack.kind === 'none' || !Array.isArray(curve) || curve.every((p) => p.y === 1)) return null
  const preset = EPS_PRESET_NAMES.find((n) => sameCurve(curve, EPS_PRESETS[n].points))
  if (preset) return `ε ${EPS_PRESETS[preset].label.toLowerCase()}`
  const ys = curve.map((p) => p.y * c.trainAttack.eps255)
  const r = (v: number) => Number(v.toFixed(2))
  return `ε curve ${r(Math.min(...ys))}–${r(Math.max(...ys))}/255`
}

/** "from scratch (random init)" for a run that does not start from the pretrained weights. */
export function initLabel(c: Pick<RunConfig, 'init'>): string | null {
  return c.init === 'random' ? 'from scratch (random init)' : null
}

/** How a run trains, in one line: attack, ε curve when not constant, start when not pretrained. */
export function trainingLabel(c: RunConfig): string {
  return [trainAttackLabel(c.trainAttack), epsCurveLabel(c), initLabel(c)].filter(Boolean).join(' · ')
}

/** Accuracy in [0,1] → "87.1" (one decimal, percent); non-finite → "–". */
export function pct(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : (v * 100).toFixed(digits)
}

/** File-name-safe slug: "Run 2 (slow)" → "run-2-slow". */
export function slug(s: string): string {
  const out = s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '')
  return out.slice(0, 60) || 'run'
}
