// The learning-rate schedule editor: drag control points (mouse, pen, touch), double-click to
// add one, Delete to remove, arrow keys to move a focused point. The curve is drawn by
// sampling lrMultiplier, the function the trainer calls; the ends stay pinned at t=0 and t=1.

import { useMemo, useRef, useState, type KeyboardEvent, type MouseEvent, type PointerEvent } from 'react'
import { totalSteps as totalStepsOf } from '../core/config'
import { lrAt, type ControlPoint } from '../core/schedule'
import { canRemove } from '../store/scheduleEdits'
import { fmtEpoch, fmtLr } from './format'
import { insidePlot, pathD, sampleCurve, toModel, toPx, type Frame, type Px } from './geometry'
import { PresetBar } from './PresetBar'
import { ScheduleAxes } from './ScheduleAxes'
import { useActions, useApp } from './StoreContext'
import { useWidth } from './useWidth'

const HEIGHT = 240
const frame = (width: number): Frame => ({ width, height: HEIGHT, left: 58, right: 16, top: 34, bottom: 38 })

function svgPoint(svg: SVGSVGElement, e: { clientX: number; clientY: number }): Px {
  const m = svg.getScreenCTM()
  if (!m) return { x: 0, y: 0 }
  const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse())
  return { x: p.x, y: p.y }
}

export function ScheduleEditor() {
  const a = useActions()
  const pts = useApp((s) => s.schedule)
  const config = useApp((s) => s.config)
  const total = totalStepsOf(config)
  const svg = useRef<SVGSVGElement>(null)
  const box = useRef<HTMLDivElement>(null)
  const width = Math.max(280, useWidth(box, 420))
  const F = useMemo(() => frame(width), [width])
  const dragging = useRef<number | null>(null)
  const [selected, setSelected] = useState<number | null>(null)
  const [hover, setHover] = useState<number | null>(null) // t under the pointer
  const d = useMemo(() => pathD(F, sampleCurve(pts, 240)), [pts, F])
  const sel = selected !== null && selected < pts.length ? selected : null
  const describe = (p: ControlPoint) => `LR ${fmtLr(config.peakLr * p.y)} (${Math.round(p.y * 100)} % of peak) at epoch ${fmtEpoch(Number((p.t * config.epochs).toFixed(2)))}, step ${Math.round(p.t * total)}`

  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    const px = svgPoint(e.currentTarget, e)
    if (dragging.current !== null) return a.movePoint(dragging.current, toModel(F, px))
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
    const i = a.addPoint(toModel(F, px))
    if (i === null) a.notify('info', 'A point can be added strictly between the ends, up to 24 points.')
    else setSelected(i)
  }
  const onKeyDown = (e: KeyboardEvent, i: number) => {
    const big = e.shiftKey ? 10 : 1
    const moves: Record<string, [number, number]> = {
      ArrowUp: [0, 0.01 * big], ArrowDown: [0, -0.01 * big], ArrowLeft: [-0.01 * big, 0], ArrowRight: [0.01 * big, 0], PageUp: [0, 0.1], PageDown: [0, -0.1],
    }
    if (moves[e.key]) {
      e.preventDefault()
      a.nudgePoint(i, ...moves[e.key])
    } else if ((e.key === 'Delete' || e.key === 'Backspace') && canRemove(pts, i)) {
      e.preventDefault()
      a.removePoint(i)
      setSelected(Math.min(i, pts.length - 2))
    }
  }

  const hoverStep = hover === null ? null : Math.min(total - 1, Math.max(0, Math.floor(hover * total)))
  return (
    <section className="card schedule-card" aria-labelledby="schedule-title">
      <div className="card-head">
        <h2 id="schedule-title">Learning-rate schedule</h2>
        <PresetBar />
      </div>
      <div ref={box} className="schedule-box">
        <svg
          ref={svg}
          className="schedule-svg"
          viewBox={`0 0 ${F.width} ${F.height}`}
          width={F.width}
          height={F.height}
          role="group"
          aria-label="Learning-rate schedule: drag points, double-click to add one"
          data-testid="schedule-editor"
          onPointerMove={onPointerMove}
          onPointerUp={endDrag}
          onPointerCancel={endDrag}
          onPointerLeave={() => setHover(null)}
          onDoubleClick={onDoubleClick}
        >
          <ScheduleAxes f={F} peakLr={config.peakLr} epochs={config.epochs} totalSteps={total} />
          <path d={d} className="curve" data-testid="schedule-curve" />
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
                aria-valuemax={config.peakLr}
                aria-valuenow={config.peakLr * p.y}
                aria-valuetext={describe(p)}
                data-testid={`schedule-point-${i}`}
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
      <div className="schedule-foot">
        <span className="readout" aria-live="polite">
          {sel !== null ? `Point ${sel + 1}: ${describe(pts[sel])}` : hoverStep !== null ? `Step ${hoverStep + 1} of ${total} applies LR ${fmtLr(lrAt(pts, config.peakLr, hoverStep, total))}` : 'Drag points · double-click to add · Delete removes · arrows nudge (Shift: ×10)'}
        </span>
        <button className="btn btn-small" type="button" disabled={sel === null || !canRemove(pts, sel)} onClick={() => sel !== null && (a.removePoint(sel), setSelected(null))}>
          Remove point
        </button>
      </div>
    </section>
  )
}
