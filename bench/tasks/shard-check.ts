// The bench page's check of the training attack shared with a real helper Web Worker
// (test/browser/attack-helpers.test.ts drives it): PGD training steps with the helper must give
// the losses and weights of the same steps without it, and the helper must have done its share.

import * as tf from '@tensorflow/tfjs-core'
import type { CifarSet } from '../../src/core/data/cifar'
import { disposeModel } from '../../src/core/model/resnet'
import { modelFromStateDict } from '../../src/core/model/weights'
import { createRng } from '../../src/core/rng'
import type { StateDict } from '../../src/core/tensors'
import type { AttackHelper, AttackShard } from '../../src/core/train/attackShards'
import { trainStep, type Stepper } from '../../src/core/train/step'
import { Sgd } from '../../src/core/train/sgd'
import { PGD2 } from './engine-check'
import { firstBatch } from './workloads'

export interface ShardCheck {
  backend: string
  helperShards: number[] // images per shard each request to the helper carried
  losses: number[] // with the helper
  lossesAlone: number[] // the same steps (same seeds) without it
  weightMaxAbsDiff: number // between the two models after the steps
  weightChange: number // how far the steps moved the weights, for scale
  msWith: number
  msAlone: number
}

export async function shardCheck(helpers: AttackHelper[], weights: StateDict, set: CifarSet, steps = 2): Promise<ShardCheck> {
  const batch = firstBatch(set, set.n)
  const sent: number[] = []
  const counting = helpers.map((h): AttackHelper => ({
    attack: (s: AttackShard) => (sent.push(s.y.length), h.attack(s)),
    dispose: () => h.dispose(),
  }))
  const run = async (hs: AttackHelper[]) => {
    const model = modelFromStateDict(weights)
    const s: Stepper = { model, sgd: new Sgd(model.trainable, 0.9, 5e-4), rng: createRng(5), helpers: hs }
    const t0 = performance.now()
    const losses: number[] = []
    for (let k = 0; k < steps; k++) losses.push(await trainStep(s, batch, PGD2, 0.05))
    const ms = performance.now() - t0
    s.sgd.dispose()
    return { model, losses, ms }
  }
  const shared = await run(counting)
  const alone = await run([])
  const start = modelFromStateDict(weights)
  const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])
  const names = [...shared.model.vars.keys()]
  const result: ShardCheck = {
    backend: tf.getBackend(),
    helperShards: sent,
    losses: shared.losses,
    lossesAlone: alone.losses,
    weightMaxAbsDiff: Math.max(...names.map((n) => maxDiff(shared.model.vars.get(n)!, alone.model.vars.get(n)!))),
    weightChange: Math.max(...names.map((n) => maxDiff(shared.model.vars.get(n)!, start.vars.get(n)!))),
    msWith: shared.ms,
    msAlone: alone.ms,
  }
  for (const m of [shared.model, alone.model, start]) disposeModel(m)
  counting.forEach((h) => h.dispose())
  return result
}
