// Pure geometry of the schedule plots: schedule coordinates (t, y) ⇄ SVG pixels, axis ticks,
// and the curve path drawn by sampling lrMultiplier (the trainer's own function).

import { lrMultiplier, type ControlPoint, type Schedule } from '../../core/schedule'

export interface Frame {
  width: number
  height: number
  left: number // margins, px
  right: number
  top: number
  bottom: number
}

export interface Px {
  x: number
  y: number
}

export const plotWidth = (f: Frame) => f.width - f.left - f.right
export const plotHeight = (f: Frame) => f.height - f.top - f.bottom

export function toPx(f: Frame, p: ControlPoint): Px {
  return { x: f.left + p.t * plotWidth(f), y: f.top + (1 - p.y) * plotHeight(f) }
}

/** Pixel → schedule coordinates, not clamped (the edit functions clamp). */
export function toModel(f: Frame, px: Px): ControlPoint {
  return { t: (px.x - f.left) / plotWidth(f), y: 1 - (px.y - f.top) / plotHeight(f) }
}

export function insidePlot(f: Frame, px: Px, slack = 0): boolean {
  return px.x >= f.left - slack && px.x <= f.width - f.right + slack && px.y >= f.top - slack && px.y <= f.height - f.bottom + slack
}

/** "Nice" tick values (1, 2, 5 × 10^k steps) inside [min, max], at most about `count` of them (charts/ticks.ts pads outward instead). */
export function ticksWithin(min: number, max: number, count: number): number[] {
  if (!(max > min) || count < 1) return [min]
  const raw = (max - min) / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag
  const out: number[] = []
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)))
  return out
}

/**
 * Points of the curve in t order, exact at every control point: uniform samples plus each
 * point's t. Where several points share a t (a vertical step) all of them are passed through,
 * so the step is drawn vertical; elsewhere the value is lrMultiplier's.
 */
export function sampleCurve(pts: Schedule, samples = 200): ControlPoint[] {
  const ts = new Set<number>()
  for (let k = 0; k <= samples; k++) ts.add(k / samples)
  for (const p of pts) ts.add(p.t)
  const out: ControlPoint[] = []
  for (const t of [...ts].sort((a, b) => a - b)) {
    const at = pts.filter((p) => p.t === t)
    if (at.length > 1) for (const p of at) out.push({ t, y: p.y })
    else out.push({ t, y: lrMultiplier(pts, t) })
  }
  return out
}

export function pathD(f: Frame, curve: readonly ControlPoint[]): string {
  return curve
    .map((p, i) => {
      const { x, y } = toPx(f, p)
      return `${i ? 'L' : 'M'}${x.toFixed(2)},${y.toFixed(2)}`
    })
    .join('')
}

/** Index of the control point within `radius` px of `px`, nearest first; -1 when none. */
export function hitPoint(f: Frame, pts: readonly ControlPoint[], px: Px, radius: number): number {
  let best = -1
  let bestD = radius * radius
  pts.forEach((p, i) => {
    const q = toPx(f, p)
    const d = (q.x - px.x) ** 2 + (q.y - px.y) ** 2
    if (d <= bestD) {
      bestD = d
      best = i
    }
  })
  return best
}
