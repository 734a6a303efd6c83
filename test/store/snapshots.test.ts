// Resumable snapshots in the store: saved with the run's record, dropped when the run finishes,
// kept through a reload for Resume, never half-written when storage is full, and a lost GPU
// device interrupting the run with its snapshot and restarting the worker on a fallback.

import { describe, expect, it } from 'vitest'
import { SNAPSHOT_VERSION, type TrainSnapshot } from '../../src/core/train/snapshot'
import { memoryRunStorage } from '../../src/store/persistence'
import type { BackendName } from '../../src/worker/protocol'
import { evalPoint, readyStore, settle, stepInfo, testStore } from './helpers'

/** A snapshot of the shape the worker posts (tiny arrays: the store never looks inside them). */
function snapshot(step: number, totalSteps = 10): TrainSnapshot {
  return {
    version: SNAPSHOT_VERSION,
    step,
    totalSteps,
    weights: [{ name: 'conv1.weight', shape: [2], data: Float32Array.of(step, 1) }],
    batchesTracked: step,
    momentum: [{ name: 'conv1.weight', shape: [2], data: Float32Array.of(0.5, step) }],
    rng: { order: 1, augment: 2, attack: 3 + step },
    permutation: Uint32Array.of(1, 0),
    lossSum: 1,
    lossCount: 1,
    lr: 0.01,
    wallMs: step * 10,
    history: [evalPoint(0, 0.9, 0.01)],
  }
}

/** A run trained to step 6 with snapshots at steps 4 and 6 posted by a worker on `backend`. */
async function runWithSnapshots(backend: BackendName = 'wasm') {
  const storage = memoryRunStorage()
  const h = await readyStore({ runStorage: storage })
  const id = h.a().startRun()!
  h.a().receive({ type: 'runStarted', runId: id, totalSteps: 10 })
  h.a().receive({ type: 'eval', runId: id, point: evalPoint(0, 0.9, 0.01) })
  h.a().receiveSteps([1, 2, 3, 4].map((s) => ({ type: 'step', runId: id, info: stepInfo(s, 10) })))
  h.a().receive({ type: 'eval', runId: id, point: evalPoint(4, 0.8, 0.1) })
  h.a().receive({ type: 'snapshot', runId: id, snapshot: snapshot(4), backend })
  h.a().receiveSteps([5, 6].map((s) => ({ type: 'step', runId: id, info: stepInfo(s, 10) })))
  h.a().receive({ type: 'snapshot', runId: id, snapshot: snapshot(6), backend })
  h.a().receiveSteps([7].map((s) => ({ type: 'step', runId: id, info: stepInfo(s, 10) })))
  await settle()
  return { h, id, storage }
}

describe('snapshots', () => {
  it('are saved with the run record, newest only, and dropped when the run finishes (its weights stay)', async () => {
    const { h, id, storage } = await runWithSnapshots()
    expect(storage.snapshots.get(id)!.snapshot.step).toBe(6)
    expect(storage.snapshots.get(id)!.backend).toBe('wasm')
    expect(storage.runs.get(id)!.snapshot).toMatchObject({ step: 6, backend: 'wasm', bytes: 4 * 4 + 2 * 4 })
    expect(h.store.getState().runs[id].snapshot!.step).toBe(6)
    h.a().receive({ type: 'runEnded', runId: id, status: 'done', reason: null, weights: new ArrayBuffer(12), wallMs: 70 })
    await settle()
    await settle()
    expect(storage.snapshots.has(id)).toBe(false)
    expect(storage.runs.get(id)).toMatchObject({ status: 'done', snapshot: null, weights: 'saved', weightsBytes: 12 })
    expect(storage.weights.get(id)!.byteLength).toBe(12)
  })

  it('after a reload, an interrupted run resumes from its snapshot: history after it dropped, the snapshot sent to the worker', async () => {
    const { id, storage } = await runWithSnapshots('webgpu')
    const h2 = testStore({ runStorage: storage })
    await h2.a().boot('')
    expect(h2.store.getState().runs[id]).toMatchObject({ status: 'interrupted', reason: 'page reloaded', snapshot: { step: 6 } })
    expect(h2.a().resumeBlocker(id)).toMatch(/starting/) // no worker yet
    await h2.a().continueRun(id)
    expect(h2.lastSent('continue')).toBeUndefined()
    h2.a().receive({ type: 'ready', backend: 'wasm', adapter: 'cpu', fallbackReason: 'WebGPU offers only a software fallback adapter (CPU)' })
    h2.a().receive({ type: 'modelLoaded', model: 'resnet20', source: 'pretrained', params: 269722 })
    expect(h2.a().resumeBlocker(id)).toBeNull()
    await h2.a().continueRun(id)
    const sent = h2.lastSent('continue')!
    expect(sent).toMatchObject({ runId: id, base: 'resnet20', snapshot: { step: 6, rng: { attack: 9 } } })
    expect(sent.config).toEqual(h2.store.getState().runs[id].config)
    const run = h2.store.getState().runs[id]
    expect(run).toMatchObject({ status: 'starting', reason: null })
    expect(run.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6]) // step 7 came after the snapshot
    expect(run.evals.map((p) => p.step)).toEqual([0, 4])
    // The snapshot was taken on WebGPU; the page now runs WASM: the run says so.
    expect(run.resumeNote).toMatch(/resumed at step 6 on WASM; the steps before ran on WebGPU \(interrupted: page reloaded\)/)
    expect(h2.store.getState().activeRunId).toBe(id)
    h2.a().receive({ type: 'runStarted', runId: id, totalSteps: 10 })
    h2.a().receiveSteps([{ type: 'step', runId: id, info: stepInfo(7, 10) }])
    expect(h2.store.getState().runs[id].steps.at(-1)!.step).toBe(7)
  })

  it('a full quota leaves the previous snapshot and record intact and says so; training goes on', async () => {
    const { h, id, storage } = await runWithSnapshots()
    const before = structuredClone({ run: storage.runs.get(id), snap: storage.snapshots.get(id) })
    storage.putSnapshot = () => Promise.reject(new DOMException('quota', 'QuotaExceededError'))
    h.a().receive({ type: 'snapshot', runId: id, snapshot: snapshot(8), backend: 'wasm' })
    await settle()
    expect(storage.snapshots.get(id)).toEqual(before.snap)
    expect(storage.runs.get(id)).toEqual(before.run)
    expect(h.store.getState().runs[id]).toMatchObject({ status: 'running', snapshot: { step: 6 } })
    expect(
      h.store
        .getState()
        .notices.map((n) => n.text)
        .join('\n'),
    ).toMatch(/storage is full.*The snapshot at step 6 is intact/)
  })

  it('a lost GPU device interrupts the run with its snapshot and restarts the worker on a fallback, saying why', async () => {
    const storage = memoryRunStorage()
    const restarts: BackendName[][] = []
    const h = testStore({ runStorage: storage, restartWorker: (prefer) => restarts.push(prefer) })
    await h.a().boot('')
    h.a().receive({ type: 'ready', backend: 'webgpu', adapter: 'gpu', fallbackReason: null })
    h.a().receive({ type: 'modelLoaded', model: 'resnet20', source: 'pretrained', params: 269722 })
    const id = h.a().startRun()!
    h.a().receive({ type: 'runStarted', runId: id, totalSteps: 10 })
    h.a().receive({ type: 'snapshot', runId: id, snapshot: snapshot(4), backend: 'webgpu' })
    await settle()
    h.a().receive({ type: 'error', message: 'the GPU device was lost: destroyed', fatal: true, deviceLost: true })
    expect(restarts).toEqual([['webgl', 'wasm', 'cpu']])
    expect(h.store.getState().runs[id]).toMatchObject({ status: 'interrupted', snapshot: { step: 4 } })
    expect(h.store.getState().runs[id].reason).toMatch(/device was lost.*resume from its last snapshot/)
    expect(h.store.getState().worker.status).toBe('starting')
    h.a().receive({ type: 'ready', backend: 'wasm', adapter: 'cpu', fallbackReason: null })
    expect(h.store.getState().worker.fallbackReason).toBe('the GPU device was lost: destroyed; continuing on WASM')
    expect(h.lastSent('loadModel')).toBeDefined()
    h.a().receive({ type: 'modelLoaded', model: 'resnet20', source: 'pretrained', params: 269722 })
    await h.a().continueRun(id)
    expect(h.lastSent('continue')!.snapshot.step).toBe(4)
    expect(h.store.getState().runs[id].resumeNote).toMatch(/on WASM; the steps before ran on WebGPU \(interrupted: the GPU device was lost/)
  })
})
