// Chart axis ticks: nice 1/2/5 steps that pad the data range, for losses, tiny learning rates
// and step/epoch axes, and sane answers for flat or non-finite ranges.

import { describe, expect, it } from 'vitest'
import { domainTicks, niceTicks } from '../../src/ui/charts/ticks'

const steps = (ts: number[]) => ts.slice(1).map((t, i) => Number((t - ts[i]).toPrecision(10)))

describe('niceTicks', () => {
  it('pads a loss range outward to the finest nice step that fits the count', () => {
    expect(niceTicks(1.83, 2.41, 5)).toEqual([1.8, 2, 2.2, 2.4, 2.6])
    expect(niceTicks(0.07, 0.93, 6)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1])
    expect(niceTicks(0, 156, 6)).toEqual([0, 50, 100, 150, 200])
    expect(niceTicks(-3, 7, 5)).toEqual([-5, 0, 5, 10])
    expect(niceTicks(2, 2.0001, 5)).toEqual([2, 2.00005, 2.0001])
  })

  it('covers the data, stays within the count, and steps by 1, 2 or 5 × 10^k', () => {
    for (const [lo, hi] of [
      [0.3, 17.2],
      [1e-6, 3e-4],
      [-42, -41.5],
      [0, 4],
      [12, 1563],
      [2.302, 2.306],
    ])
      for (const n of [2, 3, 5, 8]) {
        const ts = niceTicks(lo, hi, n)
        expect(ts.length, `${lo} ${hi} ${n}`).toBeLessThanOrEqual(n)
        expect(ts[0]).toBeLessThanOrEqual(lo)
        expect(ts.at(-1)).toBeGreaterThanOrEqual(hi)
        const ds = steps(ts)
        expect(new Set(ds).size).toBe(1)
        const mant = ds[0] / 10 ** Math.floor(Math.log10(ds[0]) + 1e-9)
        expect([1, 2, 5]).toContainEqual(Number(mant.toPrecision(6)))
      }
  })

  it('labels tiny learning rates without float noise', () => {
    expect(niceTicks(0, 1e-4, 5)).toEqual([0, 5e-5, 1e-4])
    expect(niceTicks(0, 1e-4, 6)).toEqual([0, 2e-5, 4e-5, 6e-5, 8e-5, 1e-4])
    expect(niceTicks(0, 3e-4, 4)).toEqual([0, 1e-4, 2e-4, 3e-4])
    expect(niceTicks(0, 0.05, 6)).toEqual([0, 0.01, 0.02, 0.03, 0.04, 0.05])
    const lrs = niceTicks(0, 7.3e-5, 5)
    expect(lrs.map(String)).toEqual(['0', '0.00002', '0.00004', '0.00006', '0.00008'])
  })

  it('gives a flat range a band around its value and survives non-finite bounds', () => {
    expect(niceTicks(0, 0, 5)).toEqual([0, 0.5, 1])
    expect(niceTicks(2.3, 2.3, 5)).toEqual([2, 2.2, 2.4, 2.6])
    expect(niceTicks(-1, -1, 5)).toEqual([-1.1, -1.05, -1, -0.95, -0.9])
    expect(niceTicks(NaN, 2, 5)).toEqual(niceTicks(2, 2, 5))
    expect(niceTicks(1, Infinity, 5)).toEqual(niceTicks(1, 1, 5))
    expect(niceTicks(NaN, NaN, 5)).toEqual([0, 0.5, 1])
    expect(niceTicks(5, 1, 5)).toEqual(niceTicks(1, 5, 5))
  })

  it('keeps integer axes integer with minStep 1', () => {
    expect(niceTicks(0, 4, 6, 1)).toEqual([0, 1, 2, 3, 4])
    expect(niceTicks(0, 2, 6, 1)).toEqual([0, 1, 2])
    expect(niceTicks(0, 2, 6)).toEqual([0, 0.5, 1, 1.5, 2])
  })
})

describe('domainTicks', () => {
  it('ends a fixed axis at its end, dropping a nice tick too close to it', () => {
    expect(domainTicks(0, 4, 6, 1)).toEqual([0, 1, 2, 3, 4])
    expect(domainTicks(0, 1563, 5, 1)).toEqual([0, 500, 1000, 1563]) // 1500 would overlap 1563
    expect(domainTicks(0, 1800, 5, 1)).toEqual([0, 500, 1000, 1500, 1800])
    expect(domainTicks(0, 1, 6)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1])
    expect(domainTicks(0, 1, 6, 1)).toEqual([0, 1])
    expect(domainTicks(0, 12.5, 6)).toEqual([0, 5, 12.5])
    expect(domainTicks(0.3, 4, 6, 1)).toEqual([1, 2, 3, 4])
  })

  it('gives a flat or broken domain a single tick or none', () => {
    expect(domainTicks(0, 0, 5)).toEqual([0])
    expect(domainTicks(2, NaN, 5)).toEqual([2])
    expect(domainTicks(NaN, 2, 5)).toEqual([])
  })
})
