// The bench page (bench/page/index.html): runs one task on one backend and leaves the result as JSON on
// `window.advtuneBench` for the driver (bench/run.ts, test/browser). Query parameters:
//   task=bench|engine-check|shard-check|webgpu-kernels|profile|conv-kernels  backend=webgpu|webgl|wasm|wasm-1t|wasm-workers|wasm-xnnpack|wasm-1t-xnnpack|wasm-nofma|wasm-1t-nofma|cpu
//   batch=128  warmup=1  reps=3  repsPgd20=N  workloads=forward,clean,pgd7,pgd20  threads=N (wasm)
//   helpers=N (wasm-workers; default: one per further core)

import * as tf from '@tensorflow/tfjs-core'
import { disposeModel } from '../../src/core/model/resnet'
import { modelFromStateDict } from '../../src/core/model/weights'
import { BENCH_BACKENDS, startBackend, type BenchBackend } from '../tasks/backend'
import type { AttackHelper } from '../../src/core/train/attackShards'
import { profilePgdStep } from '../tasks/kernel-profile'
import { timeConvKernels } from '../tasks/conv-kernels'
import { winogradGrains } from '../../src/core/backend/wasm/winograd'
import { startAttackHelpers } from '../../src/worker/attackPool'
import { cpuPlan } from '../../src/worker/cpuPlan'
import { engineCheck } from '../tasks/engine-check'
import { shardCheck } from '../tasks/shard-check'
import { webgpuKernelCheck } from '../tasks/webgpu-kernel-check'
import { loadTestImages, loadWeights } from './assets'
import type { BackendRun } from '../tasks/result'
import { firstBatch, runWorkloads, WORKLOADS, type WorkloadName, type WorkloadPlan } from '../tasks/workloads'

export interface PageState {
  status: 'running' | 'done' | 'error'
  result?: unknown
  error?: string
}

const state: PageState = { status: 'running' }
Object.assign(window, { advtuneBench: state })

const q = new URLSearchParams(location.search)
const int = (k: string, d: number) => (q.has(k) ? Number(q.get(k)) : d)
const logEl = document.getElementById('log')!
const log = (s: string) => {
  console.log(s) // the driver forwards the page's console to its terminal
  logEl.textContent += '\n' + s
}

function backendParam(): BenchBackend {
  const b = (q.get('backend') ?? 'wasm') as BenchBackend
  if (!BENCH_BACKENDS.includes(b)) throw new Error(`unknown backend ${b}; use one of ${BENCH_BACKENDS.join(', ')}`)
  return b
}

async function bench(): Promise<BackendRun> {
  const name = backendParam()
  const plan: WorkloadPlan = {
    batch: int('batch', 128),
    warmup: int('warmup', 1),
    reps: int('reps', 3),
    workloads: (q.get('workloads')?.split(',') ?? WORKLOADS) as WorkloadName[],
    ...(q.has('repsPgd20') ? { repsFor: { pgd20: int('repsPgd20', 1) } } : {}),
  }
  const t0 = performance.now()
  const started = await startBackend(name, q.has('threads') ? int('threads', 1) : undefined)
  // wasm-workers: one single-threaded worker per core, as the app's plan is without threads (cpuPlan.ts).
  const helpers = name === 'wasm-workers' ? await attackHelpers(int('helpers', cpuPlan(navigator.hardwareConcurrency, false).workers - 1)) : []
  const model = modelFromStateDict(await loadWeights())
  const set = await loadTestImages(plan.batch)
  const setupMs = performance.now() - t0
  const adapter = helpers.length ? `${started.adapter} + ${helpers.length} attack helper worker(s)` : started.adapter
  log(`backend ${started.backend} (${adapter}), cross-origin isolated: ${started.crossOriginIsolated}, batch ${plan.batch}`)
  const r = await runWorkloads(model, set, plan, { log, attackHelpers: helpers })
  disposeModel(model)
  helpers.forEach((h) => h.dispose())
  return {
    id: `chromium-${name}`,
    env: 'chromium',
    backend: started.backend,
    threads: (started.threads ?? 1) * (1 + helpers.length),
    adapter,
    plan,
    ...r,
    setupMs,
    versions: { tfjs: tf.version_core, userAgent: navigator.userAgent },
  }
}

/** Helper workers as the app starts them; fails loudly if any does not start (no silent fallback). */
async function attackHelpers(count: number): Promise<AttackHelper[]> {
  const { helpers, problems } = await startAttackHelpers(count)
  if (problems.length) throw new Error(`attack helpers: ${problems.join('; ')}`)
  return helpers
}

async function main(): Promise<unknown> {
  const task = q.get('task') ?? 'bench'
  if (task === 'bench') return bench()
  if (task === 'shard-check') {
    await startBackend('wasm-1t')
    return shardCheck(await attackHelpers(1), await loadWeights(), await loadTestImages(int('batch', 16)))
  }
  if (task === 'engine-check') {
    const batch = int('batch', 2)
    return engineCheck(backendParam(), await loadWeights(), await loadTestImages(batch), batch)
  }
  if (task === 'webgpu-kernels') return webgpuKernelCheck()
  if (task === 'profile') {
    // A PGD-7 step's kernels on a page backend (e.g. threaded WASM, which Node cannot run).
    const name = backendParam()
    await startBackend(name, q.has('threads') ? int('threads', 1) : undefined)
    const model = modelFromStateDict(await loadWeights())
    const batch = int('batch', 128)
    const p = await profilePgdStep(model, firstBatch(await loadTestImages(batch), batch))
    disposeModel(model)
    return p
  }
  if (task === 'conv-kernels') {
    // Each WASM convolution kernel alone, Winograd against XNNPACK, on a page backend's threads.
    const started = await startBackend(backendParam(), q.has('threads') ? int('threads', 1) : undefined)
    log(`backend ${started.backend} (${started.adapter})`)
    const rows = timeConvKernels(int('batch', 128), int('reps', 5), log)
    return { adapter: started.adapter, threads: started.threads, rows, grainsByThread: winogradGrains() }
  }
  throw new Error(`unknown task ${task}`)
}

main().then(
  (result) => {
    state.result = result
    state.status = 'done'
    log('done')
  },
  (e: unknown) => {
    state.error = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e)
    state.status = 'error'
    log(`error: ${state.error}`)
  },
)
