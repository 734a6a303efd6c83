// advtune's Winograd kernels on threaded WASM in headless Chromium: the helper workers share
// tfjs's memory and take grains of every kernel (forward, input gradient, weight gradient and its
// final sum), and every output is bit-identical to the one-thread output. Drives
// bench/page/index.html?task=conv-kernels at ResNet-20's three stride-1 shapes, batch 16.

import { describe, expect, it } from 'vitest'
import type { ConvKernelsPage } from '../../bench/tasks/conv-kernels'
import { benchPageSession } from './helpers'

const page = benchPageSession()

describe('Winograd kernels on threaded WASM (headless Chromium)', () => {
  it('give bit-identical outputs on 1 and 2 threads, the helper computing part of the work', async () => {
    const one = await page.run<ConvKernelsPage>({ task: 'conv-kernels', backend: 'wasm-1t', threads: 1, batch: 16, reps: 1 }, 200_000)
    const two = await page.run<ConvKernelsPage>({ task: 'conv-kernels', backend: 'wasm', threads: 2, batch: 16, reps: 1 }, 200_000)
    expect(one.adapter).toContain('Winograd 1')
    expect(two.adapter).toContain('Winograd 2')
    const hashes = (p: ConvKernelsPage, kernels: string) => p.rows.filter((r) => r.kernels === kernels).map((r) => `${r.shape} ${r.op} ${r.hash}`)
    expect(hashes(two, 'winograd')).toHaveLength(9)
    expect(hashes(two, 'winograd')).toEqual(hashes(one, 'winograd'))
    // A different algorithm from XNNPACK's: equal hashes would mean the kernels did not run.
    expect(two.rows.filter((r) => r.kernels === 'winograd').map((r) => r.hash)).not.toEqual(two.rows.filter((r) => r.kernels === 'xnnpack').map((r) => r.hash))
    expect(two.grainsByThread).toHaveLength(2)
    expect(two.grainsByThread[1]).toBeGreaterThan(0)
  }, 420_000)
})
