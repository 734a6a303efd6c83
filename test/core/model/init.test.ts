// Random initialisation, the from-scratch baseline: He-normal weights drawn from the seed,
// BatchNorm at identity, and a model that trains.

import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { gatherBatch } from '../../../src/core/data/batches'
import { randomStateDict } from '../../../src/core/model/init'
import { crossEntropy, forward } from '../../../src/core/model/resnet'
import { resnetSpec } from '../../../src/core/model/spec'
import { modelFromStateDict } from '../../../src/core/model/weights'
import { createRng } from '../../../src/core/rng'
import { Sgd } from '../../../src/core/train/sgd'
import { trainStep } from '../../../src/core/train/step'
import { loadTrainSet, useWasm } from '../../helpers/engine'

beforeAll(useWasm)

const spec = resnetSpec(20)
const values = (d: ReturnType<typeof randomStateDict>, name: string) => d.get(name)!.data as Float32Array

describe('randomStateDict', () => {
  it('is seeded: the same seed gives the same weights, another seed others', () => {
    const a = randomStateDict(spec, 1)
    expect(values(a, 'layer2.0.conv1.weight')).toEqual(values(randomStateDict(spec, 1), 'layer2.0.conv1.weight'))
    expect(values(a, 'layer2.0.conv1.weight')).not.toEqual(values(randomStateDict(spec, 2), 'layer2.0.conv1.weight'))
  })

  it('draws He-normal filters (std √(2/fan_in), mean 0) and sets BatchNorm to the identity', () => {
    const d = randomStateDict(spec, 0)
    for (const [name, fanIn] of [
      ['layer3.1.conv2.weight', 64 * 9],
      ['conv1.weight', 27],
      ['linear.weight', 64],
    ] as const) {
      const v = values(d, name)
      const m = v.reduce((s, x) => s + x, 0) / v.length
      const std = Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length)
      const tol = v.length > 10_000 ? 0.03 : 0.15 // relative: fewer draws, more noise
      expect(Math.abs(m)).toBeLessThan(0.1 * std)
      expect(Math.abs(std / Math.sqrt(2 / fanIn) - 1)).toBeLessThan(tol)
    }
    expect([...values(d, 'layer1.0.bn1.weight')].every((x) => x === 1)).toBe(true)
    expect([...values(d, 'layer1.0.bn1.bias'), ...values(d, 'layer1.0.bn1.running_mean'), ...values(d, 'linear.bias')].every((x) => x === 0)).toBe(true)
    expect([...values(d, 'layer1.0.bn1.running_var')].every((x) => x === 1)).toBe(true)
  })

  it('gives a model that trains: 10 clean SGD steps on one batch of real images lower its loss', async () => {
    const model = modelFromStateDict(randomStateDict(spec, 3), spec)
    const batch = gatherBatch(
      loadTrainSet(),
      Array.from({ length: 16 }, (_, i) => i),
      null,
    )
    const lossNow = () => tf.tidy(() => crossEntropy(forward(model, tf.tensor4d(batch.x, [16, 32, 32, 3]), 'train'), tf.tensor1d(batch.y, 'int32')).dataSync()[0])
    const before = lossNow()
    const sgd = new Sgd(model.trainable, 0.9, 5e-4)
    for (let i = 0; i < 10; i++) await trainStep({ model, sgd, rng: createRng(0) }, batch, { kind: 'none', eps255: 0, stepSize255: 1, steps: 1 }, 0.05)
    expect(before).toBeGreaterThan(1.8) // about ln 10 for a random 10-class network
    expect(lossNow()).toBeLessThan(0.6 * before)
  })
})
