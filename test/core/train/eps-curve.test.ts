// The training attack's ε curve through the real fine-tuning loop (WASM, real ResNet-20 and
// CIFAR-10): the ε each step records follows the curve, and ε 0 everywhere is clean training.

import { beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG, type RunConfig } from '../../../src/core/config'
import type { CifarSet } from '../../../src/core/data/cifar'
import { modelFromStateDict, stateDictFromModel } from '../../../src/core/model/weights'
import { EPS_PRESETS, epsAt, PRESETS } from '../../../src/core/schedule'
import { fineTune } from '../../../src/core/train/finetune'
import type { StepInfo } from '../../../src/core/train/types'
import type { StateDict } from '../../../src/core/tensors'
import { trainingFixture } from '../../helpers/engine'

let data: { train: CifarSet; test: CifarSet }
let pretrained: StateDict

beforeAll(async () => {
  ;({ data, pretrained } = await trainingFixture())
})

const tiny = (over: Partial<RunConfig> = {}): RunConfig => ({
  ...DEFAULT_CONFIG,
  trainSize: 48,
  batchSize: 8,
  epochs: 1,
  peakLr: 0.01,
  trainAttack: { kind: 'pgd', eps255: 8, stepSize255: 2, steps: 2 },
  evalAttack: { kind: 'pgd', eps255: 8, stepSize255: 2, steps: 1, randomStart: false, restarts: 1 },
  evalSize: 4,
  evalEvery: 100,
  ...over,
})

async function train(c: RunConfig): Promise<{ steps: StepInfo[]; weights: StateDict }> {
  const model = modelFromStateDict(pretrained)
  const steps: StepInfo[] = []
  const r = await fineTune(model, data, c, PRESETS.constant.points, { onStep: (s) => steps.push(s) })
  expect(r.status).toBe('done')
  return { steps, weights: await stateDictFromModel(model) }
}

describe('the ε curve', () => {
  it('sets the ε of every step: ε_max × curve at the step midpoint (a ramp over the first half)', async () => {
    const c = tiny({ epsCurve: EPS_PRESETS['ramp-50'].points })
    const { steps } = await train(c)
    expect(steps).toHaveLength(6)
    steps.forEach((s, i) => expect(s.eps255).toBeCloseTo(epsAt(c.epsCurve, 8, i, 6), 12))
    expect(steps.map((s) => Number(s.eps255.toFixed(4)))).toEqual([8 / 6, 4, 6.6667, 8, 8, 8].map((v) => Number(v.toFixed(4))))
  })

  it('ε 0 everywhere trains on clean images: the same weights, bit for bit, as no training attack', async () => {
    const zero = await train(
      tiny({
        epsCurve: [
          { t: 0, y: 0 },
          { t: 1, y: 0 },
        ],
      }),
    )
    const none = await train(tiny({ trainAttack: { kind: 'none', eps255: 8, stepSize255: 2, steps: 2 } }))
    const full = await train(tiny())
    expect(zero.steps.every((s) => s.eps255 === 0)).toBe(true)
    const same = (a: StateDict, b: StateDict) => [...a].every(([k, t]) => (t.data as Float32Array).every((v, i) => v === (b.get(k)!.data as Float32Array)[i]))
    expect(same(zero.weights, none.weights)).toBe(true)
    expect(same(zero.weights, full.weights)).toBe(false) // the attack does change training
  })

  it('refuses a curve above ε_max or with fewer than two points, naming the problem', async () => {
    const model = modelFromStateDict(pretrained)
    await expect(
      fineTune(
        model,
        data,
        tiny({
          epsCurve: [
            { t: 0, y: 0 },
            { t: 1, y: 1.5 },
          ],
        }),
        PRESETS.constant.points,
      ),
    ).rejects.toThrow(/ε cannot exceed ε_max/)
    await expect(fineTune(model, data, tiny({ epsCurve: [{ t: 0, y: 1 }] }), PRESETS.constant.points)).rejects.toThrow(/ε curve needs at least two control points/)
  })
})
