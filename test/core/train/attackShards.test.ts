// The training attack split into shards gives the same adversarial batch, and the same training
// step, as the attack done in one piece (real ResNet-20, real CIFAR-10 images, WASM backend).
// The helpers here run the real shard computation on their own copy of the model, from the
// snapshot they are sent, in this thread; test/browser runs them in real Web Workers.

import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { pgd } from '../../../src/core/attacks/linf'
import { gatherBatch } from '../../../src/core/data/batches'
import type { CifarSet } from '../../../src/core/data/cifar'
import { disposeModel, forward, type Model } from '../../../src/core/model/resnet'
import { modelFromStateDict } from '../../../src/core/model/weights'
import { createRng } from '../../../src/core/rng'
import { attackShard, modelFromSnapshot, shardedPgd, shardSizes, snapshotModel, type AttackHelper, type AttackShard } from '../../../src/core/train/attackShards'
import { evaluate, evalForward } from '../../../src/core/train/evaluate'
import { trainStep, type Stepper } from '../../../src/core/train/step'
import { Sgd } from '../../../src/core/train/sgd'
import type { StateDict } from '../../../src/core/tensors'
import { loadStateDict, loadTestSet, useWasm } from '../../helpers/engine'

let test: CifarSet
let pretrained: StateDict

beforeAll(async () => {
  await useWasm()
  test = loadTestSet()
  pretrained = loadStateDict('resnet20')
})

/** A helper with its own model, rebuilt from each request's snapshot; records what it was sent. */
function inThreadHelper(opts: { fail?: boolean } = {}) {
  let model: Model | null = null
  const sent: AttackShard[] = []
  const helper: AttackHelper & { sent: AttackShard[]; model: () => Model | null } = {
    sent,
    model: () => model,
    async attack(shard) {
      sent.push(shard)
      await new Promise((res) => setTimeout(res, 0)) // answer later, as a worker would
      if (opts.fail) throw new Error('helper crashed')
      model = modelFromSnapshot(shard.weights, model)
      return attackShard(evalForward(model), shard)
    },
    dispose: () => model && disposeModel(model),
  }
  return helper
}

const batchOf = (n: number, from = 0) =>
  gatherBatch(
    test,
    Array.from({ length: n }, (_, i) => from + i),
    null,
  )
const PGD = { eps: 8 / 255, stepSize: 2 / 255, steps: 3, randomStart: true }

describe('attack shards', () => {
  it('splits a batch as evenly as possible, never below 8 images a shard', () => {
    expect(shardSizes(128, 2)).toEqual([64, 64])
    expect(shardSizes(100, 3)).toEqual([34, 33, 33])
    expect(shardSizes(20, 4)).toEqual([10, 10])
    expect(shardSizes(12, 2)).toEqual([12])
    expect(shardSizes(7, 1)).toEqual([7])
  })

  it('a snapshot rebuilds the model exactly (same logits), and later snapshots update it in place', async () => {
    const m = modelFromStateDict(pretrained)
    const b = batchOf(16)
    const x = tf.tensor4d(b.x, [16, 32, 32, 3])
    const copy = modelFromSnapshot(await snapshotModel(m), null)
    expect(Array.from(forward(copy, x, 'eval').dataSync())).toEqual(Array.from(forward(m, x, 'eval').dataSync()))
    m.vars.get('linear.bias')!.assign(tf.fill([10], 0.5))
    const again = modelFromSnapshot(await snapshotModel(m), copy)
    expect(again).toBe(copy)
    expect(Array.from(forward(copy, x, 'eval').dataSync())).toEqual(Array.from(forward(m, x, 'eval').dataSync()))
    // Another architecture (an imported ResNet-32) replaces the model and frees the old one.
    const deeper = modelFromStateDict(loadStateDict('resnet32'))
    const before = tf.memory().numTensors
    const swapped = modelFromSnapshot(await snapshotModel(deeper), copy)
    expect(swapped.spec.depth).toBe(32)
    expect(tf.memory().numTensors).toBe(before + deeper.vars.size - m.vars.size)
    disposeModel(m)
    disposeModel(swapped)
    disposeModel(deeper)
    x.dispose()
  })

  it('PGD over 3 shards equals PGD in one piece (same seed), and the helpers got their shares', async () => {
    const m = modelFromStateDict(pretrained)
    const b = batchOf(24)
    const x = tf.tensor4d(b.x, [24, 32, 32, 3])
    const y = tf.tensor1d(b.y, 'int32')
    const fwd = evalForward(m)
    const whole = pgd(fwd, x, y, PGD, createRng(7))
    const helpers = [inThreadHelper(), inThreadHelper()]
    const sharded = await shardedPgd(m, fwd, x, y, PGD, createRng(7), helpers)
    expect(helpers.map((h) => h.sent.map((s) => s.y.length))).toEqual([[8], [8]])
    expect(Array.from(helpers[1].sent[0].y)).toEqual(Array.from(b.y.slice(16, 24)))
    // Once the helpers hold their models, a sharded attack leaves only its result behind.
    const before = tf.memory().numTensors
    tf.dispose(await shardedPgd(m, fwd, x, y, PGD, createRng(7), helpers))
    expect(tf.memory().numTensors).toBe(before)
    const diff = tf.max(tf.abs(tf.sub(whole, sharded))).dataSync()[0]
    expect(diff).toBe(0)
    // And the attack did something: the images moved by up to eps.
    const moved = tf.max(tf.abs(tf.sub(sharded, x))).dataSync()[0]
    expect(moved).toBeGreaterThan(0.5 * PGD.eps)
    expect(moved).toBeLessThanOrEqual(PGD.eps + 1e-6)
    helpers.forEach((h) => h.dispose())
    tf.dispose([x, y, whole, sharded])
    disposeModel(m)
  })

  it("a failing helper's shard is attacked here instead: same result", async () => {
    const m = modelFromStateDict(pretrained)
    const b = batchOf(16, 100)
    const x = tf.tensor4d(b.x, [16, 32, 32, 3])
    const y = tf.tensor1d(b.y, 'int32')
    const fwd = evalForward(m)
    const whole = pgd(fwd, x, y, PGD, createRng(3))
    const broken = inThreadHelper({ fail: true })
    const sharded = await shardedPgd(m, fwd, x, y, PGD, createRng(3), [broken])
    expect(broken.sent.length).toBe(1)
    expect(tf.max(tf.abs(tf.sub(whole, sharded))).dataSync()[0]).toBe(0)
    tf.dispose([x, y, whole, sharded])
    disposeModel(m)
  })

  it('a robust evaluation with helpers (PGD with random starts and restarts) gives the same numbers and examples', async () => {
    const m = modelFromStateDict(pretrained)
    const set = { n: 40, labels: test.labels.subarray(0, 40), images: test.images.subarray(0, 40 * 3072) }
    const attack = { kind: 'pgd' as const, eps: 2 / 255, stepSize: 1 / 255, steps: 2, randomStart: true, restarts: 2 }
    const o = { batchSize: 20, seed: 4, exampleCount: 3 }
    const helper = inThreadHelper()
    const [alone, shared] = [await evaluate(m, set, attack, o), await evaluate(m, set, attack, { ...o, helpers: [helper] })]
    expect(helper.sent.length).toBeGreaterThanOrEqual(2) // each batch, and restarts where an image survived
    expect(alone.robust).toBeGreaterThan(0) // eps 2/255 leaves some images standing: restarts ran
    expect(shared).toEqual(alone)
    helper.dispose()
    disposeModel(m)
  })

  it('three PGD training steps with a helper give the losses and weights of steps without one', async () => {
    const run = async (helpers: AttackHelper[]) => {
      const model = modelFromStateDict(pretrained)
      const s: Stepper = { model, sgd: new Sgd(model.trainable, 0.9, 5e-4), rng: createRng(11), helpers }
      const losses: number[] = []
      for (let k = 0; k < 3; k++) losses.push(await trainStep(s, batchOf(16, 16 * k), { kind: 'pgd', eps255: 8, stepSize255: 2, steps: 2 }, 0.05))
      const weights = model.trainable.map((v) => Array.from(v.dataSync()))
      s.sgd.dispose()
      disposeModel(model)
      return { losses, weights }
    }
    const helper = inThreadHelper()
    const [alone, shared] = [await run([]), await run([helper])]
    expect(helper.sent.length).toBe(3)
    // The helper saw the updated model at every step (the weights it was sent changed).
    const bias = (k: number) => helper.sent[k].weights.tensors.find((t) => t.name === 'linear.bias')!.data
    expect(Array.from(bias(2))).not.toEqual(Array.from(bias(0)))
    expect(shared.losses).toEqual(alone.losses)
    expect(shared.weights).toEqual(alone.weights)
    helper.dispose()
  })
})
