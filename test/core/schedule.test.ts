import { describe, expect, it } from 'vitest'
import { DEFAULT_SCHEDULE, lrAt, lrMultiplier, normalizeSchedule, PRESETS, progressAt, scheduleProblems } from '../../src/core/schedule'

describe('lrMultiplier', () => {
  it('passes through every control point and interpolates linearly between them', () => {
    const pts = [
      { t: 0, y: 0.2 },
      { t: 0.4, y: 1 },
      { t: 1, y: 0 },
    ]
    for (const p of pts) expect(lrMultiplier(pts, p.t)).toBeCloseTo(p.y, 12)
    expect(lrMultiplier(pts, 0.2)).toBeCloseTo(0.6, 12)
    expect(lrMultiplier(pts, 0.7)).toBeCloseTo(0.5, 12)
  })
  it('clamps progress outside [0, 1] to the end values', () => {
    expect(lrMultiplier(DEFAULT_SCHEDULE, -3)).toBe(DEFAULT_SCHEDULE[0].y)
    expect(lrMultiplier(DEFAULT_SCHEDULE, 7)).toBe(DEFAULT_SCHEDULE.at(-1)!.y)
  })
  it('makes a vertical step where two points share t', () => {
    const step = PRESETS['step-decay'].points
    expect(lrMultiplier(step, 0.4999)).toBeCloseTo(1, 6)
    expect(lrMultiplier(step, 0.5)).toBeCloseTo(0.1, 12)
    expect(lrMultiplier(step, 0.6)).toBeCloseTo(0.1, 12)
    expect(lrMultiplier(step, 0.9)).toBeCloseTo(0.01, 12)
  })
})

describe('lrAt', () => {
  it('samples the middle of every step, so a warm-up from 0 still trains at step 0', () => {
    expect(progressAt(0, 10)).toBe(0.05)
    expect(progressAt(9, 10)).toBe(0.95)
    expect(lrAt(PRESETS.constant.points, 0.1, 3, 10)).toBeCloseTo(0.1, 12)
    expect(lrAt(DEFAULT_SCHEDULE, 0.1, 0, 100)).toBeGreaterThan(0)
  })
  it('gives slow start, fast decay: warm-up longer than the decay to 10 % of peak', () => {
    const total = 1000
    const lrs = Array.from({ length: total }, (_, s) => lrAt(DEFAULT_SCHEDULE, 1, s, total))
    const peak = lrs.indexOf(Math.max(...lrs))
    const tenth = lrs.findIndex((v, s) => s > peak && v <= 0.1)
    expect(peak).toBeGreaterThan(tenth - peak)
    expect(lrs.at(-1)!).toBeLessThan(0.01)
  })
})

describe('normalizeSchedule and scheduleProblems', () => {
  it('sorts, pins the ends to t=0 and t=1 and clamps to the unit square', () => {
    const n = normalizeSchedule([
      { t: 0.8, y: 2 },
      { t: 0.1, y: -1 },
      { t: 0.5, y: 0.5 },
    ])
    expect(n).toEqual([
      { t: 0, y: 0 },
      { t: 0.5, y: 0.5 },
      { t: 1, y: 1 },
    ])
    expect(scheduleProblems(n)).toEqual([])
  })
  it('names what makes a schedule impossible', () => {
    expect(scheduleProblems([{ t: 0, y: 1 }]).join()).toMatch(/two control points/)
    expect(
      scheduleProblems([
        { t: 0, y: 0 },
        { t: 1, y: 0 },
      ]).join(),
    ).toMatch(/zero everywhere/)
    expect(
      scheduleProblems([
        { t: 0.2, y: 1 },
        { t: 1, y: 0 },
      ]).join(),
    ).toMatch(/first point/)
    expect(
      scheduleProblems([
        { t: 0, y: 1 },
        { t: 0.6, y: 1 },
        { t: 0.3, y: 1 },
        { t: 1, y: 1 },
      ]).join(),
    ).toMatch(/ordered/)
    expect(
      scheduleProblems([
        { t: 0, y: NaN },
        { t: 1, y: 1 },
      ]).join(),
    ).toMatch(/finite/)
  })
  it('accepts every preset', () => {
    for (const p of Object.values(PRESETS)) expect(scheduleProblems(p.points)).toEqual([])
  })
})
