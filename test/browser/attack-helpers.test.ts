// The training attack shared with a real helper Web Worker in headless Chromium (WASM in both):
// PGD-2 training steps on real CIFAR-10 images give the same losses and weights as without the
// helper, and the helper attacked its half of every batch. Drives bench.html?task=shard-check.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ShardCheck } from '../../src/bench/shard-check'
import { launchChromium, runBenchPage, serveDev, type Browser, type Served } from '../../scripts/bench/browser'

let served: Served
let browser: Browser
const log: string[] = []

beforeAll(async () => {
  served = await serveDev()
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await served?.close()
})

describe('training attack with a helper worker (headless Chromium, WASM)', () => {
  it('gives the steps of the attack done in one piece, with the helper doing half of each batch', async () => {
    const r = await runBenchPage<ShardCheck>(browser, served, { task: 'shard-check', batch: 16 }, { timeoutMs: 200_000, log: (s) => log.push(s) }).catch((e: Error) => {
      throw new Error(`${e.message}\npage log:\n${log.join('\n')}`)
    })
    expect(r.backend).toBe('wasm')
    expect(r.helperShards).toEqual([8, 8]) // two steps, half of the 16 images each
    expect(r.losses.every(Number.isFinite)).toBe(true)
    expect(r.losses).toEqual(r.lossesAlone)
    expect(r.weightChange).toBeGreaterThan(1e-4) // the steps did train
    expect(r.weightMaxAbsDiff).toBe(0)
  }, 230_000)
})
