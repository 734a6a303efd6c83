// Starting, queueing, pausing, stopping and deleting runs. One run trains at a time (the worker
// holds one model); further starts wait in a queue and go when the active run ends.

import { PRESETS, type ControlPoint, type PresetName } from '../core/schedule'
import { attachBaselineWhenReady, type Ctx } from './context'
import { createRun, nextRunNumber, pickColor } from './runs'
import { runBlockers, startBlockers } from './state'
import { isActive, isFinished, type Run } from './types'

export function startRun(ctx: Ctx): string | null {
  const blockers = startBlockers(ctx.get())
  if (blockers.length || !ctx.get().baseModel) {
    ctx.notify('warning', `Cannot start: ${blockers[0] ?? 'no model loaded'}`)
    return null
  }
  return queueRun(ctx, ctx.get().schedule)
}

/**
 * One run per chosen LR preset, all with the current config (ε curve and seed included), each
 * named after its preset: one click reproduces a schedule comparison.
 */
export function compareSchedules(ctx: Ctx, presets: readonly PresetName[]): string[] {
  const blockers = runBlockers(ctx.get())
  if (blockers.length || !ctx.get().baseModel || presets.length === 0) {
    ctx.notify('warning', `Cannot queue the comparison: ${blockers[0] ?? (presets.length ? 'no model loaded' : 'no schedule chosen')}`)
    return []
  }
  return presets.map((name) => {
    const label = PRESETS[name].label
    const taken = Object.values(ctx.get().runs).some((r) => r.name === label)
    return queueRun(ctx, PRESETS[name].points, (n) => (taken ? `${label} (${n})` : label))
  })
}

/** Adds a run with the current config and `schedule` to the queue; its id. */
function queueRun(ctx: Ctx, schedule: readonly ControlPoint[], name?: (number: number) => string): string {
  const s = ctx.get()
  const all = s.runOrder.map((id) => s.runs[id])
  const number = nextRunNumber(all)
  const run = createRun({
    id: `run-${ctx.deps.newId()}`,
    number,
    name: name?.(number),
    color: pickColor(all),
    now: ctx.deps.now(),
    config: s.config,
    schedule,
    base: startingPoint(s.config, s.baseModel!),
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

/** What a run starts from: a copy of the base model, or random weights of the chosen architecture. */
function startingPoint(config: Run['config'], baseModel: { model: string; source: string }): Run['base'] {
  if (config.init === 'random') return { model: `${config.model} (random init)`, source: `He initialisation from seed ${config.seed}` }
  return { model: baseModel.model, source: baseModel.source }
}

/** Hands the next queued run to the worker when nothing is training or being evaluated. */
export function startNext(ctx: Ctx): void {
  const s = ctx.get()
  if (s.activeRunId || s.worker.status !== 'ready' || !s.baseModel || s.modelOp || s.queue.length === 0) return
  if (Object.values(s.evaluations).some((j) => j.status === 'running')) return // one job on the worker at a time
  const id = s.queue[0]
  const run = s.runs[id]
  ctx.set((st) => ({ queue: st.queue.slice(1), activeRunId: id, focusRunId: id }))
  ctx.updateRun(id, (r) => ({ ...r, status: 'starting' }))
  // The base model's point is where a fine-tuning run starts; a run from scratch brings its own.
  if (run.config.init !== 'random') attachBaselineWhenReady(ctx, id, run.config)
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
  ctx.set((st) => ({ worker: { ...st.worker, status: 'crashed', error: message }, loading: null, modelOp: null, activeRunId: null, queue: [], stopping: [], evaluations: {} }))
  for (const id of hit) {
    ctx.updateRun(id, (r) => ({ ...r, status: 'interrupted', reason, endedAt: ctx.deps.now() }))
    void ctx.saveNow(id)
  }
}
