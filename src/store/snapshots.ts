// Resumable snapshots on the page's side: saving the worker's snapshots of the run in training
// (one per run, written with the run's record in one transaction), dropping them once a run
// finishes, continuing an interrupted run from its snapshot, and a lost GPU device (the run is
// interrupted with its snapshot, a new worker starts on a fallback backend, and Resume goes on
// there).

import { snapshotBuffers, snapshotBytes } from '../core/train/snapshot-data'
import type { BackendName, FromWorker } from '../worker/protocol'
import { type Ctx } from './context'
import { errorText, isQuotaError } from './persistence'
import { isActive, type Run, type SnapshotInfo } from './types'

const BACKEND_LABELS: Record<BackendName, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WASM', cpu: 'CPU' }
export const backendLabel = (b: BackendName | null | undefined) => (b ? BACKEND_LABELS[b] : 'no backend')

// Storage writes of one run, in order: a snapshot never lands after a later one, nor after the
// run's end dropped it.
const chains = new WeakMap<Ctx, Map<string, Promise<void>>>()
function inOrder(ctx: Ctx, id: string, write: () => Promise<void>): Promise<void> {
  const byRun = chains.get(ctx) ?? new Map<string, Promise<void>>()
  chains.set(ctx, byRun)
  const next = (byRun.get(id) ?? Promise.resolve()).then(write, write)
  byRun.set(id, next)
  return next
}

/** A snapshot from the worker: saved with the run's record; on failure the previous one stays. */
export function receiveSnapshot(ctx: Ctx, msg: Extract<FromWorker, { type: 'snapshot' }>): Promise<void> {
  const run = ctx.get().runs[msg.runId]
  if (!run || !isActive(run.status)) return Promise.resolve()
  const info: SnapshotInfo = { step: msg.snapshot.step, bytes: snapshotBytes(msg.snapshot), backend: msg.backend, at: ctx.deps.now() }
  return inOrder(ctx, msg.runId, async () => {
    const now = ctx.get().runs[msg.runId]
    if (!now || !isActive(now.status)) return // ended meanwhile: its snapshot is not wanted
    try {
      await ctx.deps.runStorage.putSnapshot({ ...now, snapshot: info }, { backend: msg.backend, snapshot: msg.snapshot })
      ctx.updateRun(msg.runId, (r) => ({ ...r, snapshot: info }))
    } catch (e) {
      const kept = now.snapshot ? ` The snapshot at step ${now.snapshot.step} is intact.` : ''
      ctx.notify(
        'error',
        isQuotaError(e)
          ? `Browser storage is full: ${now.name} cannot save a snapshot to resume from, so a reload or crash would lose its progress since then.${kept} Delete old runs to free space; training goes on.`
          : `Could not save a snapshot of ${now.name}: ${errorText(e)}.${kept}`,
      )
    }
  })
}

/** A finished run needs no snapshot (its final weights are kept): dropped with the pointer to it. */
export function dropSnapshot(ctx: Ctx, id: string): Promise<void> {
  return inOrder(ctx, id, async () => {
    const run = ctx.get().runs[id]
    if (!run?.snapshot) return
    const without: Run = { ...run, snapshot: null }
    try {
      await ctx.deps.runStorage.dropSnapshot(without)
      ctx.updateRun(id, (r) => ({ ...r, snapshot: null }))
    } catch (e) {
      ctx.notify('warning', `Could not remove the snapshot of ${run.name} from browser storage: ${errorText(e)}`)
    }
  })
}

/** Why an interrupted run cannot resume now; null when it can. */
export function resumeBlocker(ctx: Ctx, run: Run): string | null {
  const s = ctx.get()
  if (run.status !== 'interrupted' || !run.snapshot) return 'Only an interrupted run with a snapshot can resume'
  if (s.worker.status === 'crashed') return 'The training worker stopped; reload the page to resume'
  if (s.worker.status !== 'ready' || !s.baseModel || s.modelOp) return 'The training backend is still starting'
  if (s.activeRunId || s.queue.length) return 'Another run is training or queued; resume when it ends'
  if (Object.values(s.evaluations).some((j) => j.status === 'running')) return 'An evaluation is running'
  return null
}

/**
 * Continues an interrupted run from its stored snapshot on the page's backend: its history after
 * the snapshot is dropped (the worker reports those steps again), and where the backend is not
 * the snapshot's, the run says so.
 */
export async function continueRun(ctx: Ctx, id: string): Promise<void> {
  const run = ctx.get().runs[id]
  if (!run) return
  const blocker = resumeBlocker(ctx, run)
  if (blocker) return ctx.notify('warning', `Cannot resume ${run.name}: ${blocker}.`)
  let stored
  try {
    stored = await ctx.deps.runStorage.getSnapshot(id)
  } catch (e) {
    return ctx.notify('error', `Could not read the snapshot of ${run.name}: ${errorText(e)}`)
  }
  if (!stored) {
    ctx.updateRun(id, (r) => ({ ...r, snapshot: null }))
    void ctx.saveNow(id)
    return ctx.notify('error', `${run.name} has no snapshot in browser storage any more; it cannot resume.`)
  }
  const again = resumeBlocker(ctx, ctx.get().runs[id] ?? run) // the state may have moved while reading
  if (again) return ctx.notify('warning', `Cannot resume ${run.name}: ${again}.`)
  const snap = stored.snapshot
  const backend = ctx.get().worker.backend
  const note =
    stored.backend !== backend
      ? `resumed at step ${snap.step} on ${backendLabel(backend)}; the steps before ran on ${backendLabel(stored.backend)}${run.reason ? ` (interrupted: ${run.reason})` : ''}`
      : (run.resumeNote ?? null)
  ctx.weights.delete(id)
  ctx.set((s) => ({ activeRunId: id, focusRunId: id, selected: s.selected.includes(id) ? s.selected : [...s.selected, id] }))
  ctx.updateRun(id, (r) => ({
    ...r,
    status: 'starting',
    reason: null,
    endedAt: null,
    wallMs: null,
    weights: 'none',
    weightsBytes: null,
    resumeNote: note,
    steps: r.steps.filter((p) => p.step <= snap.step),
    evals: r.evals.filter((p) => p.step <= snap.step),
  }))
  ctx.deps.send({ type: 'continue', runId: id, config: structuredClone(run.config), schedule: run.schedule.map((p) => ({ ...p })), base: run.base.model, snapshot: snap }, snapshotBuffers(snap))
  void ctx.saveNow(id)
}

/** The backends a worker may fall back to once WebGPU lost its device. */
export const AFTER_DEVICE_LOSS: BackendName[] = ['webgl', 'wasm', 'cpu']

/**
 * The GPU device was lost: the run in training is interrupted (its last snapshot stays), and a new
 * worker starts on a fallback backend, where the run can resume. Without a way to start one, the
 * worker counts as crashed.
 */
export function deviceLost(ctx: Ctx, message: string): void {
  const restart = ctx.deps.restartWorker
  if (!restart) return ctx.get().actions.workerCrashed(message)
  const s = ctx.get()
  const id = s.activeRunId
  ctx.set((st) => ({
    worker: { status: 'starting', backend: null, adapter: '', fallbackReason: null, error: null, deviceLost: message },
    loading: null,
    baseModel: null,
    modelOp: null,
    activeRunId: null,
    stopping: [],
    evaluations: {},
    inspect: st.inspect && { ...st.inspect, status: 'error', error: message },
  }))
  if (id) {
    const resumable = ctx.get().runs[id]?.snapshot ? '; it can resume from its last snapshot' : ''
    ctx.updateRun(id, (r) => ({ ...r, status: 'interrupted', reason: `${message}${resumable}`, endedAt: ctx.deps.now() }))
    void ctx.saveNow(id)
  }
  ctx.notify('warning', `${message}. Training moves to a fallback backend${id ? '; resume the interrupted run from its last snapshot there' : ''}.`)
  restart(AFTER_DEVICE_LOSS)
}
