// Edits of the LR schedule's control points that can only produce valid schedules: the ends
// stay pinned at t=0 and t=1, a point never passes its neighbours, everything stays in [0,1].

import { MAX_POINTS, type ControlPoint } from '../core/schedule'

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v))

/** Moves point i to p, keeping it between its neighbours (ends only move vertically). */
export function movePoint(pts: readonly ControlPoint[], i: number, p: ControlPoint): ControlPoint[] {
  if (i < 0 || i >= pts.length || !Number.isFinite(p.t) || !Number.isFinite(p.y)) return [...pts]
  const last = pts.length - 1
  const t = i === 0 ? 0 : i === last ? 1 : clamp(p.t, pts[i - 1].t, pts[i + 1].t)
  const out = [...pts]
  out[i] = { t, y: clamp(p.y, 0, 1) }
  return out
}

/** Moves point i by (dt, dy): the keyboard's arrow keys. */
export function nudgePoint(pts: readonly ControlPoint[], i: number, dt: number, dy: number): ControlPoint[] {
  if (i < 0 || i >= pts.length) return [...pts]
  return movePoint(pts, i, { t: pts[i].t + dt, y: pts[i].y + dy })
}

/**
 * Inserts a point at p where it belongs in t order; returns the new list and the new point's
 * index, or null when the schedule is full or p is outside the open interval (0, 1).
 */
export function insertPoint(pts: readonly ControlPoint[], p: ControlPoint): { points: ControlPoint[]; index: number } | null {
  if (pts.length >= MAX_POINTS || !(p.t > 0 && p.t < 1) || !Number.isFinite(p.y)) return null
  let index = pts.findIndex((q) => q.t > p.t)
  if (index <= 0) index = pts.length - 1 // after every point with q.t <= p.t, before the pinned end
  const out = [...pts]
  out.splice(index, 0, { t: p.t, y: clamp(p.y, 0, 1) })
  return { points: out, index }
}

/** Removes an interior point; the pinned ends cannot be removed. */
export function removePoint(pts: readonly ControlPoint[], i: number): ControlPoint[] {
  if (i <= 0 || i >= pts.length - 1) return [...pts]
  return pts.filter((_, k) => k !== i)
}

export const canRemove = (pts: readonly ControlPoint[], i: number) => i > 0 && i < pts.length - 1
