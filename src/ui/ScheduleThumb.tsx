// A run's frozen schedule as a small sparkline (the same sampled curve as the editor).

import { useMemo } from 'react'
import type { ControlPoint } from '../core/schedule'
import { pathD, sampleCurve, type Frame } from './geometry'

const F: Frame = { width: 84, height: 28, left: 2, right: 2, top: 3, bottom: 3 }

export function ScheduleThumb({ schedule, color }: { schedule: readonly ControlPoint[]; color: string }) {
  const d = useMemo(() => pathD(F, sampleCurve(schedule, 60)), [schedule])
  return (
    <svg className="thumb" viewBox={`0 0 ${F.width} ${F.height}`} width={F.width} height={F.height} role="img" aria-label="schedule">
      <line x1={F.left} x2={F.width - F.right} y1={F.height - F.bottom} y2={F.height - F.bottom} className="thumb-axis" />
      <path d={d} fill="none" stroke={color} strokeWidth={1.6} />
    </svg>
  )
}
