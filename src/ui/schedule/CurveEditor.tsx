// An editable curve over training progress (the LR schedule, the ε curve): drag control points
// (mouse, pen, touch), double-click to add one, Delete to remove, arrow keys to move a focused
// point. The curve is drawn by sampling curveAt, the function the trainer calls. The edits
// (store/scheduleEdits.ts) keep every point inside [0, 1] × [0, max], the ends pinned at t=0 and
// t=1 and at least two points, so the editor can only produce curves the trainer accepts.

import { useMemo, useRef, useState, type KeyboardEvent, type MouseEvent, type PointerEvent, type ReactNode } from 'react'
import { curveAt, progressAt, type ControlPoint } from '../../core/schedule'
import { canRemove, insertPoint, movePoint, nudgePoint, removePoint } from '../../store/scheduleEdits'
import { fmtEpoch } from '../shared/format'
import { insidePlot, pathD, sampleCurve, toModel, toPx, type Frame, type Px } from './geometry'
import { ScheduleAxes } from './ScheduleAxes'
import { useActions } from '../shared/StoreContext'
import { useWidth } from '../shared/useWidth'

/** The y axis in real units: y = 1 of the curve is `max` (the peak LR, ε_max). */
export interface CurveAxis {
  max: number
  title: string // axis title, e.g. 'learning rate', 'ε (/255)'
  name: string // in readouts, e.g. 'LR', 'ε'
  ofMax: string // what `max` is called, e.g. 'peak', 'ε_max'
  fmt: (v: number) => string // tick labels
  unit?: string // after values in readouts, e.g. '/255'
}

interface Props {
  id: string // prefix of test ids and element ids: 'schedule', 'eps'
  title: string
  curve: readonly ControlPoint[]
  axis: CurveAxis
  epochs: number
  totalSteps: number
  onChange: (points: ControlPoint[]) => void
  presets?: ReactNode
  note?: ReactNode // under the plot, e.g. why the curve has no effect
  height?: number
  className?: string
}

function svgPoint(svg: SVGSVGElement, e: { clientX: number; clientY: number }): Px {
  const m = svg.getScreenCTM()
  if (!m) return { x: 0, y: 0 }
  const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse())
  return { x: p.x, y: p.y }
}

export function CurveEditor({ id, title, curve: pts, axis, epochs, totalSteps: total, onChange, presets, note, height = 240, className = '' }: Props) {
  const a = useActions()
  const box = useRef<HTMLDivElement>(null)
  const width = Math.max(280, useWidth(box, 420))
  const F = useMemo<Frame>(() => ({ width, height, left: 58, right: 16, top: 34, bottom: 38 }), [width, height])
  const dragging = useRef<number | null>(null)
  const [selected, setSelected] = useState<number | null>(null)
  const [hover, setHover] = useState<number | null>(null) // t under the pointer
  const d = useMemo(() => pathD(F, sampleCurve(pts, 240)), [pts, F])
  const sel = selected !== null && selected < pts.length ? selected : null
  const value = (v: number) => `${axis.fmt(v)}${axis.unit ?? ''}`
  const describe = (p: ControlPoint) =>
    `${axis.name} ${value(axis.max * p.y)} (${Math.round(p.y * 100)} % of ${axis.ofMax}) at epoch ${fmtEpoch(Number((p.t * epochs).toFixed(2)))}, step ${Math.round(p.t * total)}`
  const remove = (i: number) => {
    if (!canRemove(pts, i)) return
    onChange(removePoint(pts, i))
    setSelected(Math.min(i, pts.length - 2))
  }

  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    const px = svgPoint(e.currentTarget, e)
    if (dragging.current !== null) return onChange(movePoint(pts, dragging.current, toModel(F, px)))
    setHover(insidePlot(F, px) ? toModel(F, px).t : null)
  }
  const onPointDown = (e: PointerEvent<SVGGElement>, i: number) => {
    e.preventDefault() // no text selection, no focus-stealing scroll on touch
    e.stopPropagation()
    ;(e.currentTarget as Element).setPointerCapture?.(e.pointerId)
    dragging.current = i
    setSelected(i)
    ;(e.currentTarget as SVGGElement).focus()
  }
  const endDrag = () => (dragging.current = null)
  const onDoubleClick = (e: MouseEvent<SVGSVGElement>) => {
    const px = svgPoint(e.currentTarget, e)
    if (!insidePlot(F, px, 4) || (e.target as Element).closest('.cp')) return
    const r = insertPoint(pts, toModel(F, px))
    if (!r) return a.notify('info', 'A point can be added strictly between the ends, up to 24 points.')
    onChange(r.points)
    setSelected(r.index)
  }
  const onKeyDown = (e: KeyboardEvent, i: number) => {
    const big = e.shiftKey ? 10 : 1
    const moves: Record<string, [number, number]> = {
      ArrowUp: [0, 0.01 * big],
      ArrowDown: [0, -0.01 * big],
      ArrowLeft: [-0.01 * big, 0],
      ArrowRight: [0.01 * big, 0],
      PageUp: [0, 0.1],
      PageDown: [0, -0.1],
    }
    if (moves[e.key]) {
      e.preventDefault()
      onChange(nudgePoint(pts, i, ...moves[e.key]))
    } else if (e.key === 'Delete' || e.key === 'Backspace') {
      e.preventDefault()
      remove(i)
    }
  }

  const hoverStep = hover === null ? null : Math.min(total - 1, Math.max(0, Math.floor(hover * total)))
  const hint = 'Drag points · double-click to add · Delete removes · arrows nudge (Shift: ×10)'
  return (
    <section className={`card schedule-card ${className}`} aria-labelledby={`${id}-title`} data-testid={`${id}-card`}>
      <div className="card-head">
        <h2 id={`${id}-title`}>{title}</h2>
        {presets}
      </div>
      <div ref={box} className="schedule-box">
        <svg
          className="schedule-svg"
          viewBox={`0 0 ${F.width} ${F.height}`}
          width={F.width}
          height={F.height}
          role="group"
          aria-label={`${title}: drag points, double-click to add one`}
          data-testid={`${id}-editor`}
          onPointerMove={onPointerMove}
          onPointerUp={endDrag}
          onPointerCancel={endDrag}
          onPointerLeave={() => setHover(null)}
          onDoubleClick={onDoubleClick}
        >
          <ScheduleAxes f={F} yMax={axis.max} yTitle={axis.title} fmtY={axis.fmt} epochs={epochs} totalSteps={total} />
          <path d={d} className="curve" data-testid={`${id}-curve`} />
          {hoverStep !== null && dragging.current === null && (
            <line x1={toPx(F, { t: hover!, y: 0 }).x} x2={toPx(F, { t: hover!, y: 0 }).x} y1={F.top} y2={F.height - F.bottom} className="hover-line" />
          )}
          {pts.map((p, i) => {
            const q = toPx(F, p)
            const pinned = i === 0 || i === pts.length - 1
            return (
              <g
                key={i}
                className={`cp${sel === i ? ' selected' : ''}${pinned ? ' pinned' : ''}`}
                tabIndex={0}
                role="slider"
                aria-label={`Control point ${i + 1} of ${pts.length}${pinned ? (i === 0 ? ' (start, moves vertically)' : ' (end, moves vertically)') : ''}`}
                aria-valuemin={0}
                aria-valuemax={axis.max}
                aria-valuenow={axis.max * p.y}
                aria-valuetext={describe(p)}
                data-testid={`${id}-point-${i}`}
                onPointerDown={(e) => onPointDown(e, i)}
                onFocus={() => setSelected(i)}
                onKeyDown={(e) => onKeyDown(e, i)}
              >
                <circle cx={q.x} cy={q.y} r={16} className="cp-hit" />
                <circle cx={q.x} cy={q.y} r={pinned ? 5.5 : 6.5} className="cp-dot" />
              </g>
            )
          })}
        </svg>
      </div>
      {note}
      <div className="schedule-foot">
        <span className="readout" aria-live="polite" data-testid={`${id}-readout`}>
          {sel !== null
            ? `Point ${sel + 1}: ${describe(pts[sel])}`
            : hoverStep !== null
              ? `Step ${hoverStep + 1} of ${total} applies ${axis.name} ${value(axis.max * curveAt(pts, progressAt(hoverStep, total)))}`
              : hint}
        </span>
        <button
          className="btn btn-small"
          type="button"
          disabled={sel === null || !canRemove(pts, sel)}
          onClick={() => sel !== null && (remove(sel), setSelected(null))}
          data-testid={`${id}-remove-point`}
        >
          Remove point
        </button>
      </div>
    </section>
  )
}
