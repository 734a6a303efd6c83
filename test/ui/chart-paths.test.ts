// Live chart geometry: scales, the loss path's gaps, the LR's step-before shape, the data's y
// extent and the hover's nearest x.

import { describe, expect, it } from 'vitest'
import { linePath, linearScale, nearestIndex, stepBeforePath, yExtent } from '../../src/ui/charts/paths'

// x: [0, 10] → [50, 150] px; y: [0, 1] → [100, 0] px (SVG y grows downwards).
const sx = linearScale(0, 10, 50, 150)
const sy = linearScale(0, 1, 100, 0)

describe('chart paths', () => {
  it('scales linearly, flipping y, and maps a zero-width domain to the range start', () => {
    expect([sx(0), sx(10), sx(2.5)]).toEqual([50, 150, 75])
    expect([sy(0), sy(1), sy(0.25)]).toEqual([100, 0, 75])
    expect(linearScale(3, 3, 10, 20)(3)).toBe(10)
  })

  it('draws the loss as straight segments with a gap at each missing value', () => {
    const pts = [
      { x: 0, y: 0.5 },
      { x: 1, y: 0.25 },
      { x: 2, y: null },
      { x: 3, y: NaN },
      { x: 4, y: 1 },
      { x: 5, y: 0 },
    ]
    expect(linePath(pts, sx, sy)).toBe('M50,50L60,75M90,0L100,100')
    expect(linePath([{ x: 1 / 3, y: 1 / 3 }], sx, sy)).toBe('M53.3,66.7')
    expect(linePath([], sx, sy)).toBe('')
  })

  it('draws the LR step-before: each value held over the span that ends at its x, missing ones bridged', () => {
    const pts = [
      { x: 0, y: 1 },
      { x: 1, y: 1 },
      { x: 2, y: 0.5 },
      { x: 3, y: null },
      { x: 4, y: 0 },
    ]
    // From x=0 at 1; at x=1 still 1; drop to 0.5 at x=1, held to x=2; drop to 0 at x=2, held to x=4.
    expect(stepBeforePath(pts, sx, sy)).toBe('M50,0H60V50H70V100H90')
  })

  it('finds the y extent over all runs, ignoring missing values', () => {
    expect(
      yExtent([
        {
          points: [
            { x: 0, y: 2.3 },
            { x: 1, y: null },
          ],
        },
        {
          points: [
            { x: 0, y: 1.7 },
            { x: 1, y: NaN },
            { x: 2, y: 2.1 },
          ],
        },
      ]),
    ).toEqual([1.7, 2.3])
    expect(yExtent([{ points: [{ x: 0, y: null }] }])).toEqual([NaN, NaN])
    expect(yExtent([])).toEqual([NaN, NaN])
  })

  it('picks the x nearest the pointer', () => {
    const xs = [0, 1, 2, 4, 8]
    expect(nearestIndex(xs, -3)).toBe(0)
    expect(nearestIndex(xs, 0.4)).toBe(0)
    expect(nearestIndex(xs, 0.6)).toBe(1)
    expect(nearestIndex(xs, 1.5)).toBe(1) // a tie goes to the earlier x
    expect(nearestIndex(xs, 3.1)).toBe(3)
    expect(nearestIndex(xs, 5.9)).toBe(3)
    expect(nearestIndex(xs, 6.1)).toBe(4)
    expect(nearestIndex(xs, 99)).toBe(4)
    expect(nearestIndex([5], 0)).toBe(0)
    expect(nearestIndex([], 0)).toBe(-1)
  })
})
