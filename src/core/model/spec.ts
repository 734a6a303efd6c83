// The CIFAR ResNets of He et al. (2016, section 4.2) as the akamaster checkpoints define them:
// which tensors exist, with their PyTorch names and shapes. No tfjs here.

import type { ModelName } from '../config'

export interface ResNetSpec {
  name: string
  depth: number
  blocksPerStage: number // n: depth = 6n + 2
  stageChannels: readonly [number, number, number]
  numClasses: number
}

export interface TensorSpec {
  name: string // PyTorch state_dict name, without 'module.'
  shape: number[] // PyTorch layout (conv OIHW, linear [out, in])
  trainable: boolean // false for BatchNorm running statistics
}

export function resnetSpec(depth: number): ResNetSpec {
  if ((depth - 2) % 6 !== 0 || depth < 8) throw new Error(`a CIFAR ResNet has depth 6n+2, not ${depth}`)
  return { name: `resnet${depth}`, depth, blocksPerStage: (depth - 2) / 6, stageChannels: [16, 32, 64], numClasses: 10 }
}

export const specOf = (model: ModelName): ResNetSpec => resnetSpec(Number(model.slice('resnet'.length)))

/** Channel count in and stride of block b of stage s (0-based). */
export function blockShape(spec: ResNetSpec, s: number, b: number) {
  const out = spec.stageChannels[s]
  const inC = b > 0 ? out : s === 0 ? spec.stageChannels[0] : spec.stageChannels[s - 1]
  const stride = s > 0 && b === 0 ? 2 : 1
  return { inC, out, stride }
}

function bn(prefix: string, c: number): TensorSpec[] {
  return [
    { name: `${prefix}.weight`, shape: [c], trainable: true },
    { name: `${prefix}.bias`, shape: [c], trainable: true },
    { name: `${prefix}.running_mean`, shape: [c], trainable: false },
    { name: `${prefix}.running_var`, shape: [c], trainable: false },
  ]
}

/** Every tensor of the model in state_dict order. */
export function tensorSpecs(spec: ResNetSpec): TensorSpec[] {
  const c0 = spec.stageChannels[0]
  const out: TensorSpec[] = [{ name: 'conv1.weight', shape: [c0, 3, 3, 3], trainable: true }, ...bn('bn1', c0)]
  for (let s = 0; s < 3; s++)
    for (let b = 0; b < spec.blocksPerStage; b++) {
      const { inC, out: oc } = blockShape(spec, s, b)
      const p = `layer${s + 1}.${b}`
      out.push({ name: `${p}.conv1.weight`, shape: [oc, inC, 3, 3], trainable: true }, ...bn(`${p}.bn1`, oc))
      out.push({ name: `${p}.conv2.weight`, shape: [oc, oc, 3, 3], trainable: true }, ...bn(`${p}.bn2`, oc))
    }
  const last = spec.stageChannels[2]
  out.push({ name: 'linear.weight', shape: [spec.numClasses, last], trainable: true })
  out.push({ name: 'linear.bias', shape: [spec.numClasses], trainable: true })
  return out
}

export const countParams = (spec: ResNetSpec) =>
  tensorSpecs(spec)
    .filter((t) => t.trainable)
    .reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0)

/** Infers the depth from a state dict's block names, for imported checkpoints. */
export function inferDepth(names: Iterable<string>): number | null {
  let maxBlock = -1
  for (const n of names) {
    const m = /^layer1\.(\d+)\./.exec(n)
    if (m) maxBlock = Math.max(maxBlock, Number(m[1]))
  }
  return maxBlock < 0 ? null : 6 * (maxBlock + 1) + 2
}
