// Starts the tfjs WASM backend with the training kernels, in Node, a page or a worker. Browser-safe:
// the Node-only path lookup lives in scripts/lib/wasm-node.ts.
import * as tf from '@tensorflow/tfjs-core'
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { ensureGradients } from '../register-gradients'
import { registerWasmTrainingKernels } from './kernels'
import { startWinograd, winogradInfo } from './winograd'
import type { WinogradSources } from './winograd'

export interface WasmInitOptions {
  /**
   * XNNPACK threads. More than one needs a cross-origin-isolated page or worker (COOP/COEP) and,
   * in a Vite bundle, scripts/vite/tfjs-wasm-threads.ts; Node never runs threaded. 1 starts the
   * single-threaded build (no pthread workers at all). Default: tfjs's choice, which is at most
   * hardwareConcurrency / 2.
   */
  threads?: number
  /**
   * Where tfjs-backend-wasm's three .wasm files are, as setWasmPaths takes it: a folder (URL or
   * file path, ending in '/') or a map from each file name ('tfjs-backend-wasm.wasm',
   * 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm') to its URL, e.g. from
   * Vite's `?url` imports. Needed in a browser bundle; in Node the package finds its own files.
   */
  wasmPaths?: string | Record<string, string>
  /**
   * advtune's own convolution kernels (native/winograd.c, built by `npm run setup`): the
   * modules or their URLs. Without them every convolution runs on XNNPACK.
   */
  winograd?: WinogradSources
  /**
   * Whether the kernels' fused multiply-add builds run where the engine has relaxed SIMD (default
   * true); false keeps the plain builds, for side-by-side benchmarks.
   */
  fma?: boolean
}

/** Why advtune's convolution kernels are not running, when they were asked for and failed to start. */
let kernelProblem: string | null = null

/**
 * The heap tfjs's WASM module runs on. The threaded build creates it in JavaScript and keeps it
 * private, so the first start watches WebAssembly.instantiate(Streaming) for it; the
 * single-threaded build exports it.
 */
let heap: WebAssembly.Memory | null = null

async function watchingForHeap<T>(start: () => Promise<T>): Promise<T> {
  const wa = WebAssembly as unknown as Record<'instantiate' | 'instantiateStreaming', (...a: unknown[]) => Promise<unknown>>
  const saved = { instantiate: wa.instantiate, instantiateStreaming: wa.instantiateStreaming }
  const note = (imports: unknown, result: unknown) => {
    const imported = (imports as { env?: { memory?: unknown } } | undefined)?.env?.memory
    const r = result as { instance?: WebAssembly.Instance; exports?: WebAssembly.Exports }
    const exported = (r.instance ?? r).exports?.memory
    for (const m of [imported, exported]) if (m instanceof WebAssembly.Memory) heap ??= m
  }
  for (const name of ['instantiate', 'instantiateStreaming'] as const) {
    const original = saved[name]
    if (typeof original !== 'function') continue
    wa[name] = async (...args: unknown[]) => {
      const result = await original.apply(WebAssembly, args)
      note(args[1], result)
      return result
    }
  }
  try {
    return await start()
  } finally {
    wa.instantiate = saved.instantiate
    wa.instantiateStreaming = saved.instantiateStreaming
  }
}

/**
 * Makes 'wasm' the active backend, registers the training kernels and every op's gradient (see
 * register-gradients.ts). Paths, threads and kernels only take effect on the first call in a process
 * (tfjs reads them when the backend first starts); later calls just switch back to 'wasm'.
 */
export async function initWasmBackend(opts: WasmInitOptions = {}): Promise<void> {
  // Not tf.findBackend: it would start the backend before the paths are set.
  const first = !('wasm' in tf.engine().registry)
  if (first) {
    if (opts.wasmPaths != null) setWasmPaths(opts.wasmPaths as Parameters<typeof setWasmPaths>[0])
    if (opts.threads === 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false)
    else if (opts.threads != null) {
      liftThreadCap(opts.threads)
      setThreadsCount(opts.threads)
    }
  }
  if (!(await watchingForHeap(() => tf.setBackend('wasm')))) {
    throw new Error('tfjs WASM backend failed to start: are the .wasm files served at wasmPaths?')
  }
  registerWasmTrainingKernels()
  if (first && opts.winograd != null) {
    const backend = tf.backend() as unknown as { wasm: { asm?: { memory?: WebAssembly.Memory } } }
    const memory = heap ?? backend.wasm.asm?.memory ?? null
    kernelProblem =
      memory == null
        ? "advtune's WASM convolution kernels found no tfjs heap to work on; XNNPACK's run instead"
        : await startWinograd(backend, memory, opts.winograd, getThreadsCount(), opts.fma ?? true)
  }
  await ensureGradients() // training needs them, whichever tfjs entry point the caller imported
}

/**
 * tfjs-backend-wasm 4.22 sizes XNNPACK's pool at most navigator.hardwareConcurrency / 2 (meant
 * for SMT: logical cores), whatever setThreadsCount asks: one thread on a 2-core machine, where
 * two ran the PGD-7 step 1.2-1.4x faster (bench/RESULTS.md). Asking for more is deliberate, so
 * this scope reports at least twice the count to the module. Only this scope's `navigator` changes.
 */
function liftThreadCap(threads: number): void {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
  if (nav == null || (nav.hardwareConcurrency ?? 1) >= 2 * threads) return
  Object.defineProperty(nav, 'hardwareConcurrency', { value: 2 * threads, configurable: true })
}

/**
 * What the running WASM backend got: SIMD, the XNNPACK thread count actually in use, and the
 * threads of advtune's Winograd convolutions (null: XNNPACK convolves), and `problem`: why they
 * run on fewer threads than asked, or not at all.
 */
export function wasmBackendInfo(): { simd: boolean; threads: number; winograd: { threads: number; fma: boolean } | null; problem: string | null } {
  return { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), threads: getThreadsCount(), winograd: winogradInfo(), problem: kernelProblem }
}
