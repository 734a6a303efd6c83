// advtune's Winograd kernels on threaded WASM in headless Chromium: the helper workers share
// tfjs's memory and take grains of every kernel (forward, input gradient, weight gradient and its
// final sum), and every output is bit-identical to the one-thread output. Chromium has relaxed
// SIMD, so the fused multiply-add builds run; they and the plain builds both stay within float32
// rounding of XNNPACK's direct convolutions on the same inputs. Drives
// bench/page/index.html?task=conv-kernels at ResNet-20's three stride-1 shapes, batch 16.

import { describe, expect, it } from 'vitest'
import type { ConvKernelsPage } from '../../bench/tasks/conv-kernels'
import { benchPageSession } from './helpers'

const page = benchPageSession()

const winogradRows = (p: ConvKernelsPage) => p.rows.filter((r) => r.kernels === 'winograd')
const hashes = (p: ConvKernelsPage) => winogradRows(p).map((r) => `${r.shape} ${r.op} ${r.hash}`)

describe('Winograd kernels on threaded WASM (headless Chromium)', () => {
  it('give bit-identical outputs on 1 and 2 threads, the helper computing part of the work; fused multiply-add and plain builds within 2e-5 of XNNPACK', async () => {
    const one = await page.run<ConvKernelsPage>({ task: 'conv-kernels', backend: 'wasm-1t', threads: 1, batch: 16, reps: 1 }, 200_000)
    const two = await page.run<ConvKernelsPage>({ task: 'conv-kernels', backend: 'wasm', threads: 2, batch: 16, reps: 1 }, 200_000)
    const plain = await page.run<ConvKernelsPage>({ task: 'conv-kernels', backend: 'wasm-1t-nofma', threads: 1, batch: 16, reps: 1 }, 200_000)
    expect(one.adapter).toContain('Winograd 1 FMA')
    expect(two.adapter).toContain('Winograd 2 FMA')
    expect(plain.adapter).toContain('Winograd 1')
    expect(plain.adapter).not.toContain('FMA')
    expect(hashes(two)).toHaveLength(9)
    expect(hashes(two)).toEqual(hashes(one))
    // A different algorithm from XNNPACK's: equal hashes would mean the kernels did not run.
    expect(winogradRows(two).map((r) => r.hash)).not.toEqual(two.rows.filter((r) => r.kernels === 'xnnpack').map((r) => r.hash))
    expect(two.grainsByThread).toHaveLength(2)
    expect(two.grainsByThread[1]).toBeGreaterThan(0)
    for (const [build, p] of [
      ['fma', one],
      ['plain', plain],
    ] as const) {
      for (const r of winogradRows(p)) {
        console.log(`${build} ${r.shape} ${r.op}: ${r.relErrVsXnnpack!.toExponential(2)} of the largest value from XNNPACK`)
        expect(r.relErrVsXnnpack).toBeLessThan(2e-5)
      }
    }
    // Equal only on a CPU without fused multiply-add, where the engine lowers relaxed_madd to a multiply and an add.
    const fused = hashes(one).filter((h, i) => h !== hashes(plain)[i]).length
    console.log(`fused multiply-add builds differ from the plain ones in ${fused} of 9 outputs`)
  }, 600_000)
})
