// Comparison of runs: their final evaluation and the winner (best robust accuracy, ties broken
// by clean accuracy). Pure functions over run records.

import type { EvalPoint } from '../core/train/types'
import { evalAttackLabel } from './describe'
import type { Run } from './types'

/** The last evaluation after training started, or null when the run has none. */
export function finalEval(run: Run): EvalPoint | null {
  for (let i = run.evals.length - 1; i >= 0; i--) {
    const p = run.evals[i]
    if (p.step > 0 && Number.isFinite(p.robust) && Number.isFinite(p.clean)) return p
  }
  return null
}

/** The run with the best final robust accuracy (ties: best clean); null if none has a result. */
export function winnerId(runs: readonly Run[]): string | null {
  let best: { id: string; robust: number; clean: number } | null = null
  for (const r of runs) {
    const f = finalEval(r)
    if (!f) continue
    if (!best || f.robust > best.robust || (f.robust === best.robust && f.clean > best.clean)) best = { id: r.id, robust: f.robust, clean: f.clean }
  }
  return best?.id ?? null
}

/**
 * Robust accuracies measured under different attacks or subsets are not comparable; returns a
 * warning naming the settings when the runs disagree, else null.
 */
export function comparabilityWarning(runs: readonly Run[]): string | null {
  const labels = new Set(runs.map((r) => `${evalAttackLabel(r.config.evalAttack)} on ${r.config.evalSize} images`))
  return labels.size > 1 ? `These runs were evaluated differently (${[...labels].join('; ')}); their robust accuracies are not directly comparable.` : null
}
