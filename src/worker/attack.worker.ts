/// <reference lib="webworker" />
// An attack helper of the training worker: a shell that starts WASM (the same kernels as the
// training worker's, so shards come back as if attacked there) around attackHelper.ts.

import { initWasmBackend, wasmBackendInfo } from '../core/backend/wasm/init'
import { createAttackHelper } from './attackHelper'
import type { FromHelper, ToHelper } from './attackProtocol'
import { WASM_FILES } from './wasm-files'

const scope = self as unknown as DedicatedWorkerGlobalScope

const handle = createAttackHelper(
  (msg: FromHelper, transfer: Transferable[] = []) => scope.postMessage(msg, transfer),
  async (threads) => {
    await initWasmBackend({ ...WASM_FILES, threads })
    const info = wasmBackendInfo()
    return { adapter: `WebAssembly${info.simd ? ' SIMD' : ''}`, threads: info.threads }
  },
)

// One shard at a time: the next request waits until this one is answered.
let queue: Promise<void> = Promise.resolve()
scope.onmessage = (e: MessageEvent<ToHelper>) => {
  queue = queue.then(() => handle(e.data))
}
