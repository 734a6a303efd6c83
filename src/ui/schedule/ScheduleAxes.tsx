// Axes of a curve editor in real units: the curve's value (peak LR or ε_max × curve) on the
// left, epochs below, optimizer steps above, with a light grid. Tick labels keep clear of
// control points (radius ~6) sitting on the plot's edges.

import { ticksWithin, plotHeight, plotWidth, type Frame } from './geometry'

interface Props {
  f: Frame
  yMax: number // the value at the top of the plot
  yTitle: string
  fmtY: (v: number) => string
  epochs: number
  totalSteps: number
}

export function ScheduleAxes({ f, yMax, yTitle, fmtY, epochs, totalSteps }: Props) {
  // A zero maximum (no attack, ε = 0) has one tick, 0: the whole curve sits at 0.
  const top = yMax > 0 ? yMax : 1
  const x0 = f.left
  const x1 = f.width - f.right
  const y0 = f.height - f.bottom
  const y1 = f.top
  const yTicks = yMax > 0 ? ticksWithin(0, yMax, 4) : [0]
  const epochTicks = ticksWithin(0, epochs, Math.min(8, Math.max(1, epochs * 2)))
  const stepTicks = ticksWithin(0, totalSteps, 6).filter((s) => Number.isInteger(s))
  const xOf = (frac: number) => x0 + frac * plotWidth(f)
  const yOf = (frac: number) => y0 - frac * plotHeight(f)
  return (
    <g className="axes" aria-hidden="true">
      <rect x={x0} y={y1} width={x1 - x0} height={y0 - y1} className="plot-bg" />
      {yTicks.map((v) => (
        <g key={`y${v}`}>
          <line x1={x0} x2={x1} y1={yOf(v / top)} y2={yOf(v / top)} className="grid" />
          <text x={x0 - 10} y={yOf(v / top)} className="tick" textAnchor="end" dominantBaseline="middle">
            {fmtY(v)}
          </text>
        </g>
      ))}
      {epochTicks.map((e) => (
        <g key={`e${e}`}>
          <line x1={xOf(e / epochs)} x2={xOf(e / epochs)} y1={y1} y2={y0} className="grid" />
          <text x={xOf(e / epochs)} y={y0 + 17} className="tick" textAnchor="middle">
            {e}
          </text>
        </g>
      ))}
      {stepTicks.map((s) => (
        <text key={`s${s}`} x={xOf(s / totalSteps)} y={y1 - 10} className="tick tick-steps" textAnchor="middle">
          {s}
        </text>
      ))}
      <text x={(x0 + x1) / 2} y={f.height - 6} className="axis-label" textAnchor="middle">
        epoch
      </text>
      <text x={x1} y={y1 - 23} className="axis-label" textAnchor="end">
        optimizer step
      </text>
      <text transform={`translate(12 ${(y0 + y1) / 2}) rotate(-90)`} className="axis-label" textAnchor="middle">
        {yTitle}
      </text>
      <line x1={x0} x2={x1} y1={y0} y2={y0} className="axis" />
      <line x1={x0} x2={x0} y1={y1} y2={y0} className="axis" />
    </g>
  )
}
