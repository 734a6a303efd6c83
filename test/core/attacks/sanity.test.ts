// Properties any correct L∞ attack has, checked on the real pretrained ResNet-20 and real test
// images (WASM backend): the ball and the image range hold, eps 0 changes nothing, stronger
// attacks never help the model, and accuracy falls towards 0 as eps grows.

import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { exactSign, fgsm, fgsmRandomStart, pgd, type Forward } from '../../../src/core/attacks/linf'
import { gatherBatch } from '../../../src/core/data/batches'
import { head, type CifarSet } from '../../../src/core/data/cifar'
import type { Model } from '../../../src/core/model/resnet'
import { modelFromStateDict } from '../../../src/core/model/weights'
import { createRng } from '../../../src/core/rng'
import { evaluate, evalForward } from '../../../src/core/train/evaluate'
import { loadStateDict, loadTestSet, useWasm } from '../../helpers/engine'

let model: Model
let fwd: Forward
let set: CifarSet
const N = 100

beforeAll(async () => {
  await useWasm()
  model = modelFromStateDict(loadStateDict('resnet20'))
  fwd = evalForward(model)
  set = head(loadTestSet(), N)
})

const robustAt = async (eps255: number, steps: number, stepSize255 = eps255 / 4) =>
  await evaluate(model, set, { kind: 'pgd', eps: eps255 / 255, stepSize: stepSize255 / 255, steps, randomStart: false, restarts: 1 }, { batchSize: 50, seed: 1, exampleCount: 0 })

it('exactSign keeps the sign of gradients far below float16 range', async () => {
  expect(Array.from(await exactSign(tf.tensor1d([1e-12, -3e-9, 0, 2, -0.5])).data())).toEqual([1, -1, 0, 1, -1])
})

describe('adversarial examples stay inside the eps-ball and [0, 1]', () => {
  const eps = 8 / 255
  it.each([
    ['PGD-5 with random start', () => pgd(fwd, x(), y(), { eps, stepSize: 2 / 255, steps: 5, randomStart: true }, createRng(3))],
    ['FGSM', () => fgsm(fwd, x(), y(), eps)],
    ['FGSM with random start', () => fgsmRandomStart(fwd, x(), y(), eps, 1.25 * eps, createRng(4))],
  ])('%s', async (_, attack) => {
    const xa = attack()
    const dist = (await tf.max(tf.abs(tf.sub(xa, x()))).data())[0]
    const [lo, hi] = [(await tf.min(xa).data())[0], (await tf.max(xa).data())[0]]
    expect(dist).toBeLessThanOrEqual(eps + 1e-6)
    expect(dist).toBeGreaterThan(eps / 2) // it did move
    expect(lo).toBeGreaterThanOrEqual(0)
    expect(hi).toBeLessThanOrEqual(1)
  })
  const batch = () =>
    gatherBatch(
      set,
      Array.from({ length: 16 }, (_, i) => i),
      null,
    )
  const x = () => tf.tensor4d(batch().x, [16, 32, 32, 3])
  const y = () => tf.tensor1d(batch().y, 'int32')
})

describe('robust accuracy', () => {
  it('equals clean accuracy at eps = 0', async () => {
    const r = await robustAt(0, 5, 1)
    expect(r.robust).toBe(r.clean)
  })

  it('is at most the accuracy on clean images, counted without the clean-correct rule', async () => {
    // Accuracy on the attacked images themselves, not via evaluate()'s robust ⊆ clean rule.
    const b = gatherBatch(
      set,
      Array.from({ length: N }, (_, i) => i),
      null,
    )
    const x = tf.tensor4d(b.x, [N, 32, 32, 3])
    const y = tf.tensor1d(b.y, 'int32')
    const xa = pgd(fwd, x, y, { eps: 2 / 255, stepSize: 0.5 / 255, steps: 5, randomStart: false }, createRng(0))
    const acc = async (t: tf.Tensor4D) => (await tf.mean(tf.cast(tf.equal(tf.argMax(fwd(t), 1), y), 'float32')).data())[0]
    expect(await acc(xa)).toBeLessThan(await acc(x))
  })

  it('never rises with more PGD steps (beyond one image of noise)', async () => {
    const r = [await robustAt(2, 1, 1), await robustAt(2, 3, 1), await robustAt(2, 10, 0.5)].map((e) => e.robust)
    expect(r[0]).toBeGreaterThan(0.05) // weak enough that the comparison means something
    expect(r[1]).toBeLessThanOrEqual(r[0] + 1 / N)
    expect(r[2]).toBeLessThanOrEqual(r[1] + 1 / N)
  })

  it('falls towards 0 as eps grows', async () => {
    const r = []
    for (const eps of [0, 0.5, 1, 2, 8]) r.push((await robustAt(eps, 5)).robust)
    for (let i = 1; i < r.length; i++) expect(r[i]).toBeLessThanOrEqual(r[i - 1] + 1 / N)
    expect(r[0]).toBeGreaterThan(0.85)
    expect(r.at(-1)!).toBeLessThanOrEqual(0.02)
  })
})
