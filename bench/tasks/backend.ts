// Starts exactly the backend the bench page was asked for and says what actually runs: no silent
// fallback (tfjs's setBackend returns false instead of throwing, so every start is checked).

import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import '@tensorflow/tfjs-backend-webgl'
import '@tensorflow/tfjs-backend-webgpu'
import { ensureGradients } from '../../src/core/backend/register-gradients'
import { initWasmBackend, wasmBackendInfo } from '../../src/core/backend/wasm/init'
import { setWasmConvKernels } from '../../src/core/backend/wasm/winograd'
import { registerWebGpuTrainingKernels } from '../../src/core/backend/webgpu/kernels'
import { WASM_FILES } from '../../src/worker/wasm-files'

// 'wasm' with threads is the app's CPU set-up where the page is cross-origin isolated (up to 4 cores:
// one worker, a thread per core; src/worker/cpuPlan.ts). 'wasm-workers': one thread per worker, the training
// attack shared with one helper worker per further core (src/worker/attackPool.ts), as the app
// runs where the page is not isolated.
// '-xnnpack': the same, with every convolution on XNNPACK instead of advtune's Winograd kernels.
// '-nofma': advtune's kernels in their plain builds where the engine could run the fused
// multiply-add ones (relaxed SIMD).
export type BenchBackend = 'webgpu' | 'webgl' | 'wasm' | 'wasm-1t' | 'wasm-workers' | 'wasm-xnnpack' | 'wasm-1t-xnnpack' | 'wasm-nofma' | 'wasm-1t-nofma' | 'cpu'
export const BENCH_BACKENDS: BenchBackend[] = ['webgpu', 'webgl', 'wasm', 'wasm-1t', 'wasm-workers', 'wasm-xnnpack', 'wasm-1t-xnnpack', 'wasm-nofma', 'wasm-1t-nofma', 'cpu']

export interface StartedBackend {
  requested: BenchBackend
  backend: string // tf.getBackend() after the start
  threads: number | null // XNNPACK threads (WASM); null where the backend has no such setting
  adapter: string
  crossOriginIsolated: boolean
}

interface AdapterLike {
  isFallbackAdapter?: boolean // older Chromium
  info?: { vendor?: string; architecture?: string; description?: string; device?: string; isFallbackAdapter?: boolean }
}

async function describeWebGpuAdapter(): Promise<string> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<AdapterLike | null> } }).gpu
  if (!gpu) throw new Error('navigator.gpu is missing (Chromium needs --enable-unsafe-webgpu here)')
  const a = await gpu.requestAdapter()
  if (!a) throw new Error('WebGPU returned no adapter')
  const i = a.info ?? {}
  const name = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ') || 'unknown adapter'
  return (i.isFallbackAdapter ?? a.isFallbackAdapter) ? `${name} (fallback adapter)` : name
}

function describeWebGl(): string {
  const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl
  if (!gl) return 'unknown'
  const ext = gl.getExtension('WEBGL_debug_renderer_info')
  return `WebGL ${tf.env().getNumber('WEBGL_VERSION')}: ${String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER))}`
}

/**
 * Starts `name`; 'wasm' asks for `threads` XNNPACK threads (default: every core; only a
 * cross-origin-isolated page can have more than one).
 */
export async function startBackend(name: BenchBackend, threads?: number): Promise<StartedBackend> {
  const isolated = typeof crossOriginIsolated !== 'undefined' && crossOriginIsolated
  let adapter = ''
  let threadCount: number | null = null
  if (name.startsWith('wasm')) {
    // More threads than tfjs's own cap (hardwareConcurrency / 2): see src/core/backend/wasm/init.ts.
    const want = name.startsWith('wasm-1t') || name === 'wasm-workers' ? 1 : (threads ?? navigator.hardwareConcurrency ?? 1)
    await initWasmBackend({ ...WASM_FILES, threads: want, fma: !name.endsWith('-nofma') })
    setWasmConvKernels(name.endsWith('-xnnpack') ? 'xnnpack' : 'winograd')
    const info = wasmBackendInfo()
    threadCount = info.threads
    adapter = `CPU (WebAssembly${info.simd ? ' SIMD' : ''}, ${info.threads} thread${info.threads === 1 ? '' : 's'}${info.winograd ? `, Winograd ${info.winograd.threads}${info.winograd.fma ? ' FMA' : ''}` : ', XNNPACK convolutions'})`
  } else {
    if (name === 'webgpu') {
      adapter = await describeWebGpuAdapter()
      registerWebGpuTrainingKernels() // as the app does (src/worker/backends.ts)
    }
    if (!(await tf.setBackend(name))) throw new Error(`tfjs backend '${name}' failed to start`)
    if (name === 'webgl') adapter = describeWebGl()
    if (name === 'cpu') adapter = 'CPU (plain JavaScript)'
  }
  await tf.ready()
  await ensureGradients() // tfjs-core registers no gradients on its own
  const backend = tf.getBackend()
  const expected = name.startsWith('wasm') ? 'wasm' : name
  if (backend !== expected) throw new Error(`asked for ${expected}, but tfjs runs on ${backend}`)
  return { requested: name, backend, threads: threadCount, adapter, crossOriginIsolated: isolated }
}
