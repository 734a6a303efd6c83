// Makes training on tfjs's WebGPU backend fast: replaces the stock Conv2DBackpropFilter (one
// thread per weight) with the chunked one of webgpu-conv-filter-grad.ts through tfjs's kernel
// registry (the stock kernel stays as the fallback for shapes the chunked one does not take),
// and adds the fused SGD update that Sgd uses where a backend has it (webgpu-sgd.ts).
import '@tensorflow/tfjs-backend-webgpu' // registers the stock kernel we wrap
import { Conv2DBackpropFilter, getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core'
import type { KernelConfig } from '@tensorflow/tfjs-core'
import { SGD_MOMENTUM_KERNEL } from '../train/sgd'
import { makeConv2DBackpropFilter } from './webgpu-conv-filter-grad'
import { sgdMomentumWebGpu } from './webgpu-sgd'

const WEBGPU = 'webgpu'
let stock: KernelConfig | null = null
let ours: KernelConfig | null = null

function replace(config: KernelConfig): void {
  if (getKernel(config.kernelName, WEBGPU) != null) unregisterKernel(config.kernelName, WEBGPU)
  registerKernel(config)
}

/** Registers the training kernels for backend 'webgpu'. Idempotent; before or after setBackend. */
export function registerWebGpuTrainingKernels(): void {
  if (ours != null && getKernel(Conv2DBackpropFilter, WEBGPU)?.kernelFunc === ours.kernelFunc) return
  if (stock == null) {
    const found = getKernel(Conv2DBackpropFilter, WEBGPU)
    if (found == null) throw new Error('stock WebGPU kernels missing: is @tensorflow/tfjs-backend-webgpu loaded?')
    stock = found
    ours = { ...found, kernelFunc: makeConv2DBackpropFilter(found.kernelFunc) }
  }
  replace(ours!)
  replace({ kernelName: SGD_MOMENTUM_KERNEL, backendName: WEBGPU, kernelFunc: sgdMomentumWebGpu })
}

/** Puts tfjs's own kernels back (and Sgd on its op-by-op path): for A/B benchmarks and tests. */
export function unregisterWebGpuTrainingKernels(): void {
  if (stock != null) replace(stock)
  if (getKernel(SGD_MOMENTUM_KERNEL, WEBGPU) != null) unregisterKernel(SGD_MOMENTUM_KERNEL, WEBGPU)
}
