// The engine on tfjs's WebGPU backend for real, in headless Chromium (SwiftShader's Vulkan adapter
// here, a GPU elsewhere): ResNet-20 from the real checkpoint on real CIFAR-10 test images gives
// the CPU backend's logits and attack gradient, two PGD-2 training steps train without leaking tensors, and two clean
// steps give the CPU backend's losses.
// Drives bench/page/index.html?task=engine-check (bench/tasks/engine-check.ts) through a Vite dev server.

import { describe, expect, it } from 'vitest'
import type { EngineCheck } from '../../bench/tasks/engine-check'
import { benchPageSession } from './helpers'

const page = benchPageSession()

describe('engine on the WebGPU backend (headless Chromium)', () => {
  it('matches the CPU backend and trains with a flat tensor count', async () => {
    // Batch 2: SwiftShader runs WebGPU ~100x slower than WASM, and compiles each shader once.
    const r = await page.run<EngineCheck>({ task: 'engine-check', backend: 'webgpu', batch: 2 }, 200_000)
    // The backend really in use, not a silent fallback to WebGL/WASM/CPU.
    expect(r.started.backend).toBe('webgpu')
    expect(r.backendAtEnd).toBe('webgpu')
    expect(r.started.adapter).not.toBe('')

    expect(r.logitsMaxAbs).toBeGreaterThan(1) // real logits of a trained net, not zeros
    expect(r.logitsMaxAbsDiff).toBeLessThan(1e-3)
    // The attack's hand-written input gradient with WebGPU's fused kernels: the CPU's gradient,
    // in 81 kernel calls (158 on the op path, 364 through tfjs's tape; 104 before the transposed
    // convs took their ReLU gradients, so under 90 means they did). A confident net's input
    // gradient is small (~5e-8 here) and comes from softmax − onehot near 1: judged relative.
    expect(r.inputGradMaxAbs).toBeGreaterThan(0)
    expect(r.inputGradMaxAbsDiff).toBeLessThan(1e-3 * r.inputGradMaxAbs)
    expect(r.inputGradKernels).toBeLessThan(90)

    expect(r.losses).toHaveLength(2)
    for (const [k, loss] of r.losses.entries()) {
      expect(Number.isFinite(loss)).toBe(true)
      // Same weights, images and attack seeds as on the CPU: the same loss up to float noise
      // (a gradient element near 0 may flip its sign; that moves one pixel by 2/255).
      expect(Math.abs(loss - r.cpuLosses[k])).toBeLessThan(1e-2 * Math.max(1, Math.abs(r.cpuLosses[k])))
    }
    // Clean steps have no sign to flip: the training arithmetic alone, to float noise.
    expect(r.cleanLosses).toHaveLength(3) // the third after the second's in-place update
    for (const [k, loss] of r.cleanLosses.entries()) expect(Math.abs(loss - r.cpuCleanLosses[k])).toBeLessThan(1e-4 * Math.max(1, Math.abs(r.cpuCleanLosses[k])))
    // ...taken through the fused kernels (BatchNorm+ReLU, the SGD update, the running averages):
    // 513 kernel calls per step on SwiftShader, against the CPU backend's 1,385 on the op paths.
    for (const k of ['AdvtuneBnRelu', 'AdvtuneBnDx', 'AdvtuneSgdMomentum', 'AdvtuneRunningStats']) expect(r.cleanStepKernels).toContain(k)
    expect(r.cleanStepInPlace).toBe(59 + 19) // every parameter's update and every BatchNorm's running statistics
    // The app's loop overlaps steps on WebGPU (every step after the first, which makes the momentum
    // buffers): the same losses as the CPU's steps one by one; and a batch with a NaN pixel at step
    // 4 stops the run there with the weights and BatchNorm statistics of three steps, bit for bit,
    // though step 5 was queued behind it (both updates gated off on the GPU).
    const p = r.pipeline
    expect(p.overlapped).toBe(4)
    expect(p.divergedAt).toBe(3)
    expect(p.losses).toHaveLength(3)
    for (const [k, loss] of p.losses.entries()) expect(Math.abs(loss - r.cpuCleanLosses[k])).toBeLessThan(1e-4 * Math.max(1, Math.abs(r.cpuCleanLosses[k])))
    expect(p.weightsMaxAbsDiff).toBe(0)
    expect(p.batchesTracked[0]).toBe(p.batchesTracked[1])
    expect(r.cleanStepKernels.length).toBeLessThan(r.cpuCleanStepKernels / 2)
    expect(r.weightChange).toBeGreaterThan(1e-4)
    expect(r.numTensors[1]).toBe(r.numTensors[0])
  }, 230_000) // ~40 s on an idle 2-core machine; the margin is for a loaded one
})
