// The worker handler's environment in Node on WebGPU through Dawn (the `webgpu` package): the
// app's WebGPU backend and training kernels, as src/worker/backends.ts starts them in a page.
// Loaded only when a run asks for webgpu, so the WASM path never loads Dawn.

import { nodeEnv } from './node-env'
import type { WorkerEnv } from '../../src/worker/handler'

export async function webgpuNodeEnv(assetDir?: string): Promise<WorkerEnv> {
  await import('../../bench/gpu/dawn-navigator') // navigator.gpu first: tfjs-backend-webgpu looks for it when it loads
  await import('@tensorflow/tfjs-backend-webgpu')
  const tf = await import('@tensorflow/tfjs-core')
  const { ensureGradients } = await import('../../src/core/backend/register-gradients')
  const { registerWebGpuTrainingKernels } = await import('../../src/core/backend/webgpu/kernels')
  const base = nodeEnv(assetDir)
  return {
    ...base,
    pickBackend: async (prefer) => {
      if ((prefer?.[0] ?? 'webgpu') !== 'webgpu') return base.pickBackend(prefer)
      const gpu = (globalThis.navigator as unknown as { gpu: { requestAdapter(o?: object): Promise<{ info?: Record<string, string | boolean> } | null> } }).gpu
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' })
      if (!adapter) throw new Error('Dawn found no WebGPU adapter')
      const i = adapter.info ?? {}
      await ensureGradients()
      registerWebGpuTrainingKernels()
      if (!(await tf.setBackend('webgpu'))) throw new Error('the tfjs WebGPU backend failed to start')
      return { backend: 'webgpu', adapter: [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ') || 'unknown adapter', fallbackReason: null }
    },
  }
}
