// The GPU measurement's tfjs side: the benchmark workloads (the app's PGD-7 `trainStep` among
// them) on @tensorflow/tfjs-backend-webgpu in Node, through Dawn on the machine's Vulkan driver.
// Run by bench/gpu/run.sh from the bundle that bench/gpu/pack.ts makes; in the repo:
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json LD_LIBRARY_PATH=/usr/lib/chromium \
//   npx tsx bench/gpu/webgpu-step.ts --weights W --data test_batch.bin --batch 4 --reps 1
// --probe only prints the adapter (exit 2 without one, 3 if it is a software fallback and
// --require-hardware is given). The app's WebGPU training kernels are registered as in the app;
// --stock-kernels leaves tfjs's own, --ab W1,W2 re-runs those workloads on tfjs's own kernels
// afterwards (the A/B in one process), --profile adds one PGD-7 step's kernel profile,
// --submit-batch N sets how many dispatches tfjs queues before each GPU submit (tfjs: 15),
// --host-only, last, times PGD-7 steps again with every dispatch emptied (zero workgroups): what
// the host alone (tfjs, Dawn, the driver) spends on a step, to set against the full step.
// --check instead compares the GPU with tfjs's CPU backend: the app's WebGPU kernels on their test
// shapes, ResNet-20's logits and two PGD-2 training steps (the browser tests' checks, on a GPU).

import './dawn-navigator' // first: tfjs-backend-webgpu looks for navigator.gpu when it loads
import { readFileSync, writeFileSync } from 'node:fs'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-webgpu'
import { ensureGradients } from '../../src/core/backend/register-gradients'
import { registerWebGpuTrainingKernels, unregisterWebGpuTrainingKernels } from '../../src/core/backend/webgpu/kernels'
import { formatProfile, profilePgdStep, type StepProfile } from '../tasks/kernel-profile'
import { engineCheck } from '../tasks/engine-check'
import { webgpuKernelCheck } from '../tasks/webgpu-kernel-check'
import { readCheckpoint } from '../../src/core/checkpoint'
import { parseCifarBin, IMAGE_BYTES } from '../../src/core/data/cifar'
import { disposeModel } from '../../src/core/model/resnet'
import { modelFromStateDict } from '../../src/core/model/weights'
import type { BackendRun } from '../tasks/result'
import { firstBatch, runWorkloads, WORKLOADS, type Timing, type WorkloadName } from '../tasks/workloads'
import { list, num, parseArgs, str } from '../node/args'

interface AdapterLike {
  isFallbackAdapter?: boolean
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean }
  limits?: { maxStorageBufferBindingSize?: number; maxBufferSize?: number }
}

async function describeAdapter(): Promise<{ name: string; fallback: boolean } | null> {
  const gpu = (globalThis.navigator as unknown as { gpu: { requestAdapter(o?: object): Promise<AdapterLike | null> } }).gpu
  const a = await gpu.requestAdapter({ powerPreference: 'high-performance' })
  if (!a) return null
  const i = a.info ?? {}
  const name = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ') || 'unknown adapter'
  const fallback = Boolean(i.isFallbackAdapter ?? a.isFallbackAdapter) || /swiftshader|llvmpipe|lavapipe/i.test(name)
  return { name, fallback }
}

async function main() {
  const a = parseArgs(process.argv.slice(2))
  const adapter = await describeAdapter()
  const log = (s: string) => process.stderr.write(`[node-webgpu] ${s}\n`)
  log(`adapter: ${adapter ? `${adapter.name}${adapter.fallback ? ' (software)' : ''}` : 'none'}`)
  if (!adapter) return process.exit(2)
  if (a['require-hardware'] && adapter.fallback) return process.exit(3)
  if (a.probe) return process.exit(0)
  if (a.check) {
    const code = await check(str(a, 'weights', ''), str(a, 'data', ''), num(a, 'batch', 8), str(a, 'out', ''), log)
    await releaseWebGpu()
    return process.exit(code)
  }

  const plan = { batch: num(a, 'batch', 128), warmup: num(a, 'warmup', 1), reps: num(a, 'reps', 5), workloads: list(a, 'workloads', WORKLOADS) as WorkloadName[] }
  const t0 = performance.now()
  if (a['submit-batch']) tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', num(a, 'submit-batch', 15))
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs WebGPU backend failed to start')
  await tf.ready()
  await ensureGradients()
  if (tf.getBackend() !== 'webgpu') throw new Error(`tfjs runs on ${tf.getBackend()}, not webgpu`)
  const weights = str(a, 'weights', '')
  const model = modelFromStateDict(readCheckpoint(new Uint8Array(readFileSync(weights)), weights))
  const bytes = new Uint8Array(readFileSync(str(a, 'data', '')))
  const set = parseCifarBin(bytes.subarray(0, Math.min(bytes.length, plan.batch * (IMAGE_BYTES + 1))))
  const setupMs = performance.now() - t0
  const stockOnly = Boolean(a['stock-kernels'])
  if (!stockOnly) registerWebGpuTrainingKernels()
  log(
    `kernels: ${stockOnly ? "tfjs's own" : "the app's (chunked weight gradient, fused SGD, attack and BatchNorm kernels)"}; submit every ${tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE')} dispatches`,
  )
  const r = await runWorkloads(model, set, plan, { log })
  const ab = list(a, 'ab', []) as WorkloadName[]
  let stockKernels: Timing[] | undefined
  if (ab.length && !stockOnly) {
    log(`A/B: ${ab.join(', ')} again on tfjs's own kernels`)
    unregisterWebGpuTrainingKernels()
    stockKernels = (await runWorkloads(model, set, { ...plan, workloads: ab }, { log })).timings
    registerWebGpuTrainingKernels()
  }
  const profile = a.profile ? await profilePgdStep(model, firstBatch(set, plan.batch)) : undefined
  if (profile) for (const line of formatProfile(profile, 20)) log(line)
  let hostOnly: Timing | undefined
  if (a['host-only']) {
    emptyDispatches()
    hostOnly = (await runWorkloads(model, set, { ...plan, workloads: ['pgd7'] }, { log })).timings[0]
    log(`pgd7 with every dispatch emptied (the host's share): ${hostOnly.imagesPerSec.toPrecision(3)} images/s, ${median(hostOnly.ms).toFixed(1)} ms per step`)
  }
  disposeModel(model)
  const run: BackendRun & { kernels: string; stockKernels?: Timing[]; profile?: StepProfile; hostOnly?: Timing } = {
    id: 'node-webgpu',
    env: 'node',
    backend: tf.getBackend(),
    threads: null,
    adapter: adapter.name + (adapter.fallback ? ' (software)' : ''),
    plan,
    ...r,
    setupMs,
    versions: { node: process.versions.node, tfjs: tf.version_core },
    kernels: stockOnly ? 'tfjs' : 'advtune',
    ...(stockKernels ? { stockKernels } : {}),
    ...(profile ? { profile } : {}),
    ...(hostOnly ? { hostOnly } : {}),
  }
  const out = str(a, 'out', '')
  if (out) writeFileSync(out, JSON.stringify(run, null, 2))
  for (const t of r.timings) log(`${t.workload}: ${t.imagesPerSec.toPrecision(3)} images/s (median of ${t.ms.length}, batch ${t.batch})`)
  for (const t of stockKernels ?? []) log(`${t.workload} on tfjs's own kernels: ${t.imagesPerSec.toPrecision(3)} images/s`)
  await releaseWebGpu()
  process.exit(0)
}

// Dawn keeps the event loop alive after the work is done, and tearing it down at exit with the
// device still alive crashes (SIGSEGV): release the backend (which destroys the device) first.
async function releaseWebGpu(): Promise<void> {
  if (tf.findBackend('webgpu')) tf.removeBackend('webgpu')
  await new Promise((r) => setTimeout(r, 100))
}

const median = (ms: number[]) => [...ms].sort((x, y) => x - y)[Math.floor(ms.length / 2)]

/**
 * From here on every program tfjs records dispatches zero workgroups: the GPU does nothing (the
 * results are garbage) while the host does all its usual work. For --host-only, after the real runs.
 */
function emptyDispatches(): void {
  const b = tf.backend() as unknown as { recordAndSubmit(p: { dispatch: number[] }, ...rest: unknown[]): void }
  const record = b.recordAndSubmit.bind(b)
  b.recordAndSubmit = (p, ...rest) => {
    p.dispatch = [0, 0, 0]
    record(p, ...rest)
  }
}

/** The browser tests' WebGPU checks, run on this machine's adapter; 0 when every one passes. */
async function check(weights: string, data: string, batch: number, out: string, log: (s: string) => void): Promise<number> {
  const dict = readCheckpoint(new Uint8Array(readFileSync(weights)), weights)
  const bytes = new Uint8Array(readFileSync(data))
  const kernels = await webgpuKernelCheck()
  const engine = await engineCheck('webgpu', dict, parseCifarBin(bytes.subarray(0, batch * (IMAGE_BYTES + 1))), batch)
  const verdicts: [string, boolean][] = [
    ...kernels.rows.map((r): [string, boolean] => [
      `weight gradient, ${r.name}: max |Δ| ${r.maxAbsDiff.toExponential(2)} (of ${r.maxAbs.toFixed(1)}), ${r.chunked ? 'chunked' : 'stock'}`,
      r.maxAbsDiff < 1e-4 * Math.max(1, r.maxAbs),
    ]),
    [
      `fused SGD: ran ${kernels.sgd.fusedKernelRan}, ${kernels.sgd.inPlaceDispatches} in place, shared data kept ${kernels.sgd.sharedUnchanged}, max |Δ| ${kernels.sgd.maxAbsDiff.toExponential(2)}`,
      kernels.sgd.fusedKernelRan && kernels.sgd.inPlaceDispatches === 5 && kernels.sgd.sharedUnchanged && kernels.sgd.maxAbsDiff < 1e-6,
    ],
    // The same bounds as test/browser/webgpu-kernels.test.ts and webgpu-engine.test.ts.
    ...kernels.fusedOps.map((r): [string, boolean] => [
      `fused ${r.name}: ran ${r.kernelRan}, max |Δ| ${r.maxAbsDiff.toExponential(2)} (of ${r.maxAbs.toFixed(2)})`,
      r.kernelRan && r.maxAbsDiff < r.tolerance,
    ]),
    ...kernels.batchNorm.map((r): [string, boolean] => [
      `fused train-mode BatchNorm, ${r.name}: ran ${r.kernelRan}, max |Δ| ${r.maxAbsDiff.toExponential(2)} (of ${r.maxAbs.toFixed(2)})`,
      r.kernelRan && r.maxAbsDiff < 1e-5 * Math.max(1, r.maxAbs),
    ]),
    [`kernel check leaked ${kernels.numTensorsLeaked} tensors`, kernels.numTensorsLeaked === 0],
    [`ResNet-20 logits (${batch} images): max |Δ| ${engine.logitsMaxAbsDiff.toExponential(2)} (of ${engine.logitsMaxAbs.toFixed(1)})`, engine.logitsMaxAbsDiff < 1e-3],
    [
      `attack input gradient: max |Δ| ${engine.inputGradMaxAbsDiff.toExponential(2)} (of ${engine.inputGradMaxAbs.toExponential(2)}), ${engine.inputGradKernels} kernel calls`,
      engine.inputGradMaxAbsDiff < 1e-3 * engine.inputGradMaxAbs && engine.inputGradKernels < 90,
    ],
    ...engine.cleanLosses.map((l, k): [string, boolean] => [
      `clean training step ${k + 1}: loss ${l.toFixed(5)} vs CPU ${engine.cpuCleanLosses[k].toFixed(5)}`,
      Math.abs(l - engine.cpuCleanLosses[k]) < 1e-3 * Math.max(1, Math.abs(engine.cpuCleanLosses[k])),
    ]),
    [
      `clean step: ${engine.cleanStepKernels.length} kernel calls (CPU op paths ${engine.cpuCleanStepKernels}), ${engine.cleanStepInPlace} in place, fused BatchNorm, SGD and running averages taken`,
      ['AdvtuneBnRelu', 'AdvtuneBnDx', 'AdvtuneSgdMomentum', 'AdvtuneRunningStats'].every((k) => engine.cleanStepKernels.includes(k)) &&
        engine.cleanStepInPlace === 59 + 19 &&
        engine.cleanStepKernels.length < engine.cpuCleanStepKernels / 2,
    ],
    [
      `the app's loop: ${engine.pipeline.overlapped} of 5 steps overlapped, losses ${engine.pipeline.losses.map((l) => l.toFixed(5)).join(', ')}, ` +
        `NaN batch stopped it at step ${engine.pipeline.divergedAt === null ? 'none' : engine.pipeline.divergedAt + 1}, weights vs one by one max |Δ| ${engine.pipeline.weightsMaxAbsDiff.toExponential(2)}`,
      engine.pipeline.overlapped === 4 &&
        engine.pipeline.divergedAt === 3 &&
        engine.pipeline.weightsMaxAbsDiff === 0 &&
        engine.pipeline.batchesTracked[0] === engine.pipeline.batchesTracked[1] &&
        engine.pipeline.losses.every((l, k) => Math.abs(l - engine.cpuCleanLosses[k]) < 1e-3 * Math.max(1, Math.abs(engine.cpuCleanLosses[k]))),
    ],
    [`tensors after steps 1 and 2: ${engine.numTensors.join(', ')}`, engine.numTensors[0] === engine.numTensors[1]],
  ]
  for (const [text, ok] of verdicts) log(`${ok ? 'ok  ' : 'FAIL'} ${text}`)
  // Reported, not judged: PGD follows gradient signs, and elements near zero flip between float
  // implementations (tfjs's CPU and WASM backends too), so the adversarial batches differ a little.
  for (const [k, l] of engine.losses.entries()) log(`info PGD-2 training step ${k + 1}: loss ${l.toFixed(5)} vs CPU ${engine.cpuLosses[k].toFixed(5)}`)
  if (out) writeFileSync(out, JSON.stringify({ adapter: kernels.started.adapter, kernels, engine }, null, 2))
  return verdicts.every(([, ok]) => ok) ? 0 : 1
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
