// Per-step series of the selected runs: training loss or the learning rate actually applied.

import { useMemo } from 'react'
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { Run, XAxisUnit } from '../../store/types'
import { mergeSeries, stepSeries } from '../chartData'
import { fmtLr } from '../format'
import { axisProps, tooltipProps } from './chartStyle'

export function StepChart({ runs, unit, metric, title }: { runs: Run[]; unit: XAxisUnit; metric: 'loss' | 'lr'; title: string }) {
  const rows = useMemo(() => mergeSeries(stepSeries(runs, unit, metric)), [runs, unit, metric])
  const fmt = (v: unknown) => (typeof v === 'number' ? (metric === 'lr' ? fmtLr(v) : v.toFixed(3)) : String(v))
  const tick = (v: number) => (metric === 'lr' ? fmtLr(v) : String(Number(v.toPrecision(3))))
  return (
    <div className="chart" data-testid={`${metric}-chart`} data-points={rows.length}>
      <div className="chart-title">{title}</div>
      {rows.length === 0 && <div className="chart-empty">Appears when a run starts</div>}
      <ResponsiveContainer width="100%" height={180}>
        <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
          <CartesianGrid strokeDasharray="2 4" className="chart-grid" />
          <XAxis dataKey="x" type="number" domain={[0, rows.length ? 'dataMax' : 1]} allowDecimals={unit === 'epoch'} {...axisProps} />
          <YAxis width={52} domain={metric === 'lr' ? [0, 'auto'] : ['auto', 'auto']} tickFormatter={tick} {...axisProps} />
          <Tooltip {...tooltipProps} labelFormatter={(x) => `${unit} ${x}`} formatter={fmt} />
          {runs.map((r) => (
            <Line key={r.id} dataKey={`${r.id}:${metric}`} name={r.name} stroke={r.color} strokeWidth={1.6} dot={false} connectNulls={metric === 'lr'} isAnimationActive={false} type={metric === 'lr' ? 'stepAfter' : 'linear'} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  )
}
