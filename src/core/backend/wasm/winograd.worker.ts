/// <reference lib="webworker" />
// A kernel helper thread (winograd-pool.ts): its own instance of the module on tfjs's shared
// memory, sleeping on the control block until the caller posts a job, then computing its share
// of the items. It never returns to the event loop once started, like a pthread.
import { callKernel, CTRL, POOL_KERNELS, takeGrains } from './winograd-pool'
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
    const args = Array.from({ length: i32[c + CTRL.NARGS] }, (_, i) => i32[c + CTRL.ARGS + i])
    args[3] = i32[c + CTRL.SCRATCH + index]
    const kernel = POOL_KERNELS[i32[c + CTRL.KERNEL]]
    try {
      takeGrains(i32, c, index, (from, to) => callKernel(ex, kernel, args, from, to))
    } catch (err) {
      console.error(`advtune kernel helper (${kernel}):`, err)
      Atomics.store(i32, c + CTRL.FAILED, 1)
    }
    Atomics.add(i32, c + CTRL.DONE, 1)
    Atomics.notify(i32, c + CTRL.DONE)
  }
}
