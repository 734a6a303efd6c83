// Per-step series of the selected runs: training loss, or the learning rate or training ε
// actually applied.
// Drawn by LiveLineChart, not recharts: these charts redraw at every step report.

import { memo, useMemo } from 'react'
import type { Run, XAxisUnit } from '../../store/types'
import { mergeSeries, stepSeries, xAxisEnd, type Series, type StepMetric } from './chartData'
import { fmtLr } from '../shared/format'
import { LiveLineChart, type LiveSeries } from './LiveLineChart'

interface Props {
  runs: Run[]
  unit: XAxisUnit
  metric: StepMetric
  title: string
}

// Step s (x = s) trains over the span (s − 1, s]: its LR or ε is drawn over that span
// (step-before), from x = 0 for the first step, so the plot reads as the value in force at every
// point of training.
const fromZero = (s: Series): Series => (s.points.length && s.points[0].x > 0 ? { ...s, points: [{ x: 0, y: s.points[0].y }, ...s.points] } : s)

const FORMAT = {
  loss: { tick: (v: number) => String(Number(v.toPrecision(3))), value: (v: number) => v.toFixed(3) },
  lr: { tick: fmtLr, value: fmtLr },
  eps255: { tick: (v: number) => String(Number(v.toPrecision(3))), value: (v: number) => `${Number(v.toFixed(3))}/255` },
}
const applied = (m: StepMetric) => m !== 'loss'

// Re-render only when a shown run's steps (or its label, colour, planned length) change: the
// store replaces run objects for other reasons too (evaluations, previews, status).
const sameStepInputs = (a: Props, b: Props) =>
  a.unit === b.unit &&
  a.metric === b.metric &&
  a.title === b.title &&
  a.runs.length === b.runs.length &&
  a.runs.every((r, i) => {
    const o = b.runs[i]
    return r.id === o.id && r.steps === o.steps && r.name === o.name && r.color === o.color && r.totalSteps === o.totalSteps && r.config.epochs === o.config.epochs
  })

export const StepChart = memo(function StepChart({ runs, unit, metric, title }: Props) {
  const series = useMemo<LiveSeries[]>(
    () =>
      stepSeries(runs, unit, metric).map((s, i) => ({
        ...(applied(metric) ? fromZero(s) : s),
        name: runs[i].name,
        color: runs[i].color,
      })),
    [runs, unit, metric],
  )
  const rows = useMemo(() => mergeSeries(series), [series])
  const xEnd = xAxisEnd(runs, unit)(rows.length ? rows[rows.length - 1].x : 0)
  const f = FORMAT[metric]
  return (
    <div className="chart" data-testid={`${metric}-chart`} data-points={rows.length}>
      <div className="chart-title">{title}</div>
      {rows.length === 0 && <div className="chart-empty">Appears when a run starts</div>}
      <LiveLineChart
        series={series}
        rows={rows}
        xEnd={xEnd}
        xLabel={unit}
        integerX={unit === 'step'}
        shape={applied(metric) ? 'stepBefore' : 'linear'}
        yFromZero={applied(metric)}
        tick={f.tick}
        fmt={f.value}
        label={title}
      />
    </div>
  )
}, sameStepInputs)
