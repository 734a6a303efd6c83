// Chart rows and preview pixels: the data the page draws.

import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../src/core/config'
import { DEFAULT_SCHEDULE } from '../../src/core/schedule'
import { createRun } from '../../src/store/runs'
import { accuracySeries, downsample, mergeSeries, stepSeries } from '../../src/ui/charts/chartData'
import { fmtDuration, fmtLr } from '../../src/ui/shared/format'
import { linfDistance, perturbationRgba, rgbToRgba } from '../../src/ui/previews/pixels'
import { evalPoint } from '../store/helpers'

const mk = (id: string) => createRun({ id, number: 1, color: '#000', now: 0, config: DEFAULT_CONFIG, schedule: DEFAULT_SCHEDULE, base: { model: 'resnet20', source: '' } })

describe('chart data', () => {
  it('overlays runs on one x axis, each starting at its baseline point', () => {
    const a = { ...mk('a'), baseline: evalPoint(0, 0.9, 0.01), evals: [evalPoint(10, 0.8, 0.3)] }
    const b = { ...mk('b'), evals: [evalPoint(0, 0.91, 0.02), evalPoint(5, 0.85, 0.2), evalPoint(10, 0.82, 0.31)] }
    const rows = mergeSeries(accuracySeries([a, b], 'step'))
    expect(rows.map((r) => r.x)).toEqual([0, 5, 10])
    expect(rows[0]).toEqual({ x: 0, 'a:clean': 90, 'a:robust': 1, 'b:clean': 91, 'b:robust': 2 })
    expect(rows[1]['a:clean']).toBeUndefined()
    expect(rows[2]['b:robust']).toBeCloseTo(31, 10)
  })

  it('keeps NaN losses out of the chart as gaps and thins long histories', () => {
    const r = { ...mk('a'), steps: Array.from({ length: 1000 }, (_, i) => ({ step: i + 1, epoch: (i + 1) / 100, lr: i, loss: i === 999 ? NaN : 1 })) }
    const [loss] = stepSeries([r], 'epoch', 'loss', 100)
    expect(loss.points).toHaveLength(100)
    expect(loss.points[0]).toEqual({ x: 0.1, y: 1 })
    expect(loss.points.at(-1)).toEqual({ x: 10, y: 1 }) // the bucket mean skips the NaN
    const [lr] = stepSeries([r], 'step', 'lr', 100)
    expect(lr.points.at(-1)).toEqual({ x: 1000, y: 999 })
    expect(stepSeries([{ ...r, steps: [{ step: 1, epoch: 0, lr: 0.1, loss: NaN }] }], 'step', 'loss')[0].points[0].y).toBeNull()
    expect(downsample([1, 2, 3], 5, (b) => b[0])).toEqual([1, 2, 3])
  })

  it('formats learning rates and durations', () => {
    expect(fmtLr(0.05)).toBe('0.05')
    expect(fmtLr(0.000125)).toBe('1.25e-4')
    expect(fmtLr(0)).toBe('0')
    expect(fmtDuration(850)).toBe('850 ms')
    expect(fmtDuration(245_000)).toBe('4 min 05 s')
    expect(fmtDuration(3_720_000)).toBe('1 h 02 min')
  })
})

describe('preview pixels', () => {
  it('converts RGB to opaque RGBA', () => {
    expect([...rgbToRgba(Uint8Array.of(1, 2, 3, 4, 5, 6))]).toEqual([1, 2, 3, 255, 4, 5, 6, 255])
  })

  it('amplifies the perturbation so ±eps spans the range around grey', () => {
    const clean = Uint8Array.of(100, 100, 100, 0, 255, 50)
    const adv = Uint8Array.of(108, 92, 100, 4, 251, 50)
    expect([...perturbationRgba(clean, adv, 8)]).toEqual([255, 1, 128, 255, 192, 65, 128, 255])
    expect(linfDistance(clean, adv)).toBe(8)
  })
})
