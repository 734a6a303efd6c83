// Schedule plot geometry: pixel mapping, ticks, and a drawn curve that is the trainer's curve.

import { describe, expect, it } from 'vitest'
import { PRESETS, lrAt, lrMultiplier, progressAt } from '../../src/core/schedule'
import { hitPoint, insidePlot, ticksWithin, pathD, sampleCurve, toModel, toPx, type Frame } from '../../src/ui/schedule/geometry'

const f: Frame = { width: 500, height: 240, left: 50, right: 10, top: 10, bottom: 30 }

describe('geometry', () => {
  it('maps schedule coordinates to pixels and back', () => {
    expect(toPx(f, { t: 0, y: 0 })).toEqual({ x: 50, y: 210 })
    expect(toPx(f, { t: 1, y: 1 })).toEqual({ x: 490, y: 10 })
    for (const p of [
      { t: 0.3, y: 0.7 },
      { t: 0.99, y: 0.01 },
    ]) {
      const q = toModel(f, toPx(f, p))
      expect(q.t).toBeCloseTo(p.t, 12)
      expect(q.y).toBeCloseTo(p.y, 12)
    }
    expect(insidePlot(f, { x: 49, y: 100 })).toBe(false)
    expect(insidePlot(f, { x: 49, y: 100 }, 2)).toBe(true)
  })

  it('makes nice ticks that cover the range', () => {
    expect(ticksWithin(0, 0.05, 5)).toEqual([0, 0.01, 0.02, 0.03, 0.04, 0.05])
    expect(ticksWithin(0, 2, 4)).toEqual([0, 0.5, 1, 1.5, 2])
    expect(ticksWithin(0, 156, 6)).toEqual([0, 50, 100, 150])
    expect(ticksWithin(0, 7, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(ticksWithin(3, 3, 5)).toEqual([3])
  })

  it('samples the curve with lrMultiplier, exactly through every control point', () => {
    for (const preset of Object.values(PRESETS)) {
      const curve = sampleCurve(preset.points, 50)
      for (let i = 1; i < curve.length; i++) expect(curve[i].t).toBeGreaterThanOrEqual(curve[i - 1].t)
      for (const p of preset.points) expect(curve.some((c) => c.t === p.t && c.y === p.y)).toBe(true)
      for (const c of curve) if (!preset.points.some((p) => p.t === c.t)) expect(c.y).toBe(lrMultiplier(preset.points, c.t))
    }
  })

  it('draws a step decay with vertical drops, not slopes', () => {
    const curve = sampleCurve(PRESETS['step-decay'].points, 10)
    const at05 = curve.filter((c) => c.t === 0.5).map((c) => c.y)
    expect(at05).toEqual([1, 0.1])
    // Every step the trainer takes lies on the drawn curve (its middle-of-step progress; step 18
    // of 37 sits exactly on the drop, where the trainer takes the value after it).
    const total = 37
    for (let s = 0; s < total; s++) {
      const t = progressAt(s, total)
      let i = 0
      while (i + 1 < curve.length && curve[i + 1].t <= t) i++
      const a = curve[i],
        b = curve[Math.min(i + 1, curve.length - 1)]
      const y = b.t === a.t ? a.y : a.y + ((t - a.t) / (b.t - a.t)) * (b.y - a.y)
      expect(0.1 * y).toBeCloseTo(lrAt(PRESETS['step-decay'].points, 0.1, s, total), 12)
    }
  })

  it('writes an SVG path and finds the point under the pointer', () => {
    const pts = PRESETS['slow-start-fast-decay'].points
    expect(
      pathD(f, [
        { t: 0, y: 0 },
        { t: 1, y: 1 },
      ]),
    ).toBe('M50.00,210.00L490.00,10.00')
    const p1 = toPx(f, pts[1])
    expect(hitPoint(f, pts, { x: p1.x + 3, y: p1.y - 3 }, 10)).toBe(1)
    expect(hitPoint(f, pts, { x: p1.x + 30, y: p1.y }, 10)).toBe(-1)
  })
})
