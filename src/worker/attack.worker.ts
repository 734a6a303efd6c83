/// <reference lib="webworker" />
// An attack helper of the training worker: a shell that starts single-threaded WASM (the same
// kernels as the training worker's, so shards come back as if attacked there) around attackHelper.ts.

import * as tf from '@tensorflow/tfjs-core'
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url'
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url'
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url'
import { initWasmBackend } from '../core/backend/wasm-init'
import { createAttackHelper } from './attackHelper'
import type { FromHelper, ToHelper } from './attackProtocol'

const scope = self as unknown as DedicatedWorkerGlobalScope
const wasmPaths = { 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded }

const handle = createAttackHelper(
  (msg: FromHelper, transfer: Transferable[] = []) => scope.postMessage(msg, transfer),
  async () => {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false) // one thread per worker, as in backends.ts
    await initWasmBackend({ wasmPaths })
    return `WebAssembly${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? ' SIMD' : ''}`
  },
)

// One shard at a time: the next request waits until this one is answered.
let queue: Promise<void> = Promise.resolve()
scope.onmessage = (e: MessageEvent<ToHelper>) => {
  queue = queue.then(() => handle(e.data))
}
