// Picks the tfjs backend in a page or worker: WebGPU on a real adapter, then WebGL on a real
// GPU, then WASM (fastest on CPUs), and says which one runs and why the others were passed over.

import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-webgpu'
import '@tensorflow/tfjs-backend-webgl'
import '@tensorflow/tfjs-backend-cpu'
import { ensureGradients } from '../core/backend/register-gradients'
import { initWasmBackend, wasmBackendInfo } from '../core/backend/wasm/init'
import type { WasmInitOptions } from '../core/backend/wasm/init'
import { registerWebGpuTrainingKernels } from '../core/backend/webgpu/kernels'
import type { BackendName } from './protocol'

export interface BackendChoice {
  backend: BackendName
  adapter: string
  fallbackReason: string | null
  threads?: number // WASM: the XNNPACK threads this worker got
}

export const DEFAULT_ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu']

interface GpuLike {
  // Chromium ≥ 136 reports the fallback flag on `info` only; older browsers on the adapter.
  requestAdapter(): Promise<{ isFallbackAdapter?: boolean; info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean } } | null>
}

async function webgpuAdapter(): Promise<{ ok: boolean; adapter: string; why: string }> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu
  if (!gpu) return { ok: false, adapter: '', why: 'this browser has no WebGPU (navigator.gpu is missing)' }
  const adapter = await gpu.requestAdapter()
  if (!adapter) return { ok: false, adapter: '', why: 'WebGPU found no adapter (GPU blocked or unsupported)' }
  const i = adapter.info ?? {}
  const name = [i.vendor, i.architecture, i.description].filter(Boolean).join(' ') || 'unknown adapter'
  const software = (i.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false) || SOFTWARE.test(name)
  return { ok: true, adapter: software ? `${name} (software fallback)` : name, why: software ? 'WebGPU offers only a software fallback adapter (CPU)' : '' }
}

function webglRenderer(): { ok: boolean; renderer: string } {
  try {
    const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : null
    const gl = canvas?.getContext('webgl2') as WebGL2RenderingContext | null | undefined
    if (!gl) return { ok: false, renderer: '' }
    const ext = gl.getExtension('WEBGL_debug_renderer_info')
    const renderer = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER))
    return { ok: true, renderer }
  } catch {
    return { ok: false, renderer: '' }
  }
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|software/i

/**
 * Tries the backends in `order`. With the default order, software GPU adapters are passed over
 * (WASM is ~100x faster on a CPU); naming one backend alone forces it, software or not.
 */
export async function pickBackend(order: BackendName[], wasmFiles: Pick<WasmInitOptions, 'wasmPaths' | 'winograd'>, wasmThreads = 1): Promise<BackendChoice> {
  await ensureGradients() // training needs them on every backend; tfjs-core registers none
  const forced = order.length === 1
  const skipped: string[] = []
  for (const name of order) {
    try {
      if (name === 'webgpu') {
        const a = await webgpuAdapter()
        if (!a.ok || (a.why && !forced)) {
          skipped.push(a.why)
          continue
        }
        registerWebGpuTrainingKernels() // the stock weight-gradient kernel leaves a GPU nearly idle
        if (await tf.setBackend('webgpu')) return { backend: 'webgpu', adapter: a.adapter, fallbackReason: reason(skipped) }
        skipped.push('the tfjs WebGPU backend failed to start')
      } else if (name === 'webgl') {
        const r = webglRenderer()
        if (!r.ok || (SOFTWARE.test(r.renderer) && !forced)) {
          skipped.push(r.ok ? `WebGL runs on a software renderer (${r.renderer})` : 'WebGL2 is unavailable')
          continue
        }
        if (await tf.setBackend('webgl')) return { backend: 'webgl', adapter: r.renderer, fallbackReason: reason(skipped) }
        skipped.push('the tfjs WebGL backend failed to start')
      } else if (name === 'wasm') {
        // XNNPACK threads as cpuPlan.ts decides (the bundle needs scripts/vite/tfjs-wasm-threads.ts).
        await initWasmBackend({ ...wasmFiles, threads: wasmThreads })
        const info = wasmBackendInfo()
        // A kernel problem is not a backend choice, but it costs speed: the notice says so.
        if (info.problem) skipped.push(info.problem)
        const kernels = info.winograd ? `, Winograd convolutions${info.winograd.fma ? ' (fused multiply-add)' : ''}` : ''
        return { backend: 'wasm', adapter: `CPU (WebAssembly, ${info.simd ? 'SIMD' : 'no SIMD'}${kernels})`, fallbackReason: reason(skipped), threads: info.threads }
      } else {
        if (await tf.setBackend('cpu')) return { backend: 'cpu', adapter: 'CPU (plain JavaScript)', fallbackReason: reason(skipped) }
      }
    } catch (e) {
      skipped.push(`${name} failed: ${(e as Error).message}`)
    }
  }
  throw new Error(`no tfjs backend could start: ${skipped.join('; ')}`)
}

const reason = (skipped: string[]) => (skipped.length ? skipped.join('; ') : null)

/** Calls `onLost` if the WebGPU device goes away (driver reset, GPU removed, tab backgrounded too long). */
export function watchDeviceLoss(onLost: (message: string) => void): void {
  if (tf.getBackend() !== 'webgpu') return
  const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ message?: string; reason?: string }> } }).device
  void device?.lost?.then((info) => onLost(`the GPU device was lost${info?.message ? `: ${info.message}` : ''}`))
}
