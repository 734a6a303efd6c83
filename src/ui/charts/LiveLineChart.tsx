// A hand-drawn SVG line chart for the per-step series (loss, LR), which redraw at every step
// report: recharts 3 took tens of ms of main thread per redraw, this a fraction of one. It draws
// like the recharts charts beside it (dashed grid, 11 px muted ticks) and has a hover readout.

import { useMemo, useRef, useState, type PointerEvent } from 'react'
import type { Row, Series } from './chartData'
import { useWidth } from '../shared/useWidth'
import { linePath, linearScale, nearestIndex, stepBeforePath, yExtent } from './paths'
import { domainTicks, niceTicks } from './ticks'

/** `key` is the column of `rows` holding this series. */
export interface LiveSeries extends Series {
  name: string
  color: string
}

interface Props {
  series: readonly LiveSeries[]
  rows: readonly Row[] // the series merged by x, for the hover readout
  xEnd: number // the x domain is [0, xEnd]
  xLabel: string // 'step' or 'epoch', in the readout
  integerX: boolean // no fractional x ticks (steps)
  shape: 'linear' | 'stepBefore' // linear has gaps at missing values
  yFromZero: boolean
  tick: (v: number) => string // y tick labels
  fmt: (v: number) => string // readout values
  height?: number
  label?: string // what the chart shows, for screen readers
}

const M = { top: 8, right: 16, bottom: 34, left: 52 } // as the recharts charts: y axis 52 px wide, x axis 30 px tall
const num = (v: number) => String(Number(v.toPrecision(6)))

export function LiveLineChart({ series, rows, xEnd, xLabel, integerX, shape, yFromZero, tick, fmt, height = 180, label }: Props) {
  const ref = useRef<HTMLDivElement>(null)
  const width = useWidth(ref, 400)
  const [hover, setHover] = useState(-1) // index into rows
  const x0 = M.left
  const x1 = Math.max(x0 + 1, width - M.right)
  const y0 = height - M.bottom
  const y1 = M.top

  const yTicks = useMemo(() => {
    const [lo, hi] = yExtent(series)
    return yFromZero ? niceTicks(0, Number.isFinite(hi) ? Math.max(hi, 0) : 0, 6) : niceTicks(lo, hi, 6)
  }, [series, yFromZero])
  const xTicks = useMemo(() => domainTicks(0, xEnd, 6, integerX ? 1 : 0), [xEnd, integerX])
  const sx = useMemo(() => linearScale(0, xEnd, x0, x1), [xEnd, x0, x1])
  const sy = useMemo(() => linearScale(yTicks[0], yTicks[yTicks.length - 1], y0, y1), [yTicks, y0, y1])
  const paths = useMemo(() => series.map((s) => (shape === 'stepBefore' ? stepBeforePath : linePath)(s.points, sx, sy)), [series, shape, sx, sy])
  const xs = useMemo(() => rows.map((r) => r.x), [rows])

  const onMove = (e: PointerEvent<SVGSVGElement>) => {
    const box = e.currentTarget.getBoundingClientRect()
    const px = e.clientX - box.left
    const py = e.clientY - box.top
    const inside = px >= x0 - 4 && px <= x1 + 4 && py >= y1 && py <= y0
    setHover(inside ? nearestIndex(xs, (xEnd * (px - x0)) / (x1 - x0)) : -1)
  }
  const row = hover >= 0 && hover < rows.length ? rows[hover] : null
  const at = row ? series.flatMap((s) => (typeof row[s.key] === 'number' && Number.isFinite(row[s.key]) ? [{ s, y: row[s.key] as number }] : [])) : []
  const hx = row ? sx(row.x) : 0

  return (
    <div ref={ref} className="live-chart" style={{ height }}>
      <svg width={width} height={height} role="img" aria-label={label} onPointerMove={onMove} onPointerLeave={() => setHover(-1)}>
        <g className="chart-grid">
          {yTicks.map((v) => (
            <line key={`y${v}`} x1={x0} x2={x1} y1={sy(v)} y2={sy(v)} strokeDasharray="2 4" />
          ))}
          {xTicks.map((v) => (
            <line key={`x${v}`} x1={sx(v)} x2={sx(v)} y1={y1} y2={y0} strokeDasharray="2 4" />
          ))}
        </g>
        <g className="chart-ticks">
          {yTicks.map((v) => (
            <text key={`y${v}`} x={x0 - 8} y={sy(v)} dy="0.355em" textAnchor="end">
              {tick(v)}
            </text>
          ))}
          {xTicks.map((v) => (
            <text key={`x${v}`} x={sx(v)} y={y0 + 8} dy="0.71em" textAnchor="middle">
              {num(v)}
            </text>
          ))}
        </g>
        <path className="chart-axis" d={`M${x0},${y1}V${y0}H${x1}`} />
        {row && <line className="chart-cursor" x1={hx} x2={hx} y1={y1} y2={y0} />}
        {series.map((s, i) => (
          <path key={s.key} className="line-curve" d={paths[i]} stroke={s.color} data-run={s.key} />
        ))}
        {rows.length <= 2 && series.flatMap((s) => s.points.flatMap((p, k) => (p.y === null ? [] : [<circle key={`${s.key}${k}`} cx={sx(p.x)} cy={sy(p.y)} r={2.5} fill={s.color} />])))}
        {at.map(({ s, y }) => (
          <circle key={s.key} className="chart-active-dot" cx={hx} cy={sy(y)} r={3.5} fill={s.color} />
        ))}
      </svg>
      {row && at.length > 0 && (
        <div className={`chart-tip${hx > (x0 + x1) / 2 ? ' chart-tip-left' : ''}`} style={{ left: hx, top: y1 + 4 }} data-testid="chart-tip">
          <div className="chart-tip-label">
            {xLabel} {num(row.x)}
          </div>
          {at.map(({ s, y }) => (
            <div key={s.key} style={{ color: s.color }}>
              {s.name} : {fmt(y)}
            </div>
          ))}
        </div>
      )}
    </div>
  )
}
