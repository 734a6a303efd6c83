// Clean (solid) and robust (dashed) accuracy of each run, starting at its baseline point; the
// base model's accuracies as grey reference lines. The y axis is padded so that lines at 0 % or
// 100 % (common on small evaluation subsets) stay visible off the axis and the frame.

import { memo, useMemo } from 'react'
import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { EvalPoint } from '../../core/train/types'
import type { Run, XAxisUnit } from '../../store/types'
import { accKey, accuracySeries, mergeSeries, xAxisEnd } from './chartData'
import { axisProps, tooltipProps } from './chartStyle'
import { domainTicks } from './ticks'

const Y_TICKS = [0, 20, 40, 60, 80, 100]

interface Props {
  runs: Run[]
  unit: XAxisUnit
  baseline: EvalPoint | null
}

// Step reports replace the run objects several times a second, but this chart only changes with
// an evaluation: re-rendering recharts on every step was most of the page's main-thread time.
const sameAccuracyInputs = (a: Props, b: Props) =>
  a.unit === b.unit &&
  a.baseline === b.baseline &&
  a.runs.length === b.runs.length &&
  a.runs.every((r, i) => {
    const o = b.runs[i]
    return r.id === o.id && r.evals === o.evals && r.name === o.name && r.color === o.color && r.totalSteps === o.totalSteps
  })

export const AccuracyChart = memo(function AccuracyChart({ runs, unit, baseline }: Props) {
  const runRows = useMemo(() => mergeSeries(accuracySeries(runs, unit)), [runs, unit])
  const hasData = runRows.length > 0
  // Before any run, the base model's two accuracies are the chart: two dots at step 0.
  const rows = hasData || !baseline ? runRows : [{ x: 0, 'base:clean': baseline.clean * 100, 'base:robust': baseline.robust * 100 }]
  // Explicit domain and ticks, with recharts' own nice-tick search off (niceTicks="none"): it
  // runs decimal.js arithmetic on every recompute.
  const xEnd = xAxisEnd(runs, unit)(hasData ? runRows[runRows.length - 1].x : 0)
  const xTicks = useMemo(() => domainTicks(0, xEnd, 6, unit === 'step' ? 1 : 0), [xEnd, unit])
  return (
    <div className="chart chart-main" data-testid="accuracy-chart" data-points={runRows.length} data-baseline={baseline ? '1' : '0'}>
      <div className="chart-title">Accuracy on the evaluation subset (%)</div>
      <ResponsiveContainer width="100%" height={280}>
        <LineChart data={rows} margin={{ top: 8, right: 24, bottom: 4, left: 0 }}>
          <CartesianGrid strokeDasharray="2 4" className="chart-grid" />
          <XAxis
            dataKey="x"
            type="number"
            domain={[0, xEnd]}
            ticks={xTicks}
            niceTicks="none"
            interval={0}
            {...axisProps}
            label={{ value: unit, position: 'insideBottomRight', offset: -2, className: 'chart-axis-label' }}
          />
          <YAxis domain={[0, 100]} ticks={Y_TICKS} niceTicks="none" width={40} padding={{ top: 6, bottom: 6 }} {...axisProps} />
          <Tooltip {...tooltipProps} labelFormatter={(x) => `${unit} ${x}`} formatter={(v) => (typeof v === 'number' ? `${v.toFixed(1)} %` : String(v))} />
          {baseline && (
            <ReferenceLine
              y={baseline.clean * 100}
              className="ref-line"
              strokeDasharray="4 4"
              label={{ value: `base clean ${(baseline.clean * 100).toFixed(1)}`, position: 'insideTopRight', className: 'ref-label' }}
            />
          )}
          {baseline && (
            <ReferenceLine
              y={baseline.robust * 100}
              className="ref-line"
              strokeDasharray="4 4"
              label={{ value: `base robust ${(baseline.robust * 100).toFixed(1)}`, position: 'insideBottomRight', className: 'ref-label' }}
            />
          )}
          {!hasData && baseline && <Line dataKey="base:clean" name="base model clean" stroke="var(--muted)" dot={{ r: 5, fill: 'var(--muted)' }} isAnimationActive={false} />}
          {!hasData && baseline && <Line dataKey="base:robust" name="base model robust" stroke="var(--muted)" dot={{ r: 5, fill: 'var(--surface)', strokeWidth: 2 }} isAnimationActive={false} />}
          {runs.flatMap((r) =>
            (['clean', 'robust'] as const).map((m) => (
              <Line
                key={accKey(r.id, m)}
                dataKey={accKey(r.id, m)}
                name={`${r.name} ${m}`}
                stroke={r.color}
                strokeWidth={2}
                strokeDasharray={m === 'robust' ? '6 3' : undefined}
                dot={false}
                activeDot={{ r: 3 }}
                connectNulls
                isAnimationActive={false}
              />
            )),
          )}
        </LineChart>
      </ResponsiveContainer>
    </div>
  )
}, sameAccuracyInputs)
