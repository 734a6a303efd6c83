// Human-readable names for attacks, accuracies and runs, shared by the page, the comparison
// table and the names of downloaded files.

import type { EvalAttack, TrainAttack } from '../core/config'

const eps = (v: number) => `ε=${Number(v.toFixed(3))}/255`

/** "PGD-10, ε=8/255" (plus restarts / random start when not the plain default). */
export function evalAttackLabel(a: EvalAttack): string {
  if (a.kind === 'fgsm') return `FGSM, ${eps(a.eps255)}`
  const extras = [a.randomStart ? 'random start' : '', a.restarts > 1 ? `${a.restarts} restarts` : ''].filter(Boolean)
  return `PGD-${a.steps}, ${eps(a.eps255)}${extras.length ? ` (${extras.join(', ')})` : ''}`
}

export function trainAttackLabel(a: TrainAttack): string {
  if (a.kind === 'none') return 'none (clean fine-tuning)'
  if (a.kind === 'fgsm-rs') return `FGSM-RS, ${eps(a.eps255)}`
  return `PGD-${a.steps}, ${eps(a.eps255)}, step ${Number(a.stepSize255.toFixed(3))}/255`
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
