// The attack table's claims hold for the engine: kinds it calls deterministic give the same
// figure under any seed (and the others do not), kinds that do not read a setting ignore it,
// the training attack's PGD settings are what each kind means; and the table's derived pieces
// (menus, labels, the panel's switch of iterations, the study's compute) read as intended.

import { beforeAll, describe, expect, it } from 'vitest'
import { EVAL_ATTACK_KINDS, EVAL_ATTACKS, evalKindPatch, TRAIN_ATTACK_KINDS, TRAIN_ATTACKS, type EvalAttack } from '../../../src/core/attacks/kinds'
import { configProblems, DEFAULT_CONFIG } from '../../../src/core/config'
import { head, type CifarSet } from '../../../src/core/data/cifar'
import type { Model } from '../../../src/core/model/resnet'
import { modelFromStateDict } from '../../../src/core/model/weights'
import { evalAttackOptions, evaluate } from '../../../src/core/train/evaluate'
import { evalAttackLabel, trainAttackLabel } from '../../../src/store/describe'
import { loadStateDict, loadTestSet, useWasm } from '../../helpers/engine'

const base: EvalAttack = { kind: 'pgd', eps255: 8, stepSize255: 2, steps: 3, randomStart: false, restarts: 1 }

describe('the table', () => {
  it('has one row per kind, each with a menu entry and a label', () => {
    expect(Object.keys(TRAIN_ATTACKS).sort()).toEqual([...TRAIN_ATTACK_KINDS].sort())
    expect(Object.keys(EVAL_ATTACKS).sort()).toEqual([...EVAL_ATTACK_KINDS].sort())
    for (const k of EVAL_ATTACK_KINDS) expect(evalAttackLabel({ ...base, kind: k })).toMatch(/ε=8\/255/)
    expect(trainAttackLabel(DEFAULT_CONFIG.trainAttack)).toBe('FGSM-RS, ε=8/255')
    expect(trainAttackLabel({ kind: 'pgd', eps255: 8, stepSize255: 2, steps: 7 })).toBe('PGD-7, ε=8/255, step 2/255')
    expect(evalAttackLabel({ ...base, kind: 'apgd-ce', steps: 100, randomStart: false })).toBe('APGD-CE-100, ε=8/255')
  })

  it('gives each training attack its PGD settings and compute', () => {
    const a = { eps255: 8, stepSize255: 2, steps: 7 }
    expect(TRAIN_ATTACKS.pgd.pgd({ ...a, kind: 'pgd' })).toEqual({ eps: 8 / 255, stepSize: 2 / 255, steps: 7, randomStart: true })
    expect(TRAIN_ATTACKS['fgsm-rs'].pgd({ ...a, kind: 'fgsm-rs' })).toEqual({ eps: 8 / 255, stepSize: 10 / 255, steps: 1, randomStart: true })
    expect(TRAIN_ATTACKS.none.pgd({ ...a, kind: 'none' })).toBeNull()
    expect([TRAIN_ATTACKS.pgd, TRAIN_ATTACKS['fgsm-rs'], TRAIN_ATTACKS.none].map((i) => i.passesPerImage(a))).toEqual([8, 2, 1])
  })

  it('switches iterations when the evaluation attack changes: APGD-CE gets 100, PGD its 10 back, FGSM keeps them', () => {
    expect(evalKindPatch({ ...base, steps: 10 }, 'apgd-ce')).toEqual({ kind: 'apgd-ce', steps: 100 })
    expect(evalKindPatch({ ...base, kind: 'apgd-ce', steps: 100 }, 'pgd')).toEqual({ kind: 'pgd', steps: 10 })
    expect(evalKindPatch({ ...base, steps: 20 }, 'fgsm')).toEqual({ kind: 'fgsm' })
    expect(evalKindPatch({ ...base, kind: 'fgsm', steps: 20 }, 'pgd')).toEqual({ kind: 'pgd' })
  })

  it('validation names a kind the table does not hold', () => {
    const c = { ...DEFAULT_CONFIG, evalAttack: { ...DEFAULT_CONFIG.evalAttack, kind: 'cw' as never } }
    expect(configProblems(c).join(' ')).toMatch(/evaluation attack must be one of pgd, fgsm, apgd-ce/)
  })
})

describe('the engine does what the table says (ResNet-20, 40 test images, WASM)', () => {
  let model: Model
  let set: CifarSet
  beforeAll(async () => {
    await useWasm()
    model = modelFromStateDict(loadStateDict('resnet20'))
    set = head(loadTestSet(), 40)
  })
  const run = (a: EvalAttack, seed: number) => evaluate(model, set, evalAttackOptions(a), { batchSize: 40, seed, exampleCount: 8 })
  // The adversarial images themselves: a random start moves them even where accuracy would not move.
  const advBytes = async (a: EvalAttack, seed: number) => (await run(a, seed)).examples.map((e) => Array.from(e.adv).join(',')).join(';')

  it.each([
    ['PGD, fixed start', { ...base }],
    ['PGD, random start', { ...base, randomStart: true }],
    ['FGSM (its random-start setting ignored)', { ...base, kind: 'fgsm', randomStart: true }],
    ['APGD-CE (random start whatever the setting)', { ...base, kind: 'apgd-ce', steps: 5, randomStart: false }],
  ] as [string, EvalAttack][])('%s: deterministic exactly when the table says so', async (_, a) => {
    const images = new Set<string>()
    for (const seed of [1, 2]) images.add(await advBytes(a, seed))
    expect(images.size === 1).toBe(EVAL_ATTACKS[a.kind].deterministic(a))
  })

  it('a kind that does not read a setting ignores it (FGSM: steps and step size)', async () => {
    const fgsm: EvalAttack = { ...base, kind: 'fgsm' }
    expect(await advBytes({ ...fgsm, steps: 9, stepSize255: 7 }, 1)).toBe(await advBytes(fgsm, 1))
  })
})
