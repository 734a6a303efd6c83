// Makes training on tfjs's WebGPU backend fast: replaces the stock Conv2DBackpropFilter (one
// thread per weight) with the chunked one of conv-filter-grad.ts through tfjs's kernel
// registry (the stock kernel stays as the fallback for shapes the chunked one does not take),
// and adds the fused SGD update that Sgd uses where a backend has it (sgd.ts), the gate
// that lets training steps overlap (pipeline.ts), and the fused kernels of the hand-written attack
// gradient and PGD's update (fused-ops.ts, conv-input-grad.ts) and of train-mode
// BatchNorm (batchnorm.ts).
import '@tensorflow/tfjs-backend-webgpu' // registers the stock kernel we wrap
import { Conv2DBackpropFilter, getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core'
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core'
import { PGD_STEP_KERNEL } from '../../attacks/linf'
import {
  BN_DBETA_KERNEL,
  BN_DGAMMA_KERNEL,
  BN_DX_KERNEL,
  BN_MEAN_KERNEL,
  BN_RELU_KERNEL,
  BN_VARIANCE_KERNEL,
  FOLD_FILTER_KERNEL,
  FOLD_SHIFT_KERNEL,
  RUNNING_AVERAGE_KERNEL,
  RUNNING_STATS_KERNEL,
} from '../../model/batchnorm-fused'
import { ADD_RELU_GRAD_KERNEL, ADD_RELU_KERNEL, CONV_INPUT_GRAD_RELU_KERNEL, MEAN_RELU_GRAD_KERNEL, NORMALIZE_KERNEL, RELU_GRAD_KERNEL, SOFTMAX_XENT_GRAD_KERNEL } from '../../model/fused-ops'
import { FINITE_GATE_KERNEL } from '../../train/pipeline'
import { SGD_MOMENTUM_KERNEL } from '../../train/sgd'
import { makeConv2DBackpropFilter } from './conv-filter-grad'
import { bnDBetaWebGpu, bnDGammaWebGpu, bnDxWebGpu, bnMeanWebGpu, bnReluWebGpu, bnVarianceWebGpu, foldFilterWebGpu, foldShiftWebGpu, runningAverageWebGpu, runningStatsWebGpu } from './batchnorm'
import { convInputGradReluWebGpu } from './conv-input-grad'
import { addReluGradWebGpu, addReluWebGpu, finiteGateWebGpu, meanReluGradWebGpu, normalizeWebGpu, pgdStepWebGpu, reluGradWebGpu, softmaxXentGradWebGpu } from './fused-ops'
import { sgdMomentumWebGpu } from './sgd'

const WEBGPU = 'webgpu'
/** Kernels tfjs does not have, which core code uses where a backend registers them. */
const ADDED: [string, KernelFunc][] = [
  [SGD_MOMENTUM_KERNEL, sgdMomentumWebGpu],
  [ADD_RELU_KERNEL, addReluWebGpu],
  [RELU_GRAD_KERNEL, reluGradWebGpu],
  [ADD_RELU_GRAD_KERNEL, addReluGradWebGpu],
  [PGD_STEP_KERNEL, pgdStepWebGpu],
  [CONV_INPUT_GRAD_RELU_KERNEL, convInputGradReluWebGpu],
  [MEAN_RELU_GRAD_KERNEL, meanReluGradWebGpu],
  [SOFTMAX_XENT_GRAD_KERNEL, softmaxXentGradWebGpu],
  [NORMALIZE_KERNEL, normalizeWebGpu],
  [BN_MEAN_KERNEL, bnMeanWebGpu],
  [BN_VARIANCE_KERNEL, bnVarianceWebGpu],
  [BN_RELU_KERNEL, bnReluWebGpu],
  [BN_DBETA_KERNEL, bnDBetaWebGpu],
  [BN_DGAMMA_KERNEL, bnDGammaWebGpu],
  [BN_DX_KERNEL, bnDxWebGpu],
  [RUNNING_AVERAGE_KERNEL, runningAverageWebGpu],
  [RUNNING_STATS_KERNEL, runningStatsWebGpu],
  [FINITE_GATE_KERNEL, finiteGateWebGpu],
  [FOLD_FILTER_KERNEL, foldFilterWebGpu],
  [FOLD_SHIFT_KERNEL, foldShiftWebGpu],
]
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
  for (const [kernelName, kernelFunc] of ADDED) replace({ kernelName, backendName: WEBGPU, kernelFunc })
}

/** Puts tfjs's own kernels back (Sgd, attacks on their op-by-op paths): for A/B benchmarks and tests. */
export function unregisterWebGpuTrainingKernels(): void {
  if (stock != null) replace(stock)
  for (const [name] of ADDED) if (getKernel(name, WEBGPU) != null) unregisterKernel(name, WEBGPU)
}
