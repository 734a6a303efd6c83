// Starts the tfjs WASM backend with the training kernels, in Node, a page or a worker. Browser-safe:
// the Node-only path lookup lives in wasm-node.ts.
import * as tf from '@tensorflow/tfjs-core'
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { ensureGradients } from './register-gradients'
import { registerWasmTrainingKernels } from './wasm-kernels'

export interface WasmInitOptions {
  /**
   * XNNPACK threads. Only honoured in a cross-origin-isolated page/worker (COOP/COEP), and
   * tfjs caps it at hardwareConcurrency / 2; Node never runs threaded. Default: tfjs's choice.
   */
  threads?: number
  /**
   * Where tfjs-backend-wasm's three .wasm files are, as setWasmPaths takes it: a folder (URL or
   * file path, ending in '/') or a map from each file name ('tfjs-backend-wasm.wasm',
   * 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm') to its URL, e.g. from
   * Vite's `?url` imports. Needed in a browser bundle; in Node the package finds its own files.
   */
  wasmPaths?: string | Record<string, string>
}

/**
 * Makes 'wasm' the active backend, registers the training kernels and every op's gradient (see
 * register-gradients.ts). Paths and threads only take effect on the first call in a process
 * (tfjs reads them when the backend first starts); later calls just switch back to 'wasm'.
 */
export async function initWasmBackend(opts: WasmInitOptions = {}): Promise<void> {
  // Not tf.findBackend: it would start the backend before the paths are set.
  if (!('wasm' in tf.engine().registry)) {
    if (opts.wasmPaths != null) setWasmPaths(opts.wasmPaths as Parameters<typeof setWasmPaths>[0])
    if (opts.threads != null) setThreadsCount(opts.threads)
  }
  if (!(await tf.setBackend('wasm'))) {
    throw new Error('tfjs WASM backend failed to start: are the .wasm files served at wasmPaths?')
  }
  registerWasmTrainingKernels()
  await ensureGradients() // training needs them, whichever tfjs entry point the caller imported
}

/** What the running WASM backend got: SIMD, and the XNNPACK thread count actually in use. */
export function wasmBackendInfo(): { simd: boolean; threads: number } {
  return { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), threads: getThreadsCount() }
}
