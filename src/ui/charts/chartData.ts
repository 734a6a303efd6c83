// Chart series from run records: one row per x value with a column per (run, metric), so
// recharts draws all runs on one shared axis and its tooltip lists every run at that x.

import { chartEvals } from '../../store/exports'
import type { Run, StepSample, XAxisUnit } from '../../store/types'

export type Row = { x: number } & Record<string, number | null>
export interface Series {
  key: string
  points: { x: number; y: number | null }[]
}

/** Non-finite values become null: recharts leaves a gap instead of throwing off the axis. */
const finite = (v: number) => (Number.isFinite(v) ? v : null)

/** Merges series into rows sorted by x; a row holds only the series that have a point there. */
export function mergeSeries(series: readonly Series[]): Row[] {
  const byX = new Map<number, Row>()
  for (const s of series)
    for (const p of s.points) {
      let row = byX.get(p.x)
      if (!row) byX.set(p.x, (row = { x: p.x } as Row))
      row[s.key] = p.y
    }
  return [...byX.values()].sort((a, b) => a.x - b.x)
}

/**
 * At most `max` points: consecutive buckets averaged (loss) or their last value kept (LR, which
 * must show the values actually applied). The final point is always the last sample.
 */
export function downsample<T>(items: readonly T[], max: number, pick: (bucket: readonly T[]) => T): T[] {
  if (items.length <= max) return [...items]
  const size = Math.ceil(items.length / max)
  const out: T[] = []
  for (let i = 0; i < items.length; i += size) out.push(pick(items.slice(i, i + size)))
  return out
}

export const accKey = (runId: string, metric: 'clean' | 'robust') => `${runId}:${metric}`

export function accuracySeries(runs: readonly Run[], unit: XAxisUnit): Series[] {
  return runs.flatMap((r) => {
    const pts = chartEvals(r)
    return (['clean', 'robust'] as const).map((m) => ({ key: accKey(r.id, m), points: pts.map((p) => ({ x: unit === 'step' ? p.step : p.epoch, y: finite(p[m] * 100) })) }))
  })
}

const meanBucket = (b: readonly StepSample[]): StepSample => {
  const ok = b.filter((s) => Number.isFinite(s.loss))
  const last = b[b.length - 1]
  return { ...last, loss: ok.length ? ok.reduce((a, s) => a + s.loss, 0) / ok.length : last.loss }
}

/** A per-step metric: the loss, or what the step applied (LR, the training attack's ε). */
export type StepMetric = 'loss' | 'lr' | 'eps255'

export function stepSeries(runs: readonly Run[], unit: XAxisUnit, metric: StepMetric, maxPoints = 400): Series[] {
  return runs.map((r) => {
    const pts = downsample(r.steps, maxPoints, metric === 'loss' ? meanBucket : (b) => b[b.length - 1])
    // Records saved before ε was reported per step have none: a gap, not a line at 0.
    return { key: `${r.id}:${metric}`, points: pts.map((s) => ({ x: unit === 'step' ? s.step : s.epoch, y: finite(s[metric] ?? NaN) })) }
  })
}

/**
 * The end of the x axis: the planned length of the longest shown run (steps or epochs), so a
 * run's lines grow into a fixed frame instead of the axis stretching at every point; at least
 * the data's own end (and 1 when there is nothing to show).
 */
export function xAxisEnd(runs: readonly Run[], unit: XAxisUnit): (dataMax: number) => number {
  const planned = Math.max(0, ...runs.map((r) => (unit === 'step' ? r.totalSteps : r.config.epochs)))
  return (dataMax) => Math.max(Number.isFinite(dataMax) ? dataMax : 0, planned) || 1
}
