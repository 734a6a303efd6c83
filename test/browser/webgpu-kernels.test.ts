// The WebGPU training kernels for real, in headless Chromium (SwiftShader's Vulkan adapter here):
// the chunked Conv2DBackpropFilter gives the CPU backend's weight gradients on every shape of
// bench/tasks/webgpu-kernel-check.ts, takes the shapes it should, and leaks no tensors; the fused
// SGD update gives the CPU backend's parameters; the attack's fused elementwise kernels and
// PGD's one-kernel update give the CPU op path's values; the fused train-mode BatchNorm gives
// plain ops' values and gradients.

import { describe, expect, it } from 'vitest'
import { FILTER_GRAD_CASES, type WebGpuKernelCheck } from '../../bench/tasks/webgpu-kernel-check'
import { benchPageSession } from './helpers'

const page = benchPageSession()

describe('WebGPU training kernels (headless Chromium)', () => {
  it('match the CPU backend: the weight gradient on every case (chunked where the channels allow), SGD, the fused attack and BatchNorm kernels', async () => {
    const r = await page.run<WebGpuKernelCheck>({ task: 'webgpu-kernels' }, 120_000)
    expect(r.started.backend).toBe('webgpu')
    expect(r.rows.map((row) => row.name)).toEqual(FILTER_GRAD_CASES.map((c) => c.name))
    for (const row of r.rows) {
      expect(row.maxAbs, row.name).toBeGreaterThan(0.5) // real sums of random products, not zeros
      // float32 sums of up to ~2,000 products of values in [-1, 1], in another order than the CPU's
      expect(row.maxAbsDiff, row.name).toBeLessThan(1e-4 * Math.max(1, row.maxAbs))
      expect(row.stockMaxAbsDiff, row.name).toBeLessThan(1e-4 * Math.max(1, row.maxAbs))
    }
    const byName = Object.fromEntries(r.rows.map((row) => [row.name, row]))
    expect(byName['stock fallback (6 outputs)'].chunked).toBe(false)
    for (const row of r.rows.filter((row) => row.name !== 'stock fallback (6 outputs)')) expect(row.chunked, row.name).toBe(true)
    expect(byName['stage 1, many chunks'].chunks).toBeGreaterThan(8) // chunk boundaries really crossed
    // The fused SGD update: really taken, and the CPU's parameters after three steps (two fused).
    expect(r.sgd.fusedKernelRan).toBe(true)
    // In place where a parameter owns its data (5 of the 6 fused updates), and never where another
    // tensor shares it: that tensor keeps its values.
    expect(r.sgd.inPlaceDispatches).toBe(5)
    expect(r.sgd.sharedUnchanged).toBe(true)
    expect(r.sgd.maxAbsChange).toBeGreaterThan(0.01)
    expect(r.sgd.maxAbsDiff).toBeLessThan(1e-6)
    // The attack's fused kernels and BatchNorm folding: taken, and the CPU op path's values (the
    // same float operations; the kernels that sum, to 1e-5 relative).
    expect(r.fusedOps.map((row) => row.name)).toEqual([
      'relu(a + b)',
      'dy · [y > 0]',
      '(a + b) · [y > 0]',
      'PGD-3 update',
      'folded filter',
      'folded shift',
      'relu(a + b), 5.2M elements',
      'conv input gradient · [y > 0]',
      '(conv input gradient, stride 2, + residual) · [y > 0]',
      'mean gradient · [y > 0]',
      'softmax − onehot',
      '(x − mean)/std',
    ])
    for (const row of r.fusedOps) {
      expect(row.kernelRan, row.name).toBe(true)
      expect(row.maxAbs, row.name).toBeGreaterThan(0.1)
      expect(row.tolerance, row.name).toBeLessThanOrEqual(1e-5 * Math.max(1, row.maxAbs))
      expect(row.maxAbsDiff, row.name).toBeLessThan(row.tolerance)
    }
    // Train-mode BatchNorm+ReLU(+residual), fused, against plain ops and autodiff on the CPU:
    // its output, batch statistics, all four gradients and the running-variance update.
    expect(r.batchNorm).toHaveLength(9) // the last: both running statistics, updated in place
    for (const row of r.batchNorm) {
      expect(row.kernelRan, row.name).toBe(true)
      expect(row.maxAbs, row.name).toBeGreaterThan(0.1)
      expect(row.maxAbsDiff, row.name).toBeLessThan(1e-5 * Math.max(1, row.maxAbs))
    }
    expect(r.numTensorsLeaked).toBe(0)
  }, 150_000)
})
