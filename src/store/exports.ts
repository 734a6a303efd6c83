// What a run downloads as: file names that carry the run's name and metrics, its history as
// JSON (everything needed to reproduce and plot it) and as CSV (one row per evaluation).

import { CIFAR10_CLASSES } from '../core/config'
import type { EvalPoint } from '../core/train/types'
import { finalEval } from './compare'
import { evalAttackLabel, pct, slug, trainAttackLabel, trainingLabel } from './describe'
import type { Run } from './types'

/** The page's version, written into every history it exports (package.json's). */
export const APP_VERSION = '0.1.0'

/** "advtune-run-2-resnet20-clean87.1-robust41.2" (no extension). */
export function runFileStem(run: Run): string {
  const f = finalEval(run)
  const metrics = f ? `-clean${pct(f.clean)}-robust${pct(f.robust)}` : ''
  return `advtune-${slug(run.name)}-${slug(run.base.model)}${metrics}`
}

/** The run points of the accuracy charts: the baseline at step 0, then the evaluations. */
export function chartEvals(run: Run): EvalPoint[] {
  const hasStep0 = run.evals.length > 0 && run.evals[0].step === 0
  return run.baseline && !hasStep0 ? [run.baseline, ...run.evals] : run.evals
}

export function historyJson(run: Run, appVersion: string): string {
  const doc = {
    format: 'advtune-run-history',
    version: 1,
    appVersion,
    run: { id: run.id, name: run.name, status: run.status, reason: run.reason, createdAt: new Date(run.createdAt).toISOString(), wallMs: run.wallMs },
    base: run.base,
    config: run.config,
    schedule: run.schedule,
    labels: { trainAttack: trainAttackLabel(run.config.trainAttack), training: trainingLabel(run.config), evalAttack: evalAttackLabel(run.config.evalAttack), classes: CIFAR10_CLASSES },
    totalSteps: run.totalSteps,
    evals: chartEvals(run).map(jsonSafe),
    // APGD-CE on the final weights, when it was asked for.
    strongEval: run.strongEval && {
      attack: run.strongEval.attack,
      label: evalAttackLabel(run.strongEval.attack),
      at: new Date(run.strongEval.at).toISOString(),
      point: jsonSafe(run.strongEval.point),
    },
    steps: run.steps.map(jsonSafe),
  }
  return JSON.stringify(doc, null, 1)
}

/** JSON has no NaN/Infinity: a diverged run's losses become null instead of breaking the file. */
function jsonSafe<T extends object>(o: T): T {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) out[k] = typeof v === 'number' && !Number.isFinite(v) ? null : v
  return out as T
}

const cell = (v: number | null) => (v === null || !Number.isFinite(v) ? '' : String(v))

export function historyCsv(run: Run): string {
  const cls = CIFAR10_CLASSES
  const header = ['step', 'epoch', 'lr', 'train_loss', 'clean_acc', 'robust_acc', 'eval_size', 'elapsed_ms', ...cls.map((c) => `clean_${c}`), ...cls.map((c) => `robust_${c}`)]
  const rows = chartEvals(run).map((p) => [p.step, p.epoch, p.lr, p.trainLoss, p.clean, p.robust, p.evalSize, p.elapsedMs, ...padded(p.perClassClean), ...padded(p.perClassRobust)].map(cell).join(','))
  return [header.join(','), ...rows].join('\n') + '\n'
}

const padded = (a: number[]) => Array.from({ length: 10 }, (_, i) => a[i] ?? null)
