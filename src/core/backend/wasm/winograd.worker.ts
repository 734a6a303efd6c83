/// <reference lib="webworker" />
// A Winograd helper thread (winograd-pool.ts): its own instance of the module on tfjs's shared
// memory, sleeping on the control block until the caller posts a job, then computing its share
// of the tiles. It never returns to the event loop once started, like a pthread.
import { ARG_ORDER, CTRL, partRange } from './winograd-pool'
import type { HelperInit } from './winograd-pool'
import type { WinogradExports } from './winograd'

const scope = self as unknown as DedicatedWorkerGlobalScope

scope.onmessage = (e: MessageEvent<HelperInit>) => {
  const { module, memory, ctrl, index, stackTop } = e.data
  let ex: WinogradExports
  try {
    ex = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WinogradExports
    ex.__stack_pointer.value = stackTop
  } catch (err) {
    scope.postMessage({ error: (err as Error).message })
    return
  }
  scope.postMessage({ ready: true })
  const i32 = new Int32Array(memory.buffer) // the control block lies below the heap's size at start
  const c = ctrl >> 2
  let gen = Atomics.load(i32, c + CTRL.GEN)
  for (;;) {
    Atomics.wait(i32, c + CTRL.GEN, gen)
    gen = Atomics.load(i32, c + CTRL.GEN)
    if (Atomics.load(i32, c + CTRL.QUIT)) return
    const a: Record<(typeof ARG_ORDER)[number], number> = Object.fromEntries(ARG_ORDER.map((k, i) => [k, i32[c + CTRL.ARGS + i]])) as never
    const parts = i32[c + CTRL.ARGS + ARG_ORDER.length]
    const [t0, t1] = partRange(a.tiles, parts, index)
    try {
      if (t1 > t0) ex.winograd_conv(a.x, a.u, a.y, i32[c + CTRL.SCRATCH + index], a.h, a.w, a.cin, a.cout, a.block, t0, t1)
    } catch (err) {
      console.error('advtune Winograd helper:', err)
      Atomics.store(i32, c + CTRL.FAILED, 1)
    }
    Atomics.add(i32, c + CTRL.DONE, 1)
    Atomics.notify(i32, c + CTRL.DONE)
  }
}
