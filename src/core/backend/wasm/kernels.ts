// Makes the tfjs WASM backend train, and fast: registers the missing Conv2DBackpropFilter and
// replaces the slow stock Conv2DBackpropInput and Tile, and Conv2D and FusedConv2D (Winograd
// where it fits), through tfjs's kernel registry; adds the attack gradient's fused steps.
import '@tensorflow/tfjs-backend-wasm' // registers the stock kernels we look up and wrap
import { Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput, FusedConv2D, getKernel, registerKernel, Tile, unregisterKernel } from '@tensorflow/tfjs-core'
import type { KernelConfig } from '@tensorflow/tfjs-core'
import { conv2DBackpropFilter } from './conv-filter-grad'
import { syncBatchNormKernels } from './batchnorm-kernels'
import { makeConv2D } from './conv-forward'
import { addRelu, addReluGrad, convInputGradRelu, makeFusedConv2D, reluGrad } from './fused-kernels'
import { ADD_RELU_GRAD_KERNEL, ADD_RELU_KERNEL, CONV_INPUT_GRAD_RELU_KERNEL, RELU_GRAD_KERNEL } from '../../model/fused-ops'
import { makeConv2DBackpropInput } from './conv-input-grad'
import { makeTile } from './tile-broadcast'
import { WASM } from './ops'
import { onNativeKernelsChange } from './winograd'

// The stock configs we replaced, kept to fall back on and to restore.
let stock: { conv: KernelConfig; fused: KernelConfig; input: KernelConfig; tile: KernelConfig } | null = null
// Kernels of advtune's own names, which the stock backend lacks.
const ADDED = [Conv2DBackpropFilter, CONV_INPUT_GRAD_RELU_KERNEL, RELU_GRAD_KERNEL, ADD_RELU_GRAD_KERNEL, ADD_RELU_KERNEL]
let ours: KernelConfig[] = []

const syncBatchNorm = () => syncBatchNormKernels()

function isOurs(config: KernelConfig | undefined): boolean {
  return config != null && ours.some((c) => c.kernelFunc === config.kernelFunc)
}

function replace(config: KernelConfig): void {
  if (getKernel(config.kernelName, WASM) != null) unregisterKernel(config.kernelName, WASM)
  registerKernel(config)
}

/**
 * Registers the training kernels for backend 'wasm'. Idempotent; may run before or after
 * `setBackend('wasm')`. The replacements keep the stock setupFunc, because the engine re-runs
 * setup on every setBackend and the stock kernels we fall back to need it.
 */
export function registerWasmTrainingKernels(): void {
  onNativeKernelsChange(syncBatchNorm) // train-mode BatchNorm, while the native module runs
  syncBatchNormKernels()
  const names = [Conv2D, FusedConv2D, Conv2DBackpropInput, Tile, ...ADDED]
  if (names.every((n) => isOurs(getKernel(n, WASM)))) return
  if (stock == null) {
    const conv = getKernel(Conv2D, WASM)
    const fused = getKernel(FusedConv2D, WASM)
    const input = getKernel(Conv2DBackpropInput, WASM)
    const tile = getKernel(Tile, WASM)
    if (conv == null || fused == null || input == null || tile == null) throw new Error('stock WASM kernels missing: is @tensorflow/tfjs-backend-wasm loaded?')
    stock = { conv, fused, input, tile }
    ours = [
      { kernelName: Conv2D, backendName: WASM, setupFunc: conv.setupFunc, kernelFunc: makeConv2D(conv.kernelFunc) },
      { kernelName: FusedConv2D, backendName: WASM, setupFunc: fused.setupFunc, kernelFunc: makeFusedConv2D(fused.kernelFunc) },
      { kernelName: Conv2DBackpropFilter, backendName: WASM, kernelFunc: conv2DBackpropFilter },
      {
        kernelName: Conv2DBackpropInput,
        backendName: WASM,
        setupFunc: input.setupFunc,
        kernelFunc: makeConv2DBackpropInput(input.kernelFunc),
      },
      { kernelName: Tile, backendName: WASM, setupFunc: tile.setupFunc, kernelFunc: makeTile(tile.kernelFunc) },
      { kernelName: CONV_INPUT_GRAD_RELU_KERNEL, backendName: WASM, kernelFunc: convInputGradRelu },
      { kernelName: RELU_GRAD_KERNEL, backendName: WASM, kernelFunc: reluGrad },
      { kernelName: ADD_RELU_GRAD_KERNEL, backendName: WASM, kernelFunc: addReluGrad },
      { kernelName: ADD_RELU_KERNEL, backendName: WASM, kernelFunc: addRelu },
    ]
  }
  for (const config of ours) replace(config)
}

/** Puts the stock kernels back (advtune's own names unregistered again): for A/B benchmarks. */
export function unregisterWasmTrainingKernels(): void {
  if (stock == null) return
  syncBatchNormKernels(false)
  for (const name of ADDED) if (isOurs(getKernel(name, WASM))) unregisterKernel(name, WASM)
  replace(stock.conv)
  replace(stock.fused)
  replace(stock.input)
  replace(stock.tile)
}
