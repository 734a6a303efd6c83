// Threads for advtune's WASM kernels: helper workers that share tfjs's WASM memory, each with
// its own instance of the module, woken through a control block in that memory (Atomics), as
// XNNPACK's pthreads are. The caller and the helpers take grains of the items from a shared
// counter until none are left (a helper that wakes late, or a core busy with something else,
// then costs only its grains, where fixed halves made everyone wait for the slowest); the
// caller waits for the helpers, so a kernel returns with its output complete. Which thread
// computes an item never changes its arithmetic: the output is bit-identical for any number of
// threads.
import { HeapBlock, STACK_BYTES } from './heap-block'
import type { Heap } from './heap-block'

/**
 * The kernels a pool runs. Each takes (a0, a1, a2, scratch, ...rest, from, to) and computes
 * items [from, to): output tiles of a convolution, chunks of tiles of a weight gradient, input
 * channels of its final sum, groups of four channels of per-channel sums, rows of an elementwise pass.
 */
export const POOL_KERNELS = ['winograd_conv', 'winograd_wgrad', 'winograd_wgrad_reduce', 'advtune_epilogue', 'bn_sums', 'bn_relu', 'bn_dx'] as const
export type PoolKernel = (typeof POOL_KERNELS)[number]

export interface PoolJob {
  kernel: PoolKernel
  /** Every argument before the item range; args[3] is the scratch slot, set per thread. */
  args: number[]
  items: number
  /** Items per grain: what a thread takes from the counter at a time. */
  grain: number
  scratchBytes: number
}

/**
 * Int32 slots of the control block. Slot SCRATCH + k is helper k's scratch pointer, TAKEN + k the
 * grains thread k (0: the caller) has computed since the start.
 */
export const CTRL = { GEN: 0, DONE: 1, QUIT: 2, FAILED: 3, KERNEL: 4, ITEMS: 5, GRAIN: 6, NARGS: 7, NEXT: 8, ARGS: 9, SCRATCH: 24, TAKEN: 44, SLOTS: 64 } as const
const MAX_ARGS = CTRL.SCRATCH - CTRL.ARGS
export const MAX_HELPERS = CTRL.SLOTS - CTRL.TAKEN - 1

/** Calls kernel `name` of an instance with the job's arguments and an item range. */
export function callKernel(ex: object, name: PoolKernel, args: number[], from: number, to: number): void {
  ;(ex as Record<PoolKernel, (...a: number[]) => void>)[name](...args, from, to)
}

/**
 * Thread `k` takes grains from the counter of the control block at int32 index `c` and computes
 * them, until none are left.
 */
export function takeGrains(i32: Int32Array, c: number, k: number, compute: (from: number, to: number) => void): void {
  const items = i32[c + CTRL.ITEMS]
  const grain = i32[c + CTRL.GRAIN]
  for (;;) {
    const from = Atomics.add(i32, c + CTRL.NEXT, 1) * grain
    if (from >= items) return
    compute(from, Math.min(items, from + grain))
    i32[c + CTRL.TAKEN + k]++
  }
}

/** What a helper is told at start. */
export interface HelperInit {
  module: WebAssembly.Module
  memory: WebAssembly.Memory
  ctrl: number // byte offset of the control block
  index: number // 1..helpers (the caller is part 0)
  stackTop: number
}

const HANG_MS = 60_000

export class WinogradPool {
  private readonly i32: Int32Array
  private readonly scratch: HeapBlock[]
  private readonly canBlock: boolean

  private constructor(
    private readonly workers: Worker[],
    heap: Heap,
    memory: WebAssembly.Memory,
    private readonly ctrl: number,
  ) {
    this.i32 = new Int32Array(memory.buffer)
    this.scratch = workers.map(() => new HeapBlock(heap))
    this.canBlock = canAtomicsWait()
  }

  get helpers(): number {
    return this.workers.length
  }

  /** Starts `helpers` workers; null if they cannot start (no Worker, no module workers, a timeout). */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, heap: Heap, helpers: number): Promise<WinogradPool | null> {
    if (typeof Worker === 'undefined') return null
    if (helpers > MAX_HELPERS) helpers = MAX_HELPERS
    const ctrl = heap._malloc(CTRL.SLOTS * 4)
    new Int32Array(memory.buffer, ctrl, CTRL.SLOTS).fill(0)
    const stacks: number[] = []
    const workers: Worker[] = []
    try {
      for (let k = 1; k <= helpers; k++) {
        const stack = heap._malloc(STACK_BYTES)
        stacks.push(stack)
        const worker = new Worker(new URL('./winograd.worker.ts', import.meta.url), { type: 'module', name: `advtune-winograd-${k}` })
        workers.push(worker)
        const ready = new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('a convolution helper did not start within 20 s')), 20_000)
          worker.onmessage = (e: MessageEvent<{ ready?: true; error?: string }>) => {
            clearTimeout(timer)
            if (e.data.ready) resolve()
            else reject(new Error(e.data.error ?? 'a convolution helper failed'))
          }
          worker.onerror = (e) => {
            clearTimeout(timer)
            reject(new Error(e.message || 'a convolution helper failed to load'))
          }
        })
        worker.postMessage({ module, memory, ctrl, index: k, stackTop: stack + STACK_BYTES } satisfies HelperInit)
        await ready
      }
    } catch (e) {
      for (const w of workers) w.terminate()
      for (const s of stacks) heap._free(s)
      heap._free(ctrl)
      throw e
    }
    return new WinogradPool(workers, heap, memory, ctrl)
  }

  /** Runs `job` split over the caller (part 0, on instance `ex` with `ownScratch`) and the helpers. */
  run(job: PoolJob, ex: object, ownScratch: number): void {
    if (job.args.length > MAX_ARGS) throw new Error(`${job.kernel}: ${job.args.length} arguments, the control block holds ${MAX_ARGS}`)
    const c = this.ctrl >> 2
    const helpers = this.workers.length
    const i32 = this.i32
    i32[c + CTRL.KERNEL] = POOL_KERNELS.indexOf(job.kernel)
    i32[c + CTRL.ITEMS] = job.items
    i32[c + CTRL.GRAIN] = job.grain
    i32[c + CTRL.NARGS] = job.args.length
    job.args.forEach((v, i) => (i32[c + CTRL.ARGS + i] = v))
    this.scratch.forEach((s, k) => (i32[c + CTRL.SCRATCH + k + 1] = s.at(job.scratchBytes)))
    Atomics.store(i32, c + CTRL.NEXT, 0)
    Atomics.store(i32, c + CTRL.DONE, 0)
    Atomics.add(i32, c + CTRL.GEN, 1)
    Atomics.notify(i32, c + CTRL.GEN)
    const own = [...job.args]
    own[3] = ownScratch
    takeGrains(i32, c, 0, (from, to) => callKernel(ex, job.kernel, own, from, to))
    const start = performance.now()
    for (;;) {
      const done = Atomics.load(i32, c + CTRL.DONE)
      if (done >= helpers) break
      if (performance.now() - start > HANG_MS) throw new Error('a kernel helper thread stopped answering')
      // Workers sleep until a helper finishes; a page's main thread may not block, so it spins.
      if (this.canBlock) Atomics.wait(i32, c + CTRL.DONE, done, 100)
    }
    if (Atomics.load(i32, c + CTRL.FAILED)) throw new Error('a kernel helper thread failed (see the console)')
  }

  /** Grains each thread (the caller first) has computed since the start. */
  grainsTaken(): number[] {
    const c = this.ctrl >> 2
    return Array.from({ length: this.workers.length + 1 }, (_, k) => Atomics.load(this.i32, c + CTRL.TAKEN + k))
  }

  stop(): void {
    const c = this.ctrl >> 2
    Atomics.store(this.i32, c + CTRL.QUIT, 1)
    Atomics.add(this.i32, c + CTRL.GEN, 1)
    Atomics.notify(this.i32, c + CTRL.GEN)
    for (const w of this.workers) w.terminate()
    for (const s of this.scratch) s.free()
    // Terminated helpers may still be inside a job for a moment; their stacks and the control
    // block stay allocated (a few hundred KiB, once per backend start).
  }
}

function canAtomicsWait(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0)
    return true
  } catch {
    return false
  }
}
