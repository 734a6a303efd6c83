// Two actions that queue work on the worker: "Compare schedules" (one run per LR preset) and
// APGD-CE on a finished run's weights (after training, one at a time, errors as notices).

import { describe, expect, it } from 'vitest'
import { PRESET_NAMES, PRESETS, EPS_PRESETS } from '../../src/core/schedule'
import { memoryRunStorage } from '../../src/store/persistence'
import { evalPoint, readyStore, settle } from './helpers'

/** A run that trained to the end with weights. */
async function finishedRun(h: Awaited<ReturnType<typeof readyStore>>, weights = Uint8Array.of(1, 2, 3).buffer) {
  const id = h.a().startRun()!
  h.a().receive({ type: 'runStarted', runId: id, totalSteps: 4 })
  h.a().receive({ type: 'eval', runId: id, point: evalPoint(4, 0.8, 0.4) })
  h.a().receive({ type: 'runEnded', runId: id, status: 'done', reason: null, weights, wallMs: 10 })
  await settle()
  return id
}

describe('compare schedules', () => {
  it('queues one run per chosen preset with the current config, ε curve and seed, named after the preset', async () => {
    const h = await readyStore()
    h.a().setConfig((c) => ({ ...c, seed: 7, epochs: 3 }))
    h.a().applyEpsPreset('ramp-30')
    const ids = h.a().compareSchedules(PRESET_NAMES)
    const s = h.store.getState()
    expect(ids).toHaveLength(6)
    expect(ids.map((id) => s.runs[id].name)).toEqual(PRESET_NAMES.map((n) => PRESETS[n].label))
    expect(ids.map((id) => s.runs[id].schedule)).toEqual(PRESET_NAMES.map((n) => PRESETS[n].points))
    for (const id of ids) expect(s.runs[id].config).toEqual(s.config)
    expect(s.runs[ids[0]].config).toMatchObject({ seed: 7, epochs: 3, epsCurve: EPS_PRESETS['ramp-30'].points })
    // The first trains now, the others wait; all are ticked for the charts and the comparison.
    expect(h.sent.filter((m) => m.type === 'start').map((m) => (m as { runId: string }).runId)).toEqual([ids[0]])
    expect(s.queue).toEqual(ids.slice(1))
    expect(s.selected).toEqual(ids)
  })

  it('queues the ticked presets only, numbers repeated names, and is refused while the config is invalid', async () => {
    const h = await readyStore()
    const first = h.a().compareSchedules(['cosine', 'one-cycle'])
    const again = h.a().compareSchedules(['cosine'])
    expect(first.map((id) => h.store.getState().runs[id].name)).toEqual(['Cosine', 'One-cycle'])
    expect(h.store.getState().runs[again[0]].name).toBe('Cosine (3)')
    h.a().setConfig((c) => ({ ...c, batchSize: 0 }))
    expect(h.a().compareSchedules(['constant'])).toEqual([])
    expect(h.store.getState().notices.at(-1)!.text).toMatch(/Cannot queue the comparison: Batch size/)
    // The editor's own LR schedule does not matter: the presets replace it.
    h.a().setConfig((c) => ({ ...c, batchSize: 128 }))
    h.a().setSchedule([
      { t: 0, y: 0 },
      { t: 1, y: 0 },
    ])
    expect(h.a().startRun()).toBeNull()
    expect(h.a().compareSchedules(['constant'])).toHaveLength(1)
  })
})

describe('APGD-CE on a finished run', () => {
  it("sends a copy of the final weights with APGD-CE-100 at the run's ε and images, shows progress, records the result", async () => {
    const storage = memoryRunStorage()
    const h = await readyStore({ runStorage: storage })
    const id = await finishedRun(h)
    h.a().evaluateStrong(id)
    await settle()
    const req = h.lastSent('evaluateWeights')!
    const run = h.store.getState().runs[id]
    expect(req.evalAttack).toEqual({ ...run.config.evalAttack, kind: 'apgd-ce', steps: 100, randomStart: true, restarts: 1 })
    expect(req.evalSize).toBe(run.config.evalSize)
    expect([...new Uint8Array(req.weights)]).toEqual([1, 2, 3])
    expect([...new Uint8Array((await h.a().getWeights(id))!)]).toEqual([1, 2, 3]) // the page keeps its own
    expect(h.store.getState().evaluations[id]).toMatchObject({ status: 'running', done: 0, total: run.config.evalSize })

    h.a().receive({ type: 'evaluationProgress', requestId: req.requestId, done: 200, total: 500 })
    expect(h.store.getState().evaluations[id]).toMatchObject({ done: 200, total: 500 })
    h.a().evaluateStrong(id) // already running: nothing new
    expect(h.sent.filter((m) => m.type === 'evaluateWeights')).toHaveLength(1)

    h.a().receive({ type: 'evaluation', requestId: req.requestId, point: evalPoint(0, 0.79, 0.35, { evalSize: 500 }) })
    await settle()
    const after = h.store.getState()
    expect(after.evaluations[id]).toBeUndefined()
    expect(after.runs[id].strongEval).toMatchObject({ attack: { kind: 'apgd-ce', steps: 100 }, point: { robust: 0.35, clean: 0.79 } })
    expect(storage.runs.get(id)!.strongEval!.point.robust).toBe(0.35)
  })

  it('a worker error is a notice; the run keeps its figures and can be evaluated again', async () => {
    const h = await readyStore()
    const id = await finishedRun(h)
    h.a().evaluateStrong(id)
    await settle()
    const req = h.lastSent('evaluateWeights')!
    h.a().receive({ type: 'error', message: 'APGD-CE is not available yet', requestId: req.requestId })
    const s = h.store.getState()
    expect(s.evaluations[id]).toBeUndefined()
    expect(s.runs[id].strongEval).toBeNull()
    expect(s.notices.at(-1)).toMatchObject({ level: 'error', text: 'APGD-CE evaluation of Run 1 failed: APGD-CE is not available yet' })
    h.a().evaluateStrong(id)
    await settle()
    expect(h.sent.filter((m) => m.type === 'evaluateWeights')).toHaveLength(2)
  })

  it('waits for training to end, and a run queued meanwhile waits for the evaluation', async () => {
    const h = await readyStore()
    const done = await finishedRun(h)
    const training = h.a().startRun()!
    h.a().evaluateStrong(done)
    await settle()
    expect(h.store.getState().evaluations[done].status).toBe('queued')
    expect(h.lastSent('evaluateWeights')).toBeUndefined()
    h.a().receive({ type: 'runEnded', runId: training, status: 'done', reason: null, weights: null, wallMs: 1 })
    await settle()
    const req = h.lastSent('evaluateWeights')!
    expect(req).toBeDefined()
    const next = h.a().startRun()!
    expect(h.store.getState().runs[next].status).toBe('queued')
    h.a().receive({ type: 'evaluation', requestId: req.requestId, point: evalPoint(0, 0.8, 0.3) })
    await settle()
    expect(h.lastSent('start')!.runId).toBe(next)
  })

  it('runs without weights or still training cannot be evaluated', async () => {
    const h = await readyStore()
    const id = await finishedRun(h, null as unknown as ArrayBuffer)
    h.a().evaluateStrong(id)
    const training = h.a().startRun()!
    h.a().evaluateStrong(training)
    await settle()
    expect(h.store.getState().evaluations).toEqual({})
    expect(h.lastSent('evaluateWeights')).toBeUndefined()
  })
})
