// How the WASM backend spreads a run over the cores: XNNPACK threads first (up to 4 per worker),
// helper workers beyond that, and one single-threaded worker per core where threads are impossible.

import { describe, expect, it } from 'vitest'
import { cpuPlan, describeThreads } from '../../src/worker/cpuPlan'

describe('cpuPlan', () => {
  it('uses threads in the training worker alone up to 4 cores, then adds helpers', () => {
    const plans = [1, 2, 3, 4, 5, 6, 8, 12, 16, 64].map((n) => cpuPlan(n, true))
    expect(plans.map((p) => [p.workers, p.threadsPerWorker])).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
      [1, 4],
      [2, 2],
      [2, 3],
      [2, 4],
      [3, 4],
      [4, 4],
      [8, 8],
    ])
    // Never more threads than asked for.
    for (const [i, n] of [1, 2, 3, 4, 5, 6, 8, 12, 16, 64].entries()) expect(plans[i].workers * plans[i].threadsPerWorker).toBeLessThanOrEqual(n)
  })

  it('gives every core its own worker where WASM cannot run threads (no COOP/COEP)', () => {
    expect([1, 2, 4, 16].map((n) => cpuPlan(n, false))).toEqual([
      { workers: 1, threadsPerWorker: 1 },
      { workers: 2, threadsPerWorker: 1 },
      { workers: 4, threadsPerWorker: 1 },
      { workers: 8, threadsPerWorker: 1 },
    ])
  })

  it('treats a missing or odd core count as one', () => {
    for (const n of [undefined, 0, -3, 0.5]) expect(cpuPlan(n, true)).toEqual({ workers: 1, threadsPerWorker: 1 })
    expect(cpuPlan(2.7, true)).toEqual({ workers: 1, threadsPerWorker: 2 })
  })

  it('names the threads each worker got, for the backend badge', () => {
    expect(describeThreads([1])).toBe('one thread')
    expect(describeThreads([2])).toBe('2 threads')
    expect(describeThreads([1, 1])).toBe('2 threads: training worker + 1 attack helper')
    expect(describeThreads([4, 4, 4])).toBe('12 threads: training worker + 2 attack helpers, 4 threads each')
    expect(describeThreads([2, 1])).toBe('3 threads: training worker + 1 attack helper (2 + 1)')
  })
})
