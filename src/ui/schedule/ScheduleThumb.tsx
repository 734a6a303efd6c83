// A run's frozen curves as a small sparkline: the LR schedule solid, the ε curve dashed when it
// is not full ε throughout (the same sampled curves as the editors, each as a fraction of its max).

import { useMemo } from 'react'
import type { ControlPoint } from '../../core/schedule'
import { pathD, sampleCurve, type Frame } from './geometry'

const F: Frame = { width: 84, height: 28, left: 2, right: 2, top: 3, bottom: 3 }

export function ScheduleThumb({ schedule, epsCurve, color }: { schedule: readonly ControlPoint[]; epsCurve: readonly ControlPoint[] | null; color: string }) {
  const d = useMemo(() => pathD(F, sampleCurve(schedule, 60)), [schedule])
  const eps = useMemo(() => (epsCurve && epsCurve.some((p) => p.y !== 1) ? pathD(F, sampleCurve(epsCurve, 60)) : null), [epsCurve])
  return (
    <svg
      className="thumb"
      viewBox={`0 0 ${F.width} ${F.height}`}
      width={F.width}
      height={F.height}
      role="img"
      aria-label={eps ? 'LR schedule (solid) and ε curve (dashed)' : 'LR schedule'}
      data-testid="schedule-thumb"
    >
      <line x1={F.left} x2={F.width - F.right} y1={F.height - F.bottom} y2={F.height - F.bottom} className="thumb-axis" />
      <path d={d} fill="none" stroke={color} strokeWidth={1.6} />
      {eps && <path d={eps} fill="none" stroke={color} strokeWidth={1.2} strokeDasharray="3 2" opacity={0.8} data-testid="eps-thumb" />}
    </svg>
  )
}
