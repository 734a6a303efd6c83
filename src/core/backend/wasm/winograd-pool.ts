// Threads for the Winograd convolution: helper workers that share tfjs's WASM memory, each with
// its own instance of the module, woken through a control block in that memory (Atomics), as
// XNNPACK's pthreads are. The caller takes the first share of the tiles itself and then waits
// for the helpers, so a conv returns with its output complete. Tile ranges never change the
// arithmetic of a tile: the output is bit-identical for any number of threads.
import { HeapBlock, STACK_BYTES } from './heap-block'
import type { Heap } from './heap-block'

export interface WinogradJob {
  x: number
  u: number
  y: number
  h: number
  w: number
  cin: number
  cout: number
  block: number
  tiles: number
}

/** Int32 slots of the control block. Slot SCRATCH + k is helper k's scratch pointer. */
export const CTRL = { GEN: 0, DONE: 1, QUIT: 2, FAILED: 3, ARGS: 4, SCRATCH: 16, SLOTS: 32 } as const
export const ARG_ORDER = ['x', 'u', 'y', 'h', 'w', 'cin', 'cout', 'block', 'tiles'] as const
const NARGS = ARG_ORDER.length // plus the part count after them

/** What a helper is told at start. */
export interface HelperInit {
  module: WebAssembly.Module
  memory: WebAssembly.Memory
  ctrl: number // byte offset of the control block
  index: number // 1..helpers (the caller is part 0)
  stackTop: number
}

const HANG_MS = 60_000

/** Tiles [t0, t1) of part k of `parts`. */
export function partRange(tiles: number, parts: number, k: number): [number, number] {
  return [Math.floor((k * tiles) / parts), Math.floor(((k + 1) * tiles) / parts)]
}

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

  /** Runs `job` split over the caller (part 0, through `own`) and the helpers. */
  run(job: WinogradJob, scratchBytes: number, own: (t0: number, t1: number) => void): void {
    const c = this.ctrl >> 2
    const parts = this.workers.length + 1
    const i32 = this.i32
    ARG_ORDER.forEach((k, i) => (i32[c + CTRL.ARGS + i] = job[k]))
    i32[c + CTRL.ARGS + NARGS] = parts
    this.scratch.forEach((s, k) => (i32[c + CTRL.SCRATCH + k + 1] = s.at(scratchBytes)))
    Atomics.store(i32, c + CTRL.DONE, 0)
    Atomics.add(i32, c + CTRL.GEN, 1)
    Atomics.notify(i32, c + CTRL.GEN)
    const [t0, t1] = partRange(job.tiles, parts, 0)
    own(t0, t1)
    const start = performance.now()
    for (;;) {
      const done = Atomics.load(i32, c + CTRL.DONE)
      if (done >= parts - 1) break
      if (performance.now() - start > HANG_MS) throw new Error('a convolution helper stopped answering')
      // Workers sleep until a helper finishes; a page's main thread may not block, so it spins.
      if (this.canBlock) Atomics.wait(i32, c + CTRL.DONE, done, 100)
    }
    if (Atomics.load(i32, c + CTRL.FAILED)) throw new Error('a convolution helper failed (see the console)')
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
