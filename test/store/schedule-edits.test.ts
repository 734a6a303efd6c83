// Editing the curve can only give schedules the trainer accepts (scheduleProblems is empty).

import { describe, expect, it } from 'vitest'
import { MAX_POINTS, PRESETS, lrMultiplier, scheduleProblems, type ControlPoint } from '../../src/core/schedule'
import { insertPoint, movePoint, nudgePoint, removePoint } from '../../src/store/scheduleEdits'
import { createRng } from '../../src/core/rng'

const base: ControlPoint[] = [
  { t: 0, y: 0 },
  { t: 0.5, y: 1 },
  { t: 0.7, y: 0.1 },
  { t: 1, y: 0 },
]

describe('schedule edits', () => {
  it('pins the ends to t=0 and t=1: they move only vertically', () => {
    expect(movePoint(base, 0, { t: 0.3, y: 0.4 })[0]).toEqual({ t: 0, y: 0.4 })
    expect(movePoint(base, 3, { t: 0.2, y: 2 })[3]).toEqual({ t: 1, y: 1 })
  })

  it('keeps a point between its neighbours and inside [0,1]', () => {
    expect(movePoint(base, 1, { t: 0.9, y: -1 })[1]).toEqual({ t: 0.7, y: 0 })
    expect(movePoint(base, 2, { t: 0.1, y: 0.5 })[2]).toEqual({ t: 0.5, y: 0.5 })
    expect(nudgePoint(base, 1, 0.01, 0.05)[1]).toEqual({ t: 0.51, y: 1 })
  })

  it('inserts in t order, never at the pinned ends, at most MAX_POINTS', () => {
    const r = insertPoint(base, { t: 0.6, y: 0.5 })!
    expect(r.index).toBe(2)
    expect(r.points.map((p) => p.t)).toEqual([0, 0.5, 0.6, 0.7, 1])
    expect(insertPoint(base, { t: 0, y: 0.5 })).toBeNull()
    expect(insertPoint(base, { t: 1, y: 0.5 })).toBeNull()
    let pts = base
    for (let k = 0; pts.length < MAX_POINTS; k++) pts = insertPoint(pts, { t: 0.01 + k * 0.001, y: 0.5 })!.points
    expect(insertPoint(pts, { t: 0.9, y: 0.5 })).toBeNull()
  })

  it('removes interior points only', () => {
    expect(removePoint(base, 0)).toEqual(base)
    expect(removePoint(base, 3)).toEqual(base)
    expect(removePoint(base, 2)).toEqual([base[0], base[1], base[3]])
    expect(removePoint(PRESETS.constant.points, 1)).toEqual(PRESETS.constant.points)
  })

  it('any sequence of edits leaves a valid schedule (randomised)', () => {
    const rng = createRng(7)
    let pts: ControlPoint[] = PRESETS['step-decay'].points
    for (let k = 0; k < 2000; k++) {
      const op = Math.floor(rng.next() * 4)
      const i = Math.floor(rng.next() * pts.length)
      const p = { t: rng.next() * 1.4 - 0.2, y: rng.next() * 1.4 - 0.2 }
      if (op === 0) pts = movePoint(pts, i, p)
      else if (op === 1) pts = nudgePoint(pts, i, p.t - 0.5, p.y - 0.5)
      else if (op === 2) pts = insertPoint(pts, p)?.points ?? pts
      else pts = removePoint(pts, i)
      // The edits never make every y zero only by chance of the test; check the structural rules.
      expect(scheduleProblems(pts).filter((m) => !m.includes('zero everywhere'))).toEqual([])
    }
  })

  it('a moved point is on the curve the trainer evaluates', () => {
    const pts = movePoint(base, 1, { t: 0.4, y: 0.8 })
    expect(lrMultiplier(pts, 0.4)).toBeCloseTo(0.8, 12)
    expect(lrMultiplier(pts, 0.2)).toBeCloseTo(0.4, 12)
  })
})
