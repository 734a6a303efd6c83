// Per-step series of the selected runs: training loss or the learning rate actually applied.

import { useMemo } from 'react'
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { Run, XAxisUnit } from '../../store/types'
import { mergeSeries, stepSeries, xAxisEnd, type Series } from '../chartData'
import { fmtLr } from '../format'
import { axisProps, tooltipProps } from './chartStyle'

// Step s (x = s) trains over the span (s − 1, s]: its LR is drawn over that span ('stepBefore'),
// from x = 0 for the first step, so the plot reads as the LR in force at every point of training.
// Charts with one or two rows get dots: a lone point draws no line.
const fromZero = (s: Series): Series => (s.points.length && s.points[0].x > 0 ? { ...s, points: [{ x: 0, y: s.points[0].y }, ...s.points] } : s)

export function StepChart({ runs, unit, metric, title }: { runs: Run[]; unit: XAxisUnit; metric: 'loss' | 'lr'; title: string }) {
  const rows = useMemo(() => mergeSeries(metric === 'lr' ? stepSeries(runs, unit, metric).map(fromZero) : stepSeries(runs, unit, metric)), [runs, unit, metric])
  const fmt = (v: unknown) => (typeof v === 'number' ? (metric === 'lr' ? fmtLr(v) : v.toFixed(3)) : String(v))
  const tick = (v: number) => (metric === 'lr' ? fmtLr(v) : String(Number(v.toPrecision(3))))
  return (
    <div className="chart" data-testid={`${metric}-chart`} data-points={rows.length}>
      <div className="chart-title">{title}</div>
      {rows.length === 0 && <div className="chart-empty">Appears when a run starts</div>}
      <ResponsiveContainer width="100%" height={180}>
        <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
          <CartesianGrid strokeDasharray="2 4" className="chart-grid" />
          <XAxis dataKey="x" type="number" domain={[0, xAxisEnd(runs, unit)]} allowDecimals={unit === 'epoch'} {...axisProps} />
          <YAxis width={52} domain={metric === 'lr' ? [0, 'auto'] : ['auto', 'auto']} tickFormatter={tick} {...axisProps} />
          <Tooltip {...tooltipProps} labelFormatter={(x) => `${unit} ${x}`} formatter={fmt} />
          {runs.map((r) => (
            <Line key={r.id} dataKey={`${r.id}:${metric}`} name={r.name} stroke={r.color} strokeWidth={1.6} dot={rows.length <= 2 ? { r: 2.5, fill: r.color } : false} connectNulls={metric === 'lr'} isAnimationActive={false} type={metric === 'lr' ? 'stepBefore' : 'linear'} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  )
}
