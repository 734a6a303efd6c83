// Which tfjs kernels a PGD-7 training step spends its time in, on whatever backend is active:
// one warm-up step, then one step under tf.profile, summed per kernel name (and per kernel +
// input shapes). On WebGPU the kernel times come from timestamp queries where the device allows
// them (Dawn: 'enable-dawn-features=allow_unsafe_apis'); else they read 0 and only the wall
// time and the call counts tell.

import * as tf from '@tensorflow/tfjs-core'
import type { Model } from '../../src/core/model/resnet'
import { createRng } from '../../src/core/rng'
import { trainStep, type Stepper } from '../../src/core/train/step'
import { Sgd } from '../../src/core/train/sgd'
import type { HostBatch } from '../../src/core/data/batches'
import { PGD7 } from './workloads'

export interface KernelRow {
  kernel: string
  calls: number
  ms: number
  share: number // of the summed kernel time
}

export interface StepProfile {
  batch: number
  stepMs: number // wall time of the profiled step
  kernelMs: number // sum of all kernel times
  kernelCalls: number
  byKernel: KernelRow[]
  byKernelShape: (KernelRow & { shapes: string })[] // the 25 heaviest (kernel, input shapes) pairs
  backend: string
}

/** Sums kernel times per key, heaviest first (by count where no times were measured). */
function sumBy(entries: { key: string; ms: number }[], total: number): { key: string; calls: number; ms: number; share: number }[] {
  const m = new Map<string, { calls: number; ms: number }>()
  for (const e of entries) {
    const r = m.get(e.key) ?? { calls: 0, ms: 0 }
    r.calls++
    r.ms += e.ms
    m.set(e.key, r)
  }
  return [...m].map(([key, r]) => ({ key, ...r, share: total > 0 ? r.ms / total : 0 })).sort((a, b) => b.ms - a.ms || b.calls - a.calls)
}

export async function profilePgdStep(model: Model, batch: HostBatch): Promise<StepProfile> {
  const s: Stepper = { model, sgd: new Sgd(model.trainable, 0.9, 5e-4), rng: createRng(1) }
  await trainStep(s, batch, PGD7, 0.01) // warm-up: first calls compile shaders / set up XNNPACK operators
  const t0 = performance.now()
  const info = await tf.profile(async () => {
    await trainStep(s, batch, PGD7, 0.01)
  })
  const stepMs = performance.now() - t0
  const kernels = await Promise.all(info.kernels.map(async (k) => ({ name: k.name, ms: Number(await k.kernelTimeMs) || 0, shapes: JSON.stringify(k.inputShapes) })))
  const kernelMs = kernels.reduce((a, k) => a + k.ms, 0)
  const byName = sumBy(
    kernels.map((k) => ({ key: k.name, ms: k.ms })),
    kernelMs,
  )
  const byShape = sumBy(
    kernels.map((k) => ({ key: `${k.name} ${k.shapes}`, ms: k.ms })),
    kernelMs,
  )
  s.sgd.dispose()
  return {
    batch: batch.y.length,
    stepMs,
    kernelMs,
    kernelCalls: kernels.length,
    backend: tf.getBackend(),
    byKernel: byName.map(({ key, ...r }) => ({ kernel: key, ...r })),
    byKernelShape: byShape.slice(0, 25).map(({ key, ...r }) => ({ kernel: key.split(' ')[0], shapes: key.slice(key.indexOf(' ') + 1), ...r })),
  }
}

/** The profile as a few lines of text: totals, then the heaviest kernels. */
export function formatProfile(p: StepProfile, top = 15): string[] {
  const lines = [`PGD-7 step on ${p.backend}, batch ${p.batch}: ${p.stepMs.toFixed(0)} ms wall, ${p.kernelMs.toFixed(0)} ms in ${p.kernelCalls} kernel calls`]
  for (const r of p.byKernel.slice(0, top)) lines.push(`  ${r.kernel.padEnd(24)} ${String(r.calls).padStart(5)} calls ${r.ms.toFixed(1).padStart(8)} ms ${(100 * r.share).toFixed(1).padStart(5)} %`)
  return lines
}
