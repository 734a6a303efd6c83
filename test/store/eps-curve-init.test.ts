// The ε curve and the model's start (pretrained or random) as the store keeps them: edited,
// remembered, shared in links, frozen into runs, described, and revived from older records.

import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG, type RunConfig } from '../../src/core/config'
import { DEFAULT_SCHEDULE, EPS_PRESETS } from '../../src/core/schedule'
import { epsCurveLabel, evalAttackLabel, trainingLabel } from '../../src/store/describe'
import { memoryRunStorage, reviveRun } from '../../src/store/persistence'
import { SETTINGS_KEY, loadSettings } from '../../src/store/settings'
import { decodeShareHash, encodeShareHash, flattenConfig } from '../../src/store/share'
import { mapStorage, readyStore, stepInfo, testStore } from './helpers'

const ramp30 = EPS_PRESETS['ramp-30'].points

describe('ε curve in share links', () => {
  it('travels as eps=t:y,… (not flattened) and round-trips with the other settings', () => {
    const config: RunConfig = { ...DEFAULT_CONFIG, init: 'random', epsCurve: EPS_PRESETS['ramp-50'].points, evalAttack: { ...DEFAULT_CONFIG.evalAttack, kind: 'apgd-ce', steps: 100 } }
    expect(flattenConfig(config).some(([k]) => k.startsWith('epsCurve'))).toBe(false)
    const hash = encodeShareHash(config, DEFAULT_SCHEDULE)
    expect(hash).toBe('#v=1&init=random&evalAttack.kind=apgd-ce&evalAttack.steps=100&schedule=0:0,0.5:1,0.7:0.1,1:0&eps=0:0,0.5:1,1:1')
    expect(decodeShareHash(hash)).toEqual({ config, schedule: DEFAULT_SCHEDULE, problems: [] })
    // The default curve is not written.
    expect(encodeShareHash(DEFAULT_CONFIG, DEFAULT_SCHEDULE)).not.toContain('eps=')
  })

  it('repairs a fixable ε curve, ignores an unusable one, and rejects unknown start kinds', () => {
    const repaired = decodeShareHash('#v=1&eps=0:0,0.4:3,1:1')!
    expect(repaired.config.epsCurve).toEqual([
      { t: 0, y: 0 },
      { t: 0.4, y: 1 },
      { t: 1, y: 1 },
    ])
    expect(repaired.problems.join(' ')).toMatch(/ε curve was repaired.*ε cannot exceed ε_max/)
    const bad = decodeShareHash('#v=1&init=pretrained-ish&eps=0:0,0.5:0.5,0.25:1,1:1')!
    expect(bad.config.init).toBe('pretrained')
    expect(bad.problems.join(' ')).toMatch(/pretrained-ish/)
    expect(bad.config.epsCurve.map((p) => p.t)).toEqual([0, 0.25, 0.5, 1]) // sorted: repaired
  })
})

describe('ε curve in remembered settings', () => {
  it('comes back after a reload', async () => {
    const kv = mapStorage()
    const h = testStore({ settings: kv })
    await h.a().boot('')
    h.a().applyEpsPreset('ramp-50')
    h.a().chooseModel('resnet20', 'random') // no worker yet: ignored
    await h.runTimers()
    const h2 = testStore({ settings: kv })
    await h2.a().boot('')
    expect(h2.store.getState().config.epsCurve).toEqual(EPS_PRESETS['ramp-50'].points)
  })

  it('settings saved before the ε curve existed load with the default curve, keeping the rest', () => {
    const kv = mapStorage()
    const { epsCurve: _e, init: _i, ...old } = { ...DEFAULT_CONFIG, epochs: 5 }
    kv.setItem(SETTINGS_KEY, JSON.stringify({ config: old, schedule: DEFAULT_SCHEDULE, xAxis: 'epoch' }))
    expect(loadSettings(kv)).toEqual({ config: { ...DEFAULT_CONFIG, epochs: 5 }, schedule: DEFAULT_SCHEDULE, xAxis: 'epoch' })
    for (const epsCurve of [
      [
        { t: 0, y: 2 },
        { t: 1, y: 1 },
      ],
      [{ t: 0, y: 1 }],
      'ramp',
      [null, null],
    ]) {
      kv.setItem(SETTINGS_KEY, JSON.stringify({ config: { ...DEFAULT_CONFIG, epochs: 5, epsCurve } }))
      expect(loadSettings(kv).config).toEqual({ ...DEFAULT_CONFIG, epochs: 5 })
    }
  })
})

describe('ε curve and start in runs', () => {
  it('a run freezes the ε curve; its steps keep the ε applied', async () => {
    const h = await readyStore()
    h.a().setEpsCurve(ramp30)
    const id = h.a().startRun()!
    h.a().setEpsCurve(EPS_PRESETS.constant.points)
    expect(h.lastSent('start')!.config.epsCurve).toEqual(ramp30)
    expect(h.store.getState().runs[id].config.epsCurve).toEqual(ramp30)
    h.a().receive({ type: 'runStarted', runId: id, totalSteps: 10 })
    h.a().receiveSteps([{ type: 'step', runId: id, info: { ...stepInfo(1, 10), eps255: 1.25 } }])
    expect(h.store.getState().runs[id].steps[0].eps255).toBe(1.25)
    expect(h.store.getState().live[id].eps255).toBe(1.25)
  })

  it('from scratch: the run starts from random weights of the architecture, not from the base model', async () => {
    const h = await readyStore()
    h.a().chooseModel('resnet20', 'random')
    expect(h.lastSent('loadModel')).toEqual({ type: 'loadModel', model: 'resnet20' }) // only the first load at start-up
    expect(h.store.getState().config.init).toBe('random')
    const id = h.a().startRun()!
    const run = h.store.getState().runs[id]
    expect(h.lastSent('start')!.config.init).toBe('random')
    expect(run.base.model).toBe('resnet20 (random init)')
    expect(run.baseline).toBeNull() // the pretrained model's point is not where this run starts
    expect(trainingLabel(run.config)).toBe('FGSM-RS, ε=8/255 · ε ramp over the first 30 % · from scratch (random init)')
    // Another architecture from scratch loads its pretrained twin as the base model (the reference).
    h.a().receive({ type: 'runEnded', runId: id, status: 'done', reason: null, weights: null, wallMs: 1 })
    await new Promise((r) => setTimeout(r, 0))
    h.a().chooseModel('resnet32', 'random')
    expect(h.lastSent('loadModel')).toEqual({ type: 'loadModel', model: 'resnet32' })
    h.a().receive({ type: 'modelLoaded', model: 'resnet32', source: 'pretrained', params: 464154 })
    expect(h.store.getState().config).toMatchObject({ model: 'resnet32', init: 'random' })
  })

  it('describes a non-constant ε curve and APGD-CE', () => {
    expect(epsCurveLabel({ ...DEFAULT_CONFIG, epsCurve: EPS_PRESETS.constant.points })).toBeNull()
    expect(epsCurveLabel({ ...DEFAULT_CONFIG, epsCurve: ramp30 })).toBe('ε ramp over the first 30 %')
    expect(
      epsCurveLabel({
        ...DEFAULT_CONFIG,
        epsCurve: [
          { t: 0, y: 0.25 },
          { t: 1, y: 0.75 },
        ],
      }),
    ).toBe('ε curve 2–6/255')
    expect(epsCurveLabel({ ...DEFAULT_CONFIG, trainAttack: { ...DEFAULT_CONFIG.trainAttack, kind: 'none' }, epsCurve: ramp30 })).toBeNull()
    expect(trainingLabel({ ...DEFAULT_CONFIG, trainAttack: { kind: 'pgd', eps255: 8, stepSize255: 2, steps: 7 }, epsCurve: ramp30 })).toBe('PGD-7, ε=8/255, step 2/255 · ε ramp over the first 30 %')
    expect(evalAttackLabel({ ...DEFAULT_CONFIG.evalAttack, kind: 'apgd-ce', steps: 100 })).toBe('APGD-CE-100, ε=8/255')
  })

  it('records saved before these settings existed revive as pretrained, full-ε runs', async () => {
    const storage = memoryRunStorage()
    const h = await readyStore({ runStorage: storage })
    const id = h.a().startRun()!
    h.a().receive({ type: 'runEnded', runId: id, status: 'done', reason: null, weights: null, wallMs: 1 })
    await new Promise((r) => setTimeout(r, 0))
    const saved = storage.runs.get(id)!
    const { init: _i, epsCurve: _e, ...oldConfig } = saved.config
    const { strongEval: _s, ...old } = saved
    const revived = reviveRun({ ...old, config: oldConfig } as unknown as typeof saved)
    expect(revived.config.init).toBe('pretrained')
    expect(revived.config.epsCurve).toEqual(EPS_PRESETS.constant.points)
    expect(revived.strongEval).toBeNull()
  })
})
