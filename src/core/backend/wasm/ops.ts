// Helpers for composing WASM kernels out of the backend's own kernels: call a registered kernel
// directly on backend-level TensorInfos, and free the intermediates the engine never sees.
import { getKernel } from '@tensorflow/tfjs-core'
import type { KernelBackend, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core'

export const WASM = 'wasm'

// KernelFunc hands kernels their backend typed `{}`; these helpers take it as it comes.
type AnyBackend = unknown

/** Calls `fn` as a kernel would be called by the engine; our compositions return one tensor. */
export function callKernel(fn: KernelFunc, backend: AnyBackend, inputs: NamedTensorInfoMap, attrs: object = {}): TensorInfo {
  const out = fn({ inputs, backend: backend as KernelBackend, attrs: attrs as NamedAttrMap })
  if (Array.isArray(out)) throw new Error('expected a single-output kernel')
  return out
}

/** Runs the WASM kernel currently registered under `name`. */
export function runWasm(name: string, backend: AnyBackend, inputs: NamedTensorInfoMap, attrs: object = {}): TensorInfo {
  const config = getKernel(name, WASM)
  if (config == null) throw new Error(`WASM kernel '${name}' is not registered`)
  return callKernel(config.kernelFunc, backend, inputs, attrs)
}

/**
 * A reshaped view sharing `t`'s data. It does not take a reference: do not dispose the view,
 * dispose (or return) `t` instead. Saves the refcount round trip of the Reshape kernel.
 */
export function view(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype }
}

/** Frees intermediates made by direct kernel calls (the engine does not track them). */
export function disposeAll(backend: AnyBackend, ...ts: TensorInfo[]): void {
  for (const t of ts) (backend as KernelBackend).disposeData(t.dataId)
}
