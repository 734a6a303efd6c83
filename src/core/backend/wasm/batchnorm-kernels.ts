// Train-mode BatchNorm on WASM in a few passes (the kernels batchnorm-fused.ts names; WebGPU has
// its own): per-channel sums in row order (threads split the channels, so results are the same
// for any thread count), and one elementwise pass each for normalise + ReLU and for the input
// gradient, in advtune's native module (native/winograd.c). The op path takes ~14 tfjs kernels forward and
// ~14 backward per layer, most of them a full pass over the activation and single-threaded.
// Registered only while the module runs (nativeKernels()): without it, or switched off for an
// A/B, resnet.ts takes the op path again.

import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core'
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core'
import { BN_DBETA_KERNEL, BN_DGAMMA_KERNEL, BN_DX_KERNEL, BN_MEAN_KERNEL, BN_RELU_KERNEL, BN_VARIANCE_KERNEL } from '../../model/batchnorm-fused'
import { WASM } from './ops'
import { nativeKernels, type Winograd } from './winograd'

type Inputs = Record<string, TensorInfo>
const rowsOf = (x: TensorInfo) => x.shape.reduce((a, b) => a * b, 1) / x.shape[x.shape.length - 1]

function engine(): Winograd {
  const e = nativeKernels()
  if (e == null) throw new Error("advtune's native WASM kernels are not running") // never: registered only while they run
  return e
}

const kernels: [string, KernelFunc][] = [
  [BN_MEAN_KERNEL, ({ inputs }) => engine().channelSums((inputs as Inputs).x, 0, rowsOf((inputs as Inputs).x))],
  [
    BN_VARIANCE_KERNEL,
    ({ inputs }) => {
      const { x, mean } = inputs as Inputs
      return engine().channelSums(x, 1, rowsOf(x), { mean })
    },
  ],
  [
    BN_RELU_KERNEL,
    ({ inputs, attrs }) => {
      const { x, mean, variance, gamma, beta, residual } = inputs as Inputs
      return engine().bnRelu(x, mean, variance, gamma, beta, residual, (attrs as unknown as { eps: number }).eps)
    },
  ],
  [BN_DBETA_KERNEL, ({ inputs }) => engine().channelSums((inputs as Inputs).dy, 0, 1)],
  [
    BN_DGAMMA_KERNEL,
    ({ inputs, attrs }) => {
      const { dy, x, mean, variance } = inputs as Inputs
      const e = engine()
      return e.channelSums(dy, 2, 1, { b: x, mean, rstd: e.rstd(variance, (attrs as unknown as { eps: number }).eps) })
    },
  ],
  [
    BN_DX_KERNEL,
    ({ inputs, attrs }) => {
      const { dy, x, mean, variance, gamma, dGamma, dBeta } = inputs as Inputs
      const { eps, n } = attrs as unknown as { eps: number; n: number }
      return engine().bnDx(dy, x, mean, variance, gamma, dGamma, dBeta, eps, n)
    },
  ],
]
const configs: KernelConfig[] = kernels.map(([kernelName, kernelFunc]) => ({ kernelName, backendName: WASM, kernelFunc }))

/** Registers the kernels while advtune's native module runs (or as `on` says), and unregisters them otherwise. */
export function syncBatchNormKernels(on = nativeKernels() != null): void {
  for (const config of configs) {
    const registered = getKernel(config.kernelName, WASM) != null
    if (on && !registered) registerKernel(config)
    if (!on && registered) unregisterKernel(config.kernelName, WASM)
  }
}
