// The training attack shared with a real helper Web Worker in headless Chromium (WASM in both):
// PGD-2 training steps on real CIFAR-10 images give the same losses and weights as without the
// helper, and the helper attacked its half of every batch. Drives bench/page/index.html?task=shard-check.

import { describe, expect, it } from 'vitest'
import type { ShardCheck } from '../../bench/tasks/shard-check'
import { benchPageSession } from './helpers'

const page = benchPageSession()

describe('training attack with a helper worker (headless Chromium, WASM)', () => {
  it('gives the steps of the attack done in one piece, with the helper doing half of each batch', async () => {
    const r = await page.run<ShardCheck>({ task: 'shard-check', batch: 16 }, 200_000)
    expect(r.backend).toBe('wasm')
    expect(r.helperShards).toEqual([8, 8]) // two steps, half of the 16 images each
    expect(r.losses.every(Number.isFinite)).toBe(true)
    expect(r.losses).toEqual(r.lossesAlone)
    expect(r.weightChange).toBeGreaterThan(1e-4) // the steps did train
    expect(r.weightMaxAbsDiff).toBe(0)
  }, 230_000)
})
