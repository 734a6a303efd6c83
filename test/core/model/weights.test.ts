// Strict weight mapping: the real checkpoints fit their architectures exactly; anything else is
// refused with every problem named, and a refused import creates no tensors.

import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { MODEL_NAMES } from '../../../src/core/config'
import { forward } from '../../../src/core/model/resnet'
import { countParams, resnetSpec, specOf, tensorSpecs } from '../../../src/core/model/spec'
import { modelFromStateDict, specForStateDict, stateDictFromModel, WeightImportError } from '../../../src/core/model/weights'
import type { StateDict } from '../../../src/core/tensors'
import { loadStateDict, useWasm } from '../../helpers/engine'

const PARAMS = { resnet20: 269_722, resnet32: 464_154, resnet44: 658_586, resnet56: 853_018 }

beforeAll(useWasm)

describe('architectures', () => {
  it.each(MODEL_NAMES)('%s: every checkpoint tensor has the spec name and shape; the parameter count is the published one', (name) => {
    const dict = loadStateDict(name)
    const spec = specOf(name)
    expect(specForStateDict(dict).depth).toBe(spec.depth)
    expect(countParams(spec)).toBe(PARAMS[name])
    expect(new Set(dict.keys())).toEqual(new Set(tensorSpecs(spec).map((t) => t.name)))
  })

  it('maps [B,32,32,3] pixels to [B,10] logits in both BatchNorm modes', () => {
    const m = modelFromStateDict(loadStateDict('resnet20'))
    const x = tf.randomUniform([2, 32, 32, 3]) as tf.Tensor4D
    expect(forward(m, x, 'eval').shape).toEqual([2, 10])
    expect(forward(m, x, 'train').shape).toEqual([2, 10])
  })
})

describe('strict import', () => {
  const expectRefusal = (dict: StateDict, pattern: RegExp) => {
    const before = tf.memory().numTensors
    let err: unknown
    try {
      modelFromStateDict(dict)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(WeightImportError)
    expect((err as Error).message).toMatch(pattern)
    expect(tf.memory().numTensors).toBe(before) // nothing half-built is left behind
  }

  it('names a missing tensor', () => {
    const d = new Map(loadStateDict('resnet20'))
    d.delete('layer2.1.bn2.running_var')
    expectRefusal(d, /missing 1 tensor\(s\): layer2\.1\.bn2\.running_var/)
  })
  it('names an unexpected tensor, but accepts num_batches_tracked', () => {
    const d = new Map(loadStateDict('resnet20'))
    d.set('layer1.0.bn1.num_batches_tracked', { dtype: 'I64', shape: [], data: BigInt64Array.of(5n) })
    expect(() => modelFromStateDict(d)).not.toThrow()
    d.set('fc.weight', { dtype: 'F32', shape: [10, 64], data: new Float32Array(640) })
    expectRefusal(d, /unexpected 1 tensor\(s\): fc\.weight/)
  })
  it('names a mis-shaped tensor', () => {
    const d = new Map(loadStateDict('resnet20'))
    d.set('linear.weight', { dtype: 'F32', shape: [100, 64], data: new Float32Array(6400) })
    expectRefusal(d, /linear\.weight is \[100,64\] but resnet20 needs \[10,64\]/)
  })
  it('refuses a checkpoint of another architecture with a message', () => {
    // A ResNet-56 checkpoint forced onto ResNet-20: every extra block is named as unexpected.
    expect(() => modelFromStateDict(loadStateDict('resnet56'), resnetSpec(20))).toThrow(/unexpected \d+ tensor\(s\): layer1\.3\./)
    // Something that is not a CIFAR ResNet at all (a torchvision-style MLP head only).
    const mlp: StateDict = new Map([['fc1.weight', { dtype: 'F32', shape: [4, 4], data: new Float32Array(16) }]])
    expectRefusal(mlp, /not a CIFAR ResNet/)
  })
})

describe('export', () => {
  it('round-trips the checkpoint bit for bit, adding num_batches_tracked for every BatchNorm', async () => {
    const dict = loadStateDict('resnet20')
    const out = await stateDictFromModel(modelFromStateDict(dict))
    for (const [name, t] of dict) expect(out.get(name)!.data, name).toEqual(t.data)
    const tracked = [...out.keys()].filter((k) => k.endsWith('num_batches_tracked'))
    expect(tracked.length).toBe(19) // stem + 2 per block × 9 blocks
  })
})
