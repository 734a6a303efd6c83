// APGD-CE (src/core/attacks/apgd.ts) on the real pretrained ResNet-20 and real test images (WASM
// backend): its checkpoints, the ball and the image range, reproducibility, flat memory, that it
// keeps the first iterate that fooled the model (else the highest-loss one), and that it is no
// weaker than PGD-10. The PyTorch oracle's APGD-CE is compared in test/oracle/apgd.test.ts.

import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { apgdCe, apgdCheckpoints } from '../../../src/core/attacks/apgd'
import type { EvalAttackOptions, Forward } from '../../../src/core/attacks/linf'
import { gatherBatch } from '../../../src/core/data/batches'
import { head, type CifarSet } from '../../../src/core/data/cifar'
import type { Model } from '../../../src/core/model/resnet'
import { modelFromStateDict } from '../../../src/core/model/weights'
import { createRng } from '../../../src/core/rng'
import type { AttackHelper } from '../../../src/core/train/attackShards'
import { evaluate, frozenForward, type FrozenForward } from '../../../src/core/train/evaluate'
import { loadStateDict, loadTestSet, useWasm } from '../../helpers/engine'

let model: Model
let frozen: FrozenForward
let set: CifarSet

beforeAll(async () => {
  await useWasm()
  model = modelFromStateDict(loadStateDict('resnet20'))
  frozen = frozenForward(model)
  set = head(loadTestSet(), 64)
})

const apgd = (eps255: number, steps: number, restarts = 1): EvalAttackOptions => ({ kind: 'apgd-ce', eps: eps255 / 255, stepSize: 0, steps, randomStart: true, restarts })
const batchOf = (n: number) => {
  const b = gatherBatch(
    set,
    Array.from({ length: n }, (_, i) => i),
    null,
  )
  return { x: tf.tensor4d(b.x, [n, 32, 32, 3]), y: tf.tensor1d(b.y, 'int32') }
}

describe('checkpoints', () => {
  it('are the paper’s w_j = ⌈p_j·N⌉ for N = 100', () => {
    expect(apgdCheckpoints(100)).toEqual([0, 22, 41, 57, 70, 80, 87, 93, 99])
  })
  it('stay increasing and below N for few iterations', () => {
    for (const n of [1, 2, 5, 10, 20, 37]) {
      const w = apgdCheckpoints(n)
      expect(w[0]).toBe(0)
      for (let i = 1; i < w.length; i++) expect(w[i]).toBeGreaterThan(w[i - 1])
      expect(w.at(-1)!).toBeLessThan(n)
    }
  })
})

describe('APGD-CE', () => {
  it('at eps = 0 gives the clean accuracy', async () => {
    const r = await evaluate(model, set, apgd(0, 5), { batchSize: 64, seed: 0, exampleCount: 0 })
    expect(r.clean).toBeGreaterThan(0.85)
    expect(r.robust).toBe(r.clean)
  })

  it('stays in the eps-ball and [0, 1], is reproducible from its seed, and leaves no tensor behind', async () => {
    const eps = 8 / 255
    const { x, y } = batchOf(16)
    const run = (seed: number) => apgdCe(frozen.fwd, x, y, { eps, steps: 5 }, createRng(seed))
    const a = run(3) // the model's first pass also makes what it keeps for later ones
    const before = tf.memory().numTensors
    const [b, c] = [run(3), run(4)]
    expect(tf.memory().numTensors).toBe(before + 2) // the two results, nothing else
    const [av, bv, cv] = await Promise.all([a.data(), b.data(), c.data()])
    expect(bv).toEqual(av) // same seed: the same adversarial images, bit for bit
    expect(cv).not.toEqual(av) // another seed starts elsewhere
    for (const xa of [a, c]) {
      const dist = (await tf.max(tf.abs(tf.sub(xa, x))).data())[0]
      expect(dist).toBeLessThanOrEqual(eps + 1e-6)
      expect(dist).toBeGreaterThan(eps / 2) // it did move
      expect((await tf.min(xa).data())[0]).toBeGreaterThanOrEqual(0)
      expect((await tf.max(xa).data())[0]).toBeLessThanOrEqual(1)
    }
    tf.dispose([a, b, c, x, y])
  })

  it('returns the first iterate that fooled the model, else the highest-loss one', async () => {
    // A forward that records every point the attack evaluates (the gradient stays the real one):
    // the images, and per image its loss and whether the model got it wrong there.
    const n = 32
    const px = 32 * 32 * 3
    const { x, y } = batchOf(n)
    const seen: { xa: Float32Array; loss: Float32Array; wrong: Uint8Array }[] = []
    const recording: Forward = Object.assign(
      (xa: tf.Tensor4D) => {
        const logits = frozen.fwd(xa)
        tf.tidy(() => {
          const loss = tf.neg(tf.sum(tf.mul(tf.oneHot(y, 10), tf.logSoftmax(logits)), 1))
          const wrong = tf.notEqual(tf.argMax(logits, 1), y)
          seen.push({ xa: xa.dataSync() as Float32Array, loss: loss.dataSync() as Float32Array, wrong: wrong.dataSync() as Uint8Array })
        })
        return logits
      },
      { inputGrad: frozen.fwd.inputGrad },
    )
    const steps = 10
    const adv = apgdCe(recording, x, y, { eps: 1 / 255, steps }, createRng(0))
    const out = (await adv.data()) as Float32Array
    expect(seen.length).toBe(steps + 1) // x^(0) … x^(N), one forward each
    const kept = { fooled: 0, fooledMidway: 0, best: 0 }
    for (let i = 0; i < n; i++) {
      const first = seen.findIndex((s) => s.wrong[i] === 1)
      let k = first
      if (first >= 0) {
        kept.fooled++
        if (first > 0 && first < steps) kept.fooledMidway++
      } else {
        k = 0 // the first of the highest-loss iterates (a tie does not replace the best)
        seen.forEach((s, j) => (s.loss[i] > seen[k].loss[i] ? (k = j) : 0))
        if (k > 0 && k < steps) kept.best++
      }
      expect(out.subarray(i * px, (i + 1) * px), `image ${i}`).toEqual(seen[k].xa.subarray(i * px, (i + 1) * px))
    }
    // Both branches were exercised, neither only at the start or the end.
    expect(kept.fooledMidway).toBeGreaterThan(0)
    expect(kept.fooled).toBeLessThan(n)
    tf.dispose([adv, x, y])
  })

  it('is no weaker than PGD-10 on the same images (beyond one image of noise)', async () => {
    const eps = 1 / 255
    const o = { batchSize: 64, seed: 0, exampleCount: 0 }
    const pgd10 = await evaluate(model, set, { kind: 'pgd', eps, stepSize: eps / 4, steps: 10, randomStart: false, restarts: 1 }, o)
    const apgd20 = await evaluate(model, set, apgd(1, 20), o)
    expect(pgd10.robust).toBeGreaterThan(0.05) // weak enough that the comparison means something
    expect(apgd20.clean).toBe(pgd10.clean)
    expect(apgd20.robust).toBeLessThanOrEqual(pgd10.robust + 1 / set.n)
  })

  it('with restarts, counts an image robust only if it survives every one', async () => {
    const few = head(set, 8)
    const o = { batchSize: 8, seed: 5, exampleCount: 0 }
    const once = await evaluate(model, few, apgd(1, 3, 1), o)
    const thrice = await evaluate(model, few, apgd(1, 3, 3), o)
    expect(thrice.robust).toBeLessThanOrEqual(once.robust) // the first restart is the same run
  })

  it('runs unshared when the evaluation has attack helpers, with the same result', async () => {
    const few = head(set, 8)
    let asked = 0
    const helper: AttackHelper = {
      attack: async () => {
        asked++
        throw new Error('APGD-CE is not sharded')
      },
      dispose: () => {},
    }
    const plain = await evaluate(model, few, apgd(2, 3), { batchSize: 8, seed: 1, exampleCount: 8 })
    const withHelper = await evaluate(model, few, apgd(2, 3), { batchSize: 8, seed: 1, exampleCount: 8, helpers: [helper] })
    expect(asked).toBe(0)
    expect(withHelper.robust).toBe(plain.robust)
    expect(withHelper.examples.map((e) => e.adv)).toEqual(plain.examples.map((e) => e.adv))
  })
})
