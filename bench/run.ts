// npm run bench: advtune's speed side by side, in one run on this machine. ResNet-20 on real CIFAR-10
// test images: images/s for a forward pass, a clean training step, a PGD-7 training step and a
// PGD-20 robust evaluation on Node WASM, Chromium WASM (threaded, 1 thread, and the app's set-up:
// 1 thread per worker with attack helper workers on the other cores), WebGL and WebGPU,
// and the same workloads in PyTorch (CPU, same threads) with the advtune/PyTorch ratio; tensor
// count and bytes around the training steps; the PGD-7 step's kernel profile; and the real app's
// start-up, shipped JS and main-thread responsiveness while it trains.
//
//   npm run bench                     full run (~20 min on 2 cores)
//   npm run bench -- --quick          small batches, fewer repeats (~5 min)
//   npm run bench -- --parts node,chromium,torch,profile,memory,app   (default: all)
//   npm run bench -- --backends wasm,wasm-1t,wasm-workers,webgl,webgpu   (Chromium backends)
//     (also wasm-xnnpack, wasm-1t-xnnpack: every convolution on XNNPACK; wasm-nofma, wasm-1t-nofma:
//     advtune's kernels in their plain builds, without relaxed SIMD's fused multiply-add)
//   npm run bench -- --batch 64 --reps 5                       (CPU backends' batch and repeats)
//   npm run bench -- --mem-steps 1000                          (training steps of the memory soak)
//   npm run bench -- --torch-omp default                       (keep GOMP's spin-waiting; see below)
// Writes bench/out/results.json (and prints the tables).

import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import type { BenchBackend } from './tasks/backend'
import type { BackendRun } from './tasks/result'
import { WORKLOADS, type WorkloadPlan } from './tasks/workloads'
import { measureApp, type AppMetrics } from './node/app'
import { list, num, parseArgs } from './node/args'
import { OUT_DIR, REPO, TEST_BIN, WEIGHTS } from './node/assets'
import { launchChromium, runBenchPage, serveDev } from './node/browser'
import { memoryTable, ratios, ratioTable, speedTable } from './node/report'

const PARTS = ['node', 'chromium', 'torch', 'profile', 'memory', 'app'] as const
type Part = (typeof PARTS)[number]
const PYTHON = '/usr/bin/python3' // Debian's interpreter, the one with torch

const a = parseArgs(process.argv.slice(2))
const quick = a.quick === true
const parts = list(a, 'parts', [...PARTS]) as Part[]
const backends = list(a, 'backends', ['wasm', 'wasm-1t', 'wasm-workers', 'webgl', 'webgpu']) as BenchBackend[]
const nproc = cpus().length

// CPU backends run the app's batch of 128; SwiftShader's WebGL/WebGPU are ~30-100x slower, so
// they get small batches and one timed run (the table says so in its batch and runs columns).
const cpuPlan: WorkloadPlan = {
  batch: num(a, 'batch', quick ? 16 : 128),
  warmup: 1,
  reps: num(a, 'reps', quick ? 2 : 3),
  workloads: WORKLOADS,
  repsFor: { pgd20: quick ? 1 : 2 },
}
const slowPlans: Partial<Record<BenchBackend, WorkloadPlan>> = {
  webgl: { batch: quick ? 2 : 8, warmup: 1, reps: 1, workloads: WORKLOADS },
  webgpu: { batch: quick ? 1 : 2, warmup: 1, reps: 1, workloads: WORKLOADS },
}
const soak = { batch: 4, steps: num(a, 'mem-steps', quick ? 20 : 100), every: 10 }
// libgomp spin-waits at barriers: with another process on one of the 2 cores, 2-thread PyTorch ran
// 3-10x slower than with passive waiting (measured here). Passive waiting keeps PyTorch at its best
// on a shared machine, which makes the advtune/PyTorch ratios conservative.
const torchEnv: Record<string, string> = a['torch-omp'] === 'default' ? {} : { OMP_WAIT_POLICY: 'PASSIVE' }
const planFor = (b: BenchBackend) => slowPlans[b] ?? cpuPlan

const log = (s: string) => process.stderr.write(s + '\n')

function child(cmd: string, args: string[], tag: string, env: Record<string, string> = {}): Promise<void> {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } })
    p.on('error', rej)
    p.on('exit', (code) => (code === 0 ? res() : rej(new Error(`${tag} exited with ${code}`))))
  })
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T
const failed = (id: string, env: BackendRun['env'], plan: WorkloadPlan, e: unknown): BackendRun => ({
  id,
  env,
  backend: '',
  threads: null,
  plan,
  timings: [],
  memory: null,
  lastLoss: null,
  versions: {},
  error: e instanceof Error ? e.message : String(e),
})

async function nodeWasm(): Promise<BackendRun> {
  const out = join(OUT_DIR, 'node-wasm.json')
  const p = cpuPlan
  const args = ['--batch', p.batch, '--warmup', p.warmup, '--reps', p.reps, '--reps-pgd20', p.repsFor?.pgd20 ?? p.reps, '--out', out].map(String)
  log(`== Node WASM, batch ${p.batch}`)
  await child(process.execPath, ['--import', 'tsx', 'bench/node/node-wasm.ts', ...args], 'node-wasm')
  return readJson<BackendRun>(out)
}

async function torch(batches: number[]): Promise<BackendRun[]> {
  const runs: BackendRun[] = []
  for (const threads of [...new Set([1, nproc])]) {
    const out = join(OUT_DIR, `torch-${threads}t.json`)
    log(`== PyTorch CPU, ${threads} thread(s), batches ${batches.join(', ')}`)
    const args = [
      'bench/node/torch_bench.py',
      '--weights',
      WEIGHTS,
      '--data',
      TEST_BIN,
      '--threads',
      String(threads),
      '--batches',
      batches.join(','),
      '--warmup',
      '1',
      '--reps',
      quick ? '3' : '7',
      '--out',
      out,
    ]
    try {
      await child(PYTHON, args, 'torch_bench.py', torchEnv)
      runs.push(...readJson<BackendRun[]>(out))
    } catch (e) {
      runs.push(failed(`torch-cpu-${threads}t`, 'python', { ...cpuPlan }, e))
    }
  }
  return runs
}

async function chromiumRuns(): Promise<BackendRun[]> {
  const runs: BackendRun[] = []
  const served = await serveDev()
  const browser = await launchChromium()
  try {
    for (const b of backends) {
      const plan = planFor(b)
      log(`== Chromium ${b}, batch ${plan.batch}`)
      const params = {
        task: 'bench',
        backend: b,
        batch: plan.batch,
        warmup: plan.warmup,
        reps: plan.reps,
        workloads: plan.workloads.join(','),
        ...(plan.repsFor?.pgd20 ? { repsPgd20: plan.repsFor.pgd20 } : {}),
      }
      try {
        runs.push(await runBenchPage<BackendRun>(browser, served, params, { timeoutMs: 40 * 60_000, log, tag: b }))
      } catch (e) {
        log(`   ${b} failed: ${(e as Error).message.split('\n')[0]}`)
        runs.push(failed(`chromium-${b}`, 'chromium', plan, e))
      }
    }
  } finally {
    await browser.close()
    await served.close()
  }
  return runs
}

async function profile(): Promise<unknown> {
  const out = join(OUT_DIR, 'profile.json')
  log(`== kernel profile of a PGD-7 step, Node WASM, batch ${cpuPlan.batch}`)
  await child(process.execPath, ['--import', 'tsx', 'bench/node/profile.ts', '--batch', String(cpuPlan.batch), '--out', out], 'profile')
  return readJson(out)
}

async function memorySoak(): Promise<unknown> {
  const out = join(OUT_DIR, 'soak.json')
  log(`== memory over ${soak.steps} PGD-7 training steps, Node WASM, batch ${soak.batch}`)
  const args = ['--steps', soak.steps, '--batch', soak.batch, '--every', soak.every, '--out', out].map(String)
  await child(process.execPath, ['--import', 'tsx', 'bench/node/soak.ts', ...args], 'soak')
  return readJson(out)
}

function versions(): Record<string, string> {
  const pkg = (name: string) => readJson<{ version: string }>(join(REPO, 'node_modules', name, 'package.json')).version
  const v: Record<string, string> = { node: process.versions.node, tfjs: tf.version_core, vite: pkg('vite'), 'playwright-core': pkg('playwright-core') }
  try {
    v.chromium = execFileSync('/usr/lib/chromium/chromium', ['--version'], { encoding: 'utf8' }).trim()
  } catch {
    v.chromium = 'not found'
  }
  try {
    v.torch = execFileSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim()
  } catch {
    v.torch = 'not found'
  }
  return v
}

async function main() {
  mkdirSync(OUT_DIR, { recursive: true })
  const started = new Date()
  const machine = { nproc, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), loadavgStart: loadavg(), loadavgEnd: [] as number[] }
  log(`advtune bench (${quick ? 'quick' : 'full'}): parts ${parts.join(', ')}; ${nproc} cores (${machine.cpuModel}), load ${machine.loadavgStart.map((l) => l.toFixed(2)).join(' ')}`)
  const runs: BackendRun[] = []
  const errors: string[] = []
  let prof: unknown = null
  let soakResult: unknown = null
  let app: AppMetrics | null = null
  let appOneThread: AppMetrics | null = null
  const attempt = async (name: string, f: () => Promise<void>) => {
    try {
      await f()
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`)
      log(`!! ${name} failed: ${(e as Error).message}`)
    }
  }

  if (parts.includes('node')) await attempt('node', async () => void runs.push(await nodeWasm()))
  if (parts.includes('chromium')) await attempt('chromium', async () => void runs.push(...(await chromiumRuns())))
  if (parts.includes('torch')) {
    const batches = [...new Set([cpuPlan.batch, ...runs.map((r) => r.plan.batch), ...(parts.includes('chromium') ? backends.map((b) => planFor(b).batch) : [])])]
    await attempt('torch', async () => void runs.push(...(await torch(batches))))
  }
  if (parts.includes('profile')) await attempt('profile', async () => void (prof = await profile()))
  if (parts.includes('memory')) await attempt('memory', async () => void (soakResult = await memorySoak()))
  if (parts.includes('app')) await attempt('app', async () => void (app = await measureApp({ windowMs: quick ? 15_000 : 30_000, log })))
  // The same with one training thread (no attack helper): what the helpers cost the page's main thread.
  if (parts.includes('app') && !quick && nproc > 1) await attempt('app ?threads=1', async () => void (appOneThread = await measureApp({ windowMs: 30_000, log, search: '?threads=1' })))

  machine.loadavgEnd = loadavg()
  const rs = ratios(runs, nproc)
  const results = {
    date: started.toISOString(),
    mode: quick ? 'quick' : 'full',
    wallMs: Date.now() - started.getTime(),
    machine,
    versions: versions(),
    plans: { cpu: cpuPlan, ...slowPlans, soak },
    torchEnv,
    runs,
    ratios: rs,
    profile: prof,
    memory: soakResult,
    app,
    appOneThread,
    errors,
  }
  const out = join(OUT_DIR, 'results.json')
  writeFileSync(out, JSON.stringify(results, null, 2))

  console.log(
    `\nimages/s, median [slowest–fastest run], and × PyTorch CPU (same batch and threads); load ${machine.loadavgStart.map((l) => l.toFixed(1)).join('/')} → ${machine.loadavgEnd.map((l) => l.toFixed(1)).join('/')}`,
  )
  console.log(speedTable(runs, rs))
  console.log('\nadvtune ÷ PyTorch CPU, same batch and threads:\n' + ratioTable(rs))
  console.log('\n' + memoryTable(runs))
  if (prof) {
    const p = prof as { batch: number; stepMs: number; byKernel: { kernel: string; calls: number; ms: number; share: number }[] }
    console.log(`\nPGD-7 step kernels (Node WASM, batch ${p.batch}, ${p.stepMs.toFixed(0)} ms):`)
    for (const k of p.byKernel.slice(0, 10)) console.log(`  ${k.kernel.padEnd(22)} ${String(k.calls).padStart(5)} calls ${k.ms.toFixed(0).padStart(7)} ms ${(100 * k.share).toFixed(1).padStart(5)} %`)
  }
  if (soakResult) {
    const r = soakResult as { steps: number; batch: number; samples: { step: number; memory: { numTensors: number; numBytes: number; wasmHeapBytes?: number } }[] }
    const [f, l] = [r.samples[0], r.samples.at(-1)!]
    const mib = (n?: number) => (n == null ? '-' : `${(n / 2 ** 20).toFixed(1)} MiB`)
    console.log(
      `\nmemory over ${r.steps} PGD-7 steps (Node WASM, batch ${r.batch}): tensors ${f.memory.numTensors} → ${l.memory.numTensors}, tensor bytes ${mib(f.memory.numBytes)} → ${mib(l.memory.numBytes)}, WASM heap ${mib(f.memory.wasmHeapBytes)} → ${mib(l.memory.wasmHeapBytes)} (max ${Math.max(...r.samples.map((x) => x.memory.numTensors))} tensors)`,
    )
  }
  for (const am of [app, appOneThread] as (AppMetrics | null)[]) {
    if (!am) continue
    const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`
    console.log(
      `\napp${am.search ? ` ${am.search}` : ''} (${am.backend}: ${am.adapter}): JS shipped ${kb(am.shipped.jsBytes)} (${kb(am.shipped.jsGzipBytes)} gzip) in ${am.shipped.js.length} files, WASM ${kb(am.shipped.wasmBytes)}; page JS transferred before the baseline ${kb(am.pageJsTransferBytes)}`,
    )
    console.log(
      `  start-up: backend ready ${am.startup.backendReadyMs.toFixed(0)} ms, model ready ${am.startup.modelReadyMs.toFixed(0)} ms, baseline ${am.startup.baselineMs.toFixed(0)} ms after navigation`,
    )
    console.log(
      `  training (${am.training.steps} steps in ${(am.training.windowMs / 1000).toFixed(0)} s): longest main-thread task ${am.training.longestTaskMs.toFixed(0)} ms (${am.training.longTasks} over 50 ms), ${am.training.fps.toFixed(1)} frames/s, worst frame gap ${am.training.worstFrameGapMs.toFixed(0)} ms; idle: ${am.idle.fps.toFixed(1)} frames/s`,
    )
    const worst = [...am.training.tasks].sort((x, y) => y.durationMs - x.durationMs).slice(0, 6)
    if (worst.length) console.log(`  longest tasks (store updates inside): ${worst.map((t) => `${t.durationMs.toFixed(0)} ms [${t.updates.join('+') || '-'}]`).join(', ')}`)
  }
  if (errors.length) console.log(`\nfailed parts:\n  ${errors.join('\n  ')}`)
  console.log(`\nwrote ${out}`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
