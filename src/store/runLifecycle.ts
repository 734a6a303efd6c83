// Starting, queueing, pausing, stopping and deleting runs. One run trains at a time (the worker
// holds one model); further starts wait in a queue and go when the active run ends.

import { attachBaselineWhenReady, type Ctx } from './context'
import { createRun, nextRunNumber, pickColor } from './runs'
import { startBlockers } from './state'
import { isActive, isFinished } from './types'

export function startRun(ctx: Ctx): string | null {
  const s = ctx.get()
  const blockers = startBlockers(s)
  if (blockers.length || !s.baseModel) {
    ctx.notify('warning', `Cannot start: ${blockers[0] ?? 'no model loaded'}`)
    return null
  }
  const all = s.runOrder.map((id) => s.runs[id])
  const run = createRun({
    id: `run-${ctx.deps.newId()}`,
    number: nextRunNumber(all),
    color: pickColor(all),
    now: ctx.deps.now(),
    config: s.config,
    schedule: s.schedule,
    base: { model: s.baseModel.model, source: s.baseModel.source },
  })
  ctx.set((st) => ({
    runs: { ...st.runs, [run.id]: run },
    runOrder: [...st.runOrder, run.id],
    queue: [...st.queue, run.id],
    selected: [...st.selected, run.id],
    focusRunId: st.activeRunId ? st.focusRunId : run.id,
  }))
  ctx.markDirty(run.id)
  startNext(ctx)
  return run.id
}

/** Hands the next queued run to the worker when nothing is training. */
export function startNext(ctx: Ctx): void {
  const s = ctx.get()
  if (s.activeRunId || s.worker.status !== 'ready' || !s.baseModel || s.modelOp || s.queue.length === 0) return
  const id = s.queue[0]
  const run = s.runs[id]
  ctx.set((st) => ({ queue: st.queue.slice(1), activeRunId: id, focusRunId: id }))
  ctx.updateRun(id, (r) => ({ ...r, status: 'starting' }))
  attachBaselineWhenReady(ctx, id, run.config)
  ctx.deps.send({ type: 'start', runId: id, config: structuredClone(run.config), schedule: run.schedule.map((p) => ({ ...p })) })
  ctx.markDirty(id)
}

export function pauseRun(ctx: Ctx, id: string) {
  if (ctx.get().runs[id]?.status === 'running') ctx.deps.send({ type: 'pause', runId: id })
}

export function resumeRun(ctx: Ctx, id: string) {
  if (ctx.get().runs[id]?.status === 'paused') ctx.deps.send({ type: 'resume', runId: id })
}

export function stopRun(ctx: Ctx, id: string) {
  const s = ctx.get()
  const run = s.runs[id]
  if (!run) return
  if (run.status === 'queued') {
    ctx.set((st) => ({ queue: st.queue.filter((q) => q !== id) }))
    ctx.updateRun(id, (r) => ({ ...r, status: 'stopped', reason: 'removed from the queue before it started', endedAt: ctx.deps.now() }))
    void ctx.saveNow(id)
  } else if (isActive(run.status) && !s.stopping.includes(id)) {
    ctx.set((st) => ({ stopping: [...st.stopping, id] }))
    ctx.deps.send({ type: 'stop', runId: id })
  }
}

export function renameRun(ctx: Ctx, id: string, name: string) {
  const clean = name.trim().slice(0, 80)
  if (!clean || !ctx.get().runs[id]) return
  ctx.updateRun(id, (r) => ({ ...r, name: clean }))
  ctx.markDirty(id)
}

export async function deleteRun(ctx: Ctx, id: string) {
  const run = ctx.get().runs[id]
  if (!run || !isFinished(run.status)) return
  try {
    await ctx.deps.runStorage.deleteRun(id)
  } catch (e) {
    ctx.notify('error', `Could not delete ${run.name} from browser storage: ${e instanceof Error ? e.message : String(e)}`)
    return
  }
  ctx.weights.delete(id)
  ctx.set((s) => {
    const runs = { ...s.runs }
    delete runs[id]
    const live = { ...s.live }
    delete live[id]
    return {
      runs,
      live,
      runOrder: s.runOrder.filter((x) => x !== id),
      selected: s.selected.filter((x) => x !== id),
      focusRunId: s.focusRunId === id ? null : s.focusRunId,
    }
  })
}

/** The worker is gone (crash, fatal error): whatever it was training is interrupted. */
export function workerCrashed(ctx: Ctx, message: string) {
  const s = ctx.get()
  const reason = `the training worker stopped: ${message}`
  const hit = [s.activeRunId, ...s.queue].filter((x): x is string => !!x)
  ctx.set((st) => ({ worker: { ...st.worker, status: 'crashed', error: message }, loading: null, modelOp: null, activeRunId: null, queue: [], stopping: [] }))
  for (const id of hit) {
    ctx.updateRun(id, (r) => ({ ...r, status: 'interrupted', reason, endedAt: ctx.deps.now() }))
    void ctx.saveNow(id)
  }
}
