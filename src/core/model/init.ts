// A randomly initialised CIFAR ResNet, the from-scratch baseline: He (Kaiming) normal weights for
// every convolution and the linear layer (std √(2 / fan_in), as the reference CIFAR ResNet code
// initialises them), BatchNorm at scale 1, shift 0 and running statistics (0, 1), the linear bias
// 0. Drawn on the host from the run's seed, so every backend starts from the same weights.

import { createRng, deriveSeed, type Rng } from '../rng'
import { f32, type StateDict } from '../tensors'
import { tensorSpecs, type ResNetSpec } from './spec'

/** A standard normal draw (Box–Muller). */
function normal(rng: Rng): number {
  const u = 1 - rng.next() // (0, 1]: log stays finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next())
}

/** He-initialised weights in PyTorch names and layouts (conv OIHW, linear [out, in]). */
export function randomStateDict(spec: ResNetSpec, seed: number): StateDict {
  const rng = createRng(deriveSeed(seed, 'init'))
  const dict: StateDict = new Map()
  for (const t of tensorSpecs(spec)) {
    const n = t.shape.reduce((a, b) => a * b, 1)
    const data = new Float32Array(n)
    const leaf = t.name.slice(t.name.lastIndexOf('.') + 1)
    const isBn = /(^|\.)bn\d\./.test(t.name)
    if (!isBn && leaf === 'weight') {
      const std = Math.sqrt(2 / (n / t.shape[0])) // fan_in: everything but the output dimension
      for (let i = 0; i < n; i++) data[i] = normal(rng) * std
    } else if ((isBn && leaf === 'weight') || leaf === 'running_var') data.fill(1)
    dict.set(t.name, f32([...t.shape], data))
  }
  return dict
}
