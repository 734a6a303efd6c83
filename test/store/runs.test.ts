// The store driven like the page drives it: worker messages in, ToWorker messages out, runs
// persisted through the RunStorage interface (in memory here; IndexedDB in the browser).

import { describe, expect, it } from 'vitest'
import { currentBaseline, startBlockers } from '../../src/store'
import { chartEvals } from '../../src/store/exports'
import { etaSeconds } from '../../src/store/runs'
import { memoryRunStorage } from '../../src/store/persistence'
import { evalPoint, example, readyStore, settle, stepInfo, testStore } from './helpers'

describe('start-up', () => {
  it('loads the configured model once the backend is ready, then measures the baseline', async () => {
    const h = testStore()
    await h.a().boot('')
    expect(startBlockers(h.store.getState())[0]).toMatch(/backend/)
    h.a().receive({ type: 'loading', stage: 'test images', fraction: 0.5 })
    expect(h.store.getState().loading).toEqual({ stage: 'test images', fraction: 0.5 })
    h.a().receive({ type: 'ready', backend: 'wasm', adapter: '', fallbackReason: 'no WebGPU adapter' })
    expect(h.lastSent('loadModel')).toEqual({ type: 'loadModel', model: 'resnet20' })
    expect(h.store.getState().worker).toMatchObject({ status: 'ready', backend: 'wasm', fallbackReason: 'no WebGPU adapter' })
    h.a().receive({ type: 'modelLoaded', model: 'resnet20', source: 'pretrained', params: 269722 })
    const req = h.lastSent('baseline')!
    expect(req.evalAttack).toEqual(h.store.getState().config.evalAttack)
    expect(req.evalSize).toBe(h.store.getState().config.evalSize)
    h.a().receive({ type: 'baseline', requestId: req.requestId, point: evalPoint(0, 0.91, 0.02), examples: [] })
    expect(currentBaseline(h.store.getState())).toMatchObject({ status: 'ready', point: { clean: 0.91, robust: 0.02 } })
    expect(startBlockers(h.store.getState())).toEqual([])
  })

  it('asks for a new baseline when the evaluation attack changes, and reuses known ones', async () => {
    const h = await readyStore()
    const before = h.sent.filter((m) => m.type === 'baseline').length
    h.a().setConfig((c) => ({ ...c, evalAttack: { ...c.evalAttack, steps: 20 } }))
    await h.runTimers()
    expect(h.sent.filter((m) => m.type === 'baseline').length).toBe(before + 1)
    expect(h.lastSent('baseline')!.evalAttack.steps).toBe(20)
    h.a().setConfig((c) => ({ ...c, evalAttack: { ...c.evalAttack, steps: 10 } }))
    await h.runTimers()
    expect(h.sent.filter((m) => m.type === 'baseline').length).toBe(before + 1) // steps 10: already measured
  })
})

describe('runs', () => {
  it('freezes the config and the curve at start; later edits never reach the run', async () => {
    const h = await readyStore()
    h.a().movePoint(1, { t: 0.3, y: 0.8 })
    const id = h.a().startRun()!
    const start = h.lastSent('start')!
    expect(start.runId).toBe(id)
    expect(start.schedule[1]).toEqual({ t: 0.3, y: 0.8 })
    h.a().movePoint(1, { t: 0.6, y: 0.2 })
    h.a().setConfig((c) => ({ ...c, peakLr: 0.5 }))
    const run = h.store.getState().runs[id]
    expect(run.schedule[1]).toEqual({ t: 0.3, y: 0.8 })
    expect(start.schedule[1]).toEqual({ t: 0.3, y: 0.8 })
    expect(run.config.peakLr).toBe(0.05)
    expect(run).toMatchObject({ name: 'Run 1', number: 1, status: 'starting', base: { model: 'resnet20' } })
    expect(run.baseline).toMatchObject({ step: 0, clean: 0.92 }) // the chart starts at the base model
  })

  it('refuses to start with an invalid config and says why', async () => {
    const h = await readyStore()
    h.a().setConfig((c) => ({ ...c, batchSize: 0 }))
    expect(startBlockers(h.store.getState())).toContain('Batch size must be a whole number from 1 to 1024.')
    expect(h.a().startRun()).toBeNull()
    expect(h.lastSent('start')).toBeUndefined()
  })

  it('trains one run at a time: a second start waits in the queue', async () => {
    const h = await readyStore()
    const a = h.a().startRun()!
    const b = h.a().startRun()!
    expect(h.sent.filter((m) => m.type === 'start').map((m) => (m as { runId: string }).runId)).toEqual([a])
    expect(h.store.getState().runs[b]).toMatchObject({ status: 'queued', name: 'Run 2' })
    expect(h.store.getState().runs[a].color).not.toBe(h.store.getState().runs[b].color)
    h.a().receive({ type: 'runStarted', runId: a, totalSteps: 10 })
    h.a().receive({ type: 'runEnded', runId: a, status: 'done', reason: null, weights: new ArrayBuffer(8), wallMs: 1234 })
    await settle()
    expect(h.lastSent('start')!.runId).toBe(b)
    expect(h.store.getState().activeRunId).toBe(b)
  })

  it('applies step reports in order, derives live progress and ignores unknown runs', async () => {
    const h = await readyStore()
    const id = h.a().startRun()!
    h.a().receive({ type: 'runStarted', runId: id, totalSteps: 10 })
    h.a().receiveSteps([1, 2, 3, 2].map((s) => ({ type: 'step' as const, runId: id, info: stepInfo(s, 10, 0.001 * s) })))
    const before = h.store.getState()
    h.a().receiveSteps([{ type: 'step', runId: 'run-elsewhere', info: stepInfo(4, 10) }])
    h.a().receive({ type: 'eval', runId: 'run-elsewhere', point: evalPoint(4, 0.5, 0.5) })
    expect(h.store.getState()).toBe(before)
    const run = h.store.getState().runs[id]
    expect(run.status).toBe('running')
    expect(run.steps.map((s) => [s.step, s.lr])).toEqual([
      [1, 0.001],
      [2, 0.002],
      [3, 0.003],
    ])
    const live = h.store.getState().live[id]
    expect(live.step).toBe(2) // the last report, even if it repeats a step
    expect(etaSeconds(live)).not.toBeNull()
  })

  it('a step-0 evaluation of the run replaces the baseline copy; evaluations build the chart', async () => {
    const h = await readyStore()
    const id = h.a().startRun()!
    h.a().receive({ type: 'runStarted', runId: id, totalSteps: 10 })
    h.a().receive({ type: 'eval', runId: id, point: evalPoint(0, 0.915, 0.015) })
    h.a().receive({ type: 'examples', runId: id, step: 0, examples: [example(0, 1)] })
    h.a().receive({ type: 'eval', runId: id, point: evalPoint(10, 0.8, 0.3) })
    h.a().receive({ type: 'examples', runId: id, step: 10, examples: [example(0, 2)] })
    const run = h.store.getState().runs[id]
    expect(chartEvals(run).map((p) => [p.step, p.robust])).toEqual([
      [0, 0.015],
      [10, 0.3],
    ])
    expect(run.baselineExamples[0].advPred).toBe(1)
    expect(run.examples).toMatchObject({ step: 10, examples: [{ advPred: 2 }] })
  })

  it('a diverged run keeps its history and its weights, saved to storage', async () => {
    const storage = memoryRunStorage()
    const h = await readyStore({ runStorage: storage })
    const id = h.a().startRun()!
    h.a().receive({ type: 'runStarted', runId: id, totalSteps: 10 })
    h.a().receive({ type: 'eval', runId: id, point: evalPoint(0, 0.9, 0.0) })
    h.a().receiveSteps([{ type: 'step', runId: id, info: stepInfo(1, 10, 5, NaN) }])
    const weights = Uint8Array.of(1, 2, 3, 4).buffer
    h.a().receive({ type: 'runEnded', runId: id, status: 'diverged', reason: 'the training loss became NaN at step 2', weights, wallMs: 99 })
    await settle()
    const run = h.store.getState().runs[id]
    expect(run).toMatchObject({ status: 'diverged', reason: 'the training loss became NaN at step 2', wallMs: 99, weights: 'saved' })
    expect(run.evals).toHaveLength(1)
    expect(run.steps).toHaveLength(1)
    expect(storage.runs.get(id)).toMatchObject({ status: 'diverged', weights: 'saved' })
    expect([...new Uint8Array((await storage.getWeights(id))!)]).toEqual([1, 2, 3, 4])
    expect(h.store.getState().activeRunId).toBeNull()
  })

  it('a full storage quota is reported; weights stay downloadable and saved runs intact', async () => {
    const storage = memoryRunStorage()
    const h = await readyStore({ runStorage: storage })
    const first = h.a().startRun()!
    h.a().receive({ type: 'runEnded', runId: first, status: 'done', reason: null, weights: Uint8Array.of(7).buffer, wallMs: 1 })
    await settle()
    const savedFirst = structuredClone(storage.runs.get(first))
    const quota = () => Promise.reject(new DOMException('quota', 'QuotaExceededError'))
    storage.putWeights = quota
    storage.putRun = quota
    const id = h.a().startRun()!
    h.a().receive({ type: 'runEnded', runId: id, status: 'done', reason: null, weights: Uint8Array.of(9, 9).buffer, wallMs: 1 })
    await settle()
    const texts = h.store
      .getState()
      .notices.map((n) => n.text)
      .join('\n')
    expect(texts).toMatch(/storage is full/i)
    expect(h.store.getState().runs[id]).toMatchObject({ status: 'done', weights: 'memory' })
    expect([...new Uint8Array((await h.a().getWeights(id))!)]).toEqual([9, 9])
    expect(storage.runs.get(first)).toEqual(savedFirst)
    expect(storage.weights.has(first)).toBe(true)
  })

  it('after a reload, saved runs are back and a run cut off mid-training is interrupted', async () => {
    const storage = memoryRunStorage()
    const h = await readyStore({ runStorage: storage })
    const done = h.a().startRun()!
    h.a().receive({ type: 'eval', runId: done, point: evalPoint(0, 0.9, 0.01) })
    h.a().receive({ type: 'runEnded', runId: done, status: 'done', reason: null, weights: new ArrayBuffer(4), wallMs: 5 })
    await settle()
    const cut = h.a().startRun()!
    h.a().receive({ type: 'runStarted', runId: cut, totalSteps: 10 })
    h.a().receive({ type: 'eval', runId: cut, point: evalPoint(5, 0.8, 0.2) })
    await h.runTimers() // the coalesced save
    const h2 = testStore({ runStorage: storage })
    await h2.a().boot('')
    const s = h2.store.getState()
    expect(s.runOrder).toEqual([done, cut])
    expect(s.runs[done]).toMatchObject({ status: 'done', weights: 'saved' })
    expect(s.runs[cut]).toMatchObject({ status: 'interrupted', reason: 'page reloaded' })
    expect(s.runs[cut].evals.map((p) => p.step)).toEqual([5])
    await settle()
    expect(storage.runs.get(cut)!.status).toBe('interrupted')
    expect(h2.a().startRun()).toBeNull() // no worker yet
  })

  it('a crashed worker interrupts the active run and blocks new ones', async () => {
    const h = await readyStore()
    const id = h.a().startRun()!
    const queued = h.a().startRun()!
    h.a().receive({ type: 'runStarted', runId: id, totalSteps: 10 })
    h.a().workerCrashed('out of memory')
    const s = h.store.getState()
    expect(s.runs[id]).toMatchObject({ status: 'interrupted', reason: 'the training worker stopped: out of memory' })
    expect(s.runs[queued].status).toBe('interrupted')
    expect(s.worker.status).toBe('crashed')
    expect(startBlockers(s)[0]).toMatch(/worker stopped/)
  })

  it('a lost GPU device (fatal error) marks the run interrupted with the reason', async () => {
    const h = await readyStore()
    const id = h.a().startRun()!
    h.a().receive({ type: 'runStarted', runId: id, totalSteps: 10 })
    h.a().receive({ type: 'error', message: 'the GPU device was lost: destroyed', fatal: true })
    expect(h.store.getState().runs[id]).toMatchObject({ status: 'interrupted', reason: 'the training worker stopped: the GPU device was lost: destroyed' })
  })

  it('a start the worker refuses ends that run as an error and lets the queue go on', async () => {
    const h = await readyStore()
    const a = h.a().startRun()!
    const b = h.a().startRun()!
    h.a().receive({ type: 'error', message: 'the model is not loaded yet', runId: a })
    expect(h.store.getState().runs[a]).toMatchObject({ status: 'error', reason: 'the model is not loaded yet' })
    expect(h.lastSent('start')!.runId).toBe(b)
  })

  it('pause, resume and stop go to the worker; stopping a queued run just dequeues it', async () => {
    const h = await readyStore()
    const a = h.a().startRun()!
    const b = h.a().startRun()!
    h.a().receive({ type: 'runStarted', runId: a, totalSteps: 10 })
    h.a().pauseRun(a)
    expect(h.lastSent('pause')).toEqual({ type: 'pause', runId: a })
    h.a().receive({ type: 'paused', runId: a })
    expect(h.store.getState().runs[a].status).toBe('paused')
    h.a().resumeRun(a)
    h.a().receive({ type: 'resumed', runId: a })
    expect(h.store.getState().runs[a].status).toBe('running')
    h.a().stopRun(b)
    expect(h.store.getState().runs[b].status).toBe('stopped')
    expect(h.lastSent('stop')).toBeUndefined()
    h.a().stopRun(a)
    expect(h.lastSent('stop')).toEqual({ type: 'stop', runId: a })
    h.a().receive({ type: 'runEnded', runId: a, status: 'stopped', reason: 'stopped by the user', weights: null, wallMs: 3 })
    await settle()
    expect(h.store.getState().runs[a]).toMatchObject({ status: 'stopped', weights: 'none' })
    expect(h.sent.filter((m) => m.type === 'start')).toHaveLength(1)
  })

  it('renames and deletes finished runs (also from storage)', async () => {
    const storage = memoryRunStorage()
    const h = await readyStore({ runStorage: storage })
    const id = h.a().startRun()!
    h.a().receive({ type: 'runEnded', runId: id, status: 'done', reason: null, weights: new ArrayBuffer(4), wallMs: 5 })
    await settle()
    h.a().renameRun(id, '  slow start  ')
    expect(h.store.getState().runs[id].name).toBe('slow start')
    h.a().renameRun(id, '   ')
    expect(h.store.getState().runs[id].name).toBe('slow start')
    await h.a().deleteRun(id)
    expect(h.store.getState().runs[id]).toBeUndefined()
    expect(storage.runs.has(id)).toBe(false)
    expect(storage.weights.has(id)).toBe(false)
  })
})

describe('model import and on-demand attacks', () => {
  it("a failed import shows the worker's message and leaves the model and runs alone", async () => {
    const h = await readyStore()
    const before = h.store.getState()
    const bytes = Uint8Array.of(1, 2, 3).buffer
    h.a().importCheckpoint('broken.th', bytes)
    expect(h.lastSent('importCheckpoint')).toMatchObject({ fileName: 'broken.th' })
    expect(h.store.getState().modelOp).toEqual({ kind: 'import', label: 'broken.th' })
    h.a().receive({ type: 'error', message: "'broken.th' is not a PyTorch checkpoint or safetensors file" })
    const s = h.store.getState()
    expect(s.importError).toBe("Could not import “broken.th”: 'broken.th' is not a PyTorch checkpoint or safetensors file")
    expect(s.baseModel).toBe(before.baseModel)
    expect(s.runs).toBe(before.runs)
    expect(s.modelOp).toBeNull()
  })

  it('a successful import becomes the base model, keeping its architecture in the config', async () => {
    const h = await readyStore()
    h.a().importCheckpoint('mine.safetensors', new ArrayBuffer(8))
    h.a().receive({ type: 'modelLoaded', model: 'imported resnet32', source: 'mine.safetensors', params: 464154 })
    const s = h.store.getState()
    expect(s.baseModel).toMatchObject({ model: 'imported resnet32', imported: true })
    expect(s.config.model).toBe('resnet32')
    h.a().chooseModel('resnet32') // back to the pretrained one, although the architecture matches
    expect(h.lastSent('loadModel')).toEqual({ type: 'loadModel', model: 'resnet32' })
  })

  it('a model that fails to load leaves the config naming the model still in use', async () => {
    const h = await readyStore()
    h.a().chooseModel('resnet56')
    expect(h.lastSent('loadModel')).toEqual({ type: 'loadModel', model: 'resnet56' })
    expect(h.store.getState().config.model).toBe('resnet56')
    h.a().receive({ type: 'error', message: 'could not load weights/resnet56-4bfd9763.th (HTTP 404)' })
    const s = h.store.getState()
    expect(s.config.model).toBe('resnet20')
    expect(s.baseModel!.model).toBe('resnet20')
    expect(s.notices.at(-1)!.text).toBe('Could not load resnet56: could not load weights/resnet56-4bfd9763.th (HTTP 404)')
  })

  it('attacks a clicked image with the model in use and shows the result or the error', async () => {
    const h = await readyStore()
    h.a().attackImage(42)
    const req = h.lastSent('attackImage')!
    expect(req).toMatchObject({ index: 42, evalAttack: h.store.getState().config.evalAttack })
    expect(h.store.getState().inspect).toMatchObject({ status: 'pending', modelLabel: 'base model (resnet20)' })
    h.a().receive({ type: 'attackResult', requestId: 'other', example: example(1) })
    expect(h.store.getState().inspect!.status).toBe('pending')
    h.a().receive({ type: 'attackResult', requestId: req.requestId, example: example(42, 5) })
    expect(h.store.getState().inspect).toMatchObject({ status: 'ready', example: { index: 42, advPred: 5 } })
    h.a().attackImage(7)
    h.a().receive({ type: 'error', message: 'no test image 7', requestId: h.lastSent('attackImage')!.requestId })
    expect(h.store.getState().inspect).toMatchObject({ status: 'error', error: 'no test image 7' })
  })
})
