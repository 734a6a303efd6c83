// Makes the tfjs WASM backend train, and fast: registers the missing Conv2DBackpropFilter and
// replaces slow stock kernels (Conv2DBackpropInput, Tile, Sum, Mean) through tfjs's kernel registry.
import '@tensorflow/tfjs-backend-wasm' // registers the stock kernels we look up and wrap
import {
  Conv2DBackpropFilter, Conv2DBackpropInput, getKernel, Mean, registerKernel, Sum, Tile, unregisterKernel,
} from '@tensorflow/tfjs-core'
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core'
import { conv2DBackpropFilter } from './conv-filter-grad'
import { makeConv2DBackpropInput } from './conv-input-grad'
import { makeLeadingReduce } from './reduce-leading'
import { makeTile } from './tile-broadcast'
import { WASM } from './wasm-ops'

// Each replacement wraps the stock kernel it falls back to for the cases it does not speed up.
const REPLACEMENTS: [name: string, make: (stock: KernelFunc) => KernelFunc][] = [
  [Conv2DBackpropInput, makeConv2DBackpropInput],
  [Tile, makeTile],
  [Sum, (stock) => makeLeadingReduce(stock, false)],
  [Mean, (stock) => makeLeadingReduce(stock, true)],
]

// The stock configs we replaced (to restore them) and ours, built once.
let stock: KernelConfig[] | null = null
let ours: KernelConfig[] = []

const isOurs = (config: KernelConfig | undefined) =>
  config != null && ours.some((c) => c.kernelFunc === config.kernelFunc)

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
  if (ours.length > 0 && ours.every((c) => isOurs(getKernel(c.kernelName, WASM)))) return
  if (stock == null) {
    const found = REPLACEMENTS.map(([name]) => getKernel(name, WASM))
    const missing = REPLACEMENTS.filter((_, i) => found[i] == null).map(([name]) => name)
    if (missing.length > 0) throw new Error(`stock WASM kernels missing (${missing}): is @tensorflow/tfjs-backend-wasm loaded?`)
    stock = found
    ours = [
      { kernelName: Conv2DBackpropFilter, backendName: WASM, kernelFunc: conv2DBackpropFilter },
      ...REPLACEMENTS.map(([name, make], i) => ({
        kernelName: name, backendName: WASM, setupFunc: found[i].setupFunc, kernelFunc: make(found[i].kernelFunc),
      })),
    ]
  }
  for (const config of ours) replace(config)
}

/** Puts the stock kernels back (Conv2DBackpropFilter unregistered again): for A/B benchmarks. */
export function unregisterWasmTrainingKernels(): void {
  if (stock == null) return
  if (isOurs(getKernel(Conv2DBackpropFilter, WASM))) unregisterKernel(Conv2DBackpropFilter, WASM)
  for (const config of stock) replace(config)
}
