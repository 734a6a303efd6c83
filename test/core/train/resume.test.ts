// Resuming a run from a snapshot (real ResNet-20, real CIFAR-10, WASM): the resumed run ends bit
// for bit where the uninterrupted one does, from a snapshot in the middle of an epoch and from one
// at an epoch boundary, with augmentation and a randomly started training attack on.

import { beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG, type RunConfig } from '../../../src/core/config'
import type { CifarSet } from '../../../src/core/data/cifar'
import { modelFromStateDict } from '../../../src/core/model/weights'
import type { Model } from '../../../src/core/model/resnet'
import { PRESETS } from '../../../src/core/schedule'
import { fineTune, type FineTuneResult } from '../../../src/core/train/finetune'
import { modelWeights, snapshotBytes, type TrainSnapshot } from '../../../src/core/train/snapshot'
import type { EvalPoint } from '../../../src/core/train/types'
import type { StateDict } from '../../../src/core/tensors'
import { trainingFixture } from '../../helpers/engine'

let data: { train: CifarSet; test: CifarSet }
let pretrained: StateDict

beforeAll(async () => {
  ;({ data, pretrained } = await trainingFixture())
})

// 2 epochs of 5 steps, evaluated every 4 steps: a snapshot at step 3 is mid-epoch, one at step 5
// on the epoch boundary (the next epoch's order not drawn yet), and evaluations fall either side.
const config: RunConfig = {
  ...DEFAULT_CONFIG, // augmentation on, FGSM with random start, the ε ramp
  trainSize: 40,
  batchSize: 8,
  epochs: 2,
  peakLr: 0.02,
  evalAttack: { kind: 'pgd', eps255: 8, stepSize255: 2, steps: 2, randomStart: true, restarts: 1 },
  evalSize: 10,
  evalEvery: 4,
  seed: 3,
}
const schedule = PRESETS['slow-start-fast-decay'].points

/** The final weights as one byte string per tensor (BatchNorm statistics included). */
async function weightBytes(m: Model): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const w of await modelWeights(m)) out[w.name] = Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).toString('base64')
  return out
}

const withoutClock = (h: EvalPoint[]) => h.map(({ elapsedMs: _, ...p }) => p)

interface Outcome {
  result: FineTuneResult
  weights: Record<string, string>
  batchesTracked: number
  losses: number[] // per step, as reported
}

async function train(o: { resumeFrom?: TrainSnapshot; snapshots?: TrainSnapshot[] } = {}): Promise<Outcome> {
  const model = modelFromStateDict(pretrained)
  const losses: number[] = []
  const result = await fineTune(
    model,
    data,
    config,
    schedule,
    {
      onStep: (s) => (losses[s.step - 1] = s.loss),
      // Kept as IndexedDB would keep them: structured clones.
      onSnapshot: o.snapshots ? (s) => void o.snapshots!.push(structuredClone(s)) : undefined,
    },
    { resumeFrom: o.resumeFrom, snapshotIntervalMs: 0 },
  )
  return { result, weights: await weightBytes(model), batchesTracked: model.batchesTracked, losses }
}

// The uninterrupted run with a snapshot after every step, shared by the tests.
let watchedRun: Promise<{ watched: Outcome; snapshots: TrainSnapshot[] }> | null = null
const withSnapshots = () =>
  (watchedRun ??= (async () => {
    const snapshots: TrainSnapshot[] = []
    return { watched: await train({ snapshots }), snapshots }
  })())

describe('resuming from a snapshot', () => {
  it('ends bit for bit like the uninterrupted run, from mid-epoch and from an epoch boundary', async () => {
    const plain = await train()
    const { watched, snapshots } = await withSnapshots()
    // Taking snapshots (every step here) changes nothing.
    expect(watched.weights).toEqual(plain.weights)
    expect(snapshots.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(snapshotBytes(snapshots[0])).toBeGreaterThan(2 * 4 * 269_722) // weights and momentum of ResNet-20's 0.27 M parameters

    for (const at of [3, 5]) {
      const snap = snapshots.find((s) => s.step === at)!
      expect(snap.history.map((p) => p.step)).toEqual(at < 4 ? [0] : [0, 4])
      const resumed = await train({ resumeFrom: snap })
      expect(resumed.result.status).toBe('done')
      expect(resumed.result.steps).toBe(10)
      expect(resumed.weights).toEqual(plain.weights)
      expect(resumed.batchesTracked).toBe(plain.batchesTracked)
      expect(resumed.losses.slice(at)).toEqual(plain.losses.slice(at))
      expect(withoutClock(resumed.result.history)).toEqual(withoutClock(plain.result.history))
    }
  })

  it('needs every part of the state: a snapshot missing the attack stream or the momentum ends elsewhere', async () => {
    const { watched: plain, snapshots } = await withSnapshots()
    const snap = snapshots.find((s) => s.step === 3)!
    const freshAttack = await train({ resumeFrom: { ...snap, rng: { ...snap.rng, attack: snapshots[0].rng.attack } } })
    expect(freshAttack.weights).not.toEqual(plain.weights)
    const noMomentum = await train({ resumeFrom: { ...snap, momentum: [] } })
    expect(noMomentum.weights).not.toEqual(plain.weights)
  })

  it('refuses a snapshot of another run length', async () => {
    const { snapshots } = await withSnapshots()
    await expect(fineTune(modelFromStateDict(pretrained), data, { ...config, epochs: 3 }, schedule, {}, { resumeFrom: snapshots[2] })).rejects.toThrow(/cannot resume.*10 steps, not 15/)
  })
})
