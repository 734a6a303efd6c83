// Which tfjs kernels a PGD-7 training step spends its time in, on Node's WASM backend: one warm-up
// step, then one step under tf.profile, summed per kernel name (and per kernel + shape).
//   npx tsx scripts/bench/profile.ts --batch 128 --out profile.json

import { writeFileSync } from 'node:fs'
import * as tf from '@tensorflow/tfjs-core'
import { initWasmBackendNode } from '../../src/core/backend/wasm-node'
import { modelFromStateDict } from '../../src/core/model/weights'
import { createRng } from '../../src/core/rng'
import { evalForward } from '../../src/core/train/evaluate'
import { trainStep, type Stepper } from '../../src/core/train/finetune'
import { Sgd } from '../../src/core/train/sgd'
import { firstBatch, PGD7 } from '../../src/bench/workloads'
import { num, parseArgs, str } from './args'
import { loadStateDict, loadTestSet } from './assets'

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
  byKernel: KernelRow[]
  byKernelShape: (KernelRow & { shapes: string })[] // the 25 heaviest (kernel, input shapes) pairs
  backend: string
}

/** Sums kernel times per key, heaviest first, with each key's share of `total`. */
function sumBy(entries: { key: string; ms: number }[], total: number): { key: string; calls: number; ms: number; share: number }[] {
  const m = new Map<string, { calls: number; ms: number }>()
  for (const e of entries) {
    const r = m.get(e.key) ?? { calls: 0, ms: 0 }
    r.calls++
    r.ms += e.ms
    m.set(e.key, r)
  }
  return [...m].map(([key, r]) => ({ key, ...r, share: r.ms / total })).sort((a, b) => b.ms - a.ms)
}

export async function profilePgdStep(batchSize: number): Promise<StepProfile> {
  const model = modelFromStateDict(loadStateDict())
  const batch = firstBatch(loadTestSet(), batchSize)
  const s: Stepper = { model, sgd: new Sgd(model.trainable, 0.9, 5e-4), fwd: evalForward(model), rng: createRng(1) }
  await trainStep(s, batch, PGD7, 0.01) // warm-up: first calls allocate and set up XNNPACK operators
  const t0 = performance.now()
  const info = await tf.profile(async () => {
    await trainStep(s, batch, PGD7, 0.01)
  })
  const stepMs = performance.now() - t0
  const kernels = await Promise.all(
    info.kernels.map(async (k) => ({ name: k.name, ms: Number(await k.kernelTimeMs) || 0, shapes: JSON.stringify(k.inputShapes) })),
  )
  const kernelMs = kernels.reduce((a, k) => a + k.ms, 0)
  const byName = sumBy(kernels.map((k) => ({ key: k.name, ms: k.ms })), kernelMs)
  const byShape = sumBy(kernels.map((k) => ({ key: `${k.name} ${k.shapes}`, ms: k.ms })), kernelMs)
  s.sgd.dispose()
  return {
    batch: batchSize,
    stepMs,
    kernelMs,
    backend: tf.getBackend(),
    byKernel: byName.map(({ key, ...r }) => ({ kernel: key, ...r })),
    byKernelShape: byShape.slice(0, 25).map(({ key, ...r }) => ({ kernel: key.split(' ')[0], shapes: key.slice(key.indexOf(' ') + 1), ...r })),
  }
}

async function main() {
  const a = parseArgs(process.argv.slice(2))
  await initWasmBackendNode()
  const p = await profilePgdStep(num(a, 'batch', 128))
  const out = str(a, 'out', '')
  if (out) writeFileSync(out, JSON.stringify(p, null, 2))
  process.stderr.write(`[profile] PGD-7 step, batch ${p.batch}: ${p.stepMs.toFixed(0)} ms wall, ${p.kernelMs.toFixed(0)} ms in kernels\n`)
  for (const r of p.byKernel.slice(0, 15))
    process.stderr.write(`  ${r.kernel.padEnd(24)} ${String(r.calls).padStart(5)} calls ${r.ms.toFixed(0).padStart(7)} ms ${(100 * r.share).toFixed(1).padStart(5)} %\n`)
  if (!out) console.log(JSON.stringify(p, null, 2))
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().catch((e) => {
    console.error(e)
    process.exit(1)
  })
}
