// The benchmark's timed workloads, one code path for Node, the bench page and the GPU script:
// a forward pass, a clean training step, a PGD-7 training step (the app's steps, through the
// app's StepPipeline: on WebGPU each timed run is 4 steps back to back, as the app's loop runs
// them, and its time per step) and a PGD-20 robust evaluation (the app's `evaluate`), each warm,
// timed over repeats.

import * as tf from '@tensorflow/tfjs-core'
import type { TrainAttack } from '../../src/core/config'
import type { EvalAttackOptions } from '../../src/core/attacks/linf'
import { gatherBatch, type HostBatch } from '../../src/core/data/batches'
import { head, type CifarSet } from '../../src/core/data/cifar'
import { forward, type Model } from '../../src/core/model/resnet'
import { createRng } from '../../src/core/rng'
import type { AttackHelper } from '../../src/core/train/attackShards'
import { evaluate } from '../../src/core/train/evaluate'
import { StepPipeline, type StepOutcome } from '../../src/core/train/pipeline'
import { trainStep, type Stepper } from '../../src/core/train/step'
import { Sgd } from '../../src/core/train/sgd'
import { median } from './stats'

export type WorkloadName = 'forward' | 'clean' | 'pgd7' | 'pgd20'
export const WORKLOADS: WorkloadName[] = ['forward', 'clean', 'pgd7', 'pgd20']

export const LABELS: Record<WorkloadName, string> = {
  forward: 'forward',
  clean: 'clean train step',
  pgd7: 'PGD-7 train step',
  pgd20: 'PGD-20 robust eval',
}

// The app's defaults: eps 8/255, step 2/255; training attacks start at a random point,
// the robust evaluation does not (deterministic, so points compare).
export const PGD7: TrainAttack = { kind: 'pgd', eps255: 8, stepSize255: 2, steps: 7 }
export const CLEAN: TrainAttack = { kind: 'none', eps255: 0, stepSize255: 2, steps: 1 }
export const PGD20: EvalAttackOptions = { kind: 'pgd', eps: 8 / 255, stepSize: 2 / 255, steps: 20, randomStart: false, restarts: 1 }
const LR = 0.01 // small enough that the repeats keep training a sane model
const OVERLAPPED = 4 // steps per timed run where they overlap (WebGPU)

export interface WorkloadPlan {
  batch: number
  // Untimed runs of each workload first: shader compilation, XNNPACK set-up, allocator growth. The
  // attack workloads warm up with a 1-iteration attack: the same kernels on the same shapes.
  warmup: number
  reps: number // timed runs of each workload
  workloads: WorkloadName[]
  repsFor?: Partial<Record<WorkloadName, number>> // fewer timed runs for the slowest workloads
}

export interface Timing {
  workload: WorkloadName
  batch: number
  ms: number[] // every timed run, in order
  medianMs: number
  imagesPerSec: number // batch / median time
  imagesPerSecMin: number // from the slowest run
  imagesPerSecMax: number // from the fastest run
  cpuMs?: number[] // process CPU time of each timed run, where the host can read it (Node)
}

export interface MemorySnapshot {
  numTensors: number
  numBytes: number
  numBytesInGPU?: number // WebGL/WebGPU: bytes the backend holds on the GPU
  wasmHeapBytes?: number // WASM: the module's linear memory (it only grows, so growth shows leaks)
}

export interface MemoryCheck {
  steps: number // training steps run between the two snapshots
  before: MemorySnapshot
  after: MemorySnapshot
}

export interface WorkloadResult {
  timings: Timing[]
  memory: MemoryCheck | null
  lastLoss: number | null // the last training loss: finite, or the numbers mean nothing
}

export type Log = (line: string) => void

/** Optional hooks of the host: a log line sink and a process CPU clock (ms), where there is one. */
export interface Host {
  log?: Log
  cpuNow?: () => number
  attackHelpers?: readonly AttackHelper[] // threads that take shares of the PGD attacks (the app's CPU set-up)
}

export function memorySnapshot(): MemorySnapshot {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number }
  const snap: MemorySnapshot = { numTensors: m.numTensors, numBytes: m.numBytes }
  if (typeof m.numBytesInGPU === 'number') snap.numBytesInGPU = m.numBytesInGPU
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8
  if (heap) snap.wasmHeapBytes = heap.byteLength
  return snap
}

export function toTiming(workload: WorkloadName, batch: number, ms: number[], cpuMs?: number[]): Timing {
  const med = median(ms)
  return {
    ...(cpuMs ? { cpuMs } : {}),
    workload,
    batch,
    ms,
    medianMs: med,
    imagesPerSec: (batch / med) * 1000,
    imagesPerSecMin: (batch / Math.max(...ms)) * 1000,
    imagesPerSecMax: (batch / Math.min(...ms)) * 1000,
  }
}

/**
 * Runs `warm` warm-up times, then `f` reps times; returns the timed runs' wall (and CPU)
 * milliseconds, per step where `f` returns how many steps a run took.
 */
async function timeRuns(name: string, warmup: number, reps: number, host: Host, warm: () => Promise<unknown>, f: () => Promise<number | void>): Promise<{ ms: number[]; cpuMs?: number[] }> {
  const log = host.log ?? (() => {})
  for (let i = 0; i < warmup; i++) {
    const t0 = performance.now()
    await warm()
    log(`  ${name}: warm-up ${i + 1}/${warmup} ${(performance.now() - t0).toFixed(0)} ms`)
  }
  const ms: number[] = []
  const cpuMs: number[] = []
  for (let i = 0; i < reps; i++) {
    const c0 = host.cpuNow?.() ?? 0
    const t0 = performance.now()
    const steps = (await f()) || 1
    ms.push((performance.now() - t0) / steps)
    cpuMs.push(((host.cpuNow?.() ?? 0) - c0) / steps)
    const per = steps > 1 ? ` per step (${steps} back to back)` : ''
    log(`  ${name}: run ${i + 1}/${reps} ${ms[i].toFixed(0)} ms${per}${host.cpuNow ? ` (CPU ${cpuMs[i].toFixed(0)} ms)` : ''}`)
  }
  return host.cpuNow ? { ms, cpuMs } : { ms }
}

/** The first `batch` images of the set as one batch (no augmentation: every backend sees the same pixels). */
export const firstBatch = (set: CifarSet, batch: number): HostBatch =>
  gatherBatch(
    set,
    Array.from({ length: batch }, (_, i) => i),
    null,
  )

/**
 * Times the planned workloads on the active backend. The model is trained by the training
 * workloads (lr 0.01); memory is snapshotted around every training step after the first (the
 * first creates the optimiser's momentum buffers), so a flat count means no step leaks.
 */
export async function runWorkloads(model: Model, set: CifarSet, plan: WorkloadPlan, host: Host = {}): Promise<WorkloadResult> {
  if (set.n < plan.batch) throw new Error(`need ${plan.batch} images, have ${set.n}`)
  const batch = firstBatch(set, plan.batch)
  const stepper: Stepper = { model, sgd: new Sgd(model.trainable, 0.9, 5e-4), rng: createRng(1), helpers: host.attackHelpers }
  const timings: Timing[] = []
  let before: MemorySnapshot | null = null
  let after: MemorySnapshot | null = null
  let steps = 0
  let lastLoss: number | null = null

  // Training steps as the app runs them (StepPipeline): one per timed run where steps do not
  // overlap (CPU, WASM), else OVERLAPPED back to back, each run finishing its last. Returns the count.
  const pipeline = new StepPipeline(stepper)
  const step = async (attack: TrainAttack): Promise<number> => {
    const n = pipeline.overlaps() ? OVERLAPPED : 1
    const finished: StepOutcome[] = []
    for (let k = 0; k < n; k++) finished.push(...(await pipeline.push(k, batch, attack, LR)))
    finished.push(...(await pipeline.drain()))
    for (const o of finished) if (!o.applied) throw new Error(`training loss is ${o.loss}`)
    lastLoss = finished.at(-1)!.loss
    if (before) {
      steps += n
      after = memorySnapshot()
    } else before = memorySnapshot() // after the first step: the momentum buffers now exist
    return n
  }

  const evalSet = head(set, plan.batch)
  const robustEval = (attack: EvalAttackOptions) => async () => {
    await evaluate(model, evalSet, attack, { batchSize: plan.batch, seed: 0, exampleCount: 0, helpers: host.attackHelpers })
  }
  const run: Record<WorkloadName, [warm: () => Promise<unknown>, timed: () => Promise<number | void>]> = {
    forward: [forwardOnce, forwardOnce],
    clean: [() => step(CLEAN), () => step(CLEAN)],
    pgd7: [() => step({ ...PGD7, steps: 1 }), () => step(PGD7)],
    pgd20: [robustEval({ ...PGD20, steps: 1 }), robustEval(PGD20)],
  }
  async function forwardOnce() {
    const x = tf.tensor4d(batch.x, [batch.size, 32, 32, 3])
    const logits = forward(model, x, 'eval')
    await logits.data() // waits for the GPU; WASM is done already
    tf.dispose([x, logits])
  }

  for (const w of plan.workloads) {
    // Memory is checked around the PGD-7 steps (the app's step) when they run: the attack needs
    // more working memory than a clean step, so the heap grows once when the first one runs.
    if (w === 'pgd7') {
      before = after = null
      steps = 0
    }
    const [warm, timed] = run[w]
    const { ms, cpuMs } = await timeRuns(LABELS[w], plan.warmup, plan.repsFor?.[w] ?? plan.reps, host, warm, timed)
    timings.push(toTiming(w, plan.batch, ms, cpuMs))
  }
  const memory = before && after ? { steps, before, after } : null
  stepper.sgd.dispose()
  return { timings, memory, lastLoss }
}

export interface SoakSample {
  step: number
  memory: MemorySnapshot
  loss: number
}

/**
 * Many PGD-7 training steps in a row on one batch, sampling memory every `every` steps: tensors
 * and bytes must stay flat over the run (the target: flat over 1,000 steps).
 */
export async function memorySoak(model: Model, set: CifarSet, o: { batch: number; steps: number; every: number }, host: Host = {}): Promise<SoakSample[]> {
  const batch = firstBatch(set, o.batch)
  const stepper: Stepper = { model, sgd: new Sgd(model.trainable, 0.9, 5e-4), rng: createRng(2) }
  const samples: SoakSample[] = []
  for (let s = 1; s <= o.steps; s++) {
    const loss = await trainStep(stepper, batch, PGD7, LR)
    if (s === 1 || s % o.every === 0 || s === o.steps) {
      samples.push({ step: s, memory: memorySnapshot(), loss })
      host.log?.(`  soak step ${s}/${o.steps}: ${samples.at(-1)!.memory.numTensors} tensors, loss ${loss.toFixed(3)}`)
    }
  }
  stepper.sgd.dispose()
  return samples
}
