// What each message from the training worker does to the store. Messages about runs this page
// is not running (unknown or finished runIds) are ignored.

import { MODEL_NAMES, type ModelName } from '../core/config'
import { assertNever, type FromWorker } from '../worker/protocol'
import { attachBaseline, ensureBaseline, type Ctx } from './context'
import { errorText, isQuotaError } from './persistence'
import { applyEval, applySteps, endRun, updateLive } from './runs'
import { startNext } from './runLifecycle'
import { backendLabel, deviceLost, dropSnapshot, receiveSnapshot } from './snapshots'
import type { StepMessage } from './state'
import { failEvaluation, receiveEvaluation, startNextEvaluation } from './strongEval'
import { isActive, type Run } from './types'

/** Imported checkpoints are named like 'imported resnet32' by the worker: the architecture. */
function archOf(model: string): ModelName | null {
  const arch = model.replace(/^imported\s+/, '')
  return (MODEL_NAMES as readonly string[]).includes(arch) ? (arch as ModelName) : null
}

const activeRun = (ctx: Ctx, runId: string): Run | null => {
  const r = ctx.get().runs[runId]
  return r && isActive(r.status) ? r : null
}

export function receive(ctx: Ctx, msg: FromWorker): void {
  const { set, get } = ctx
  switch (msg.type) {
    case 'loading':
      // A finished stage needs no bar; the next stage (if any) brings its own message.
      set({ loading: msg.fraction >= 1 ? null : { stage: msg.stage, fraction: msg.fraction } })
      return
    case 'ready':
      set((s) => {
        // A worker started after the GPU device was lost says so first.
        const lost = s.worker.deviceLost ? `${s.worker.deviceLost}; continuing on ${backendLabel(msg.backend)}` : null
        const fallbackReason = [lost, msg.fallbackReason].filter(Boolean).join('; ') || null
        return { loading: null, worker: { ...s.worker, status: 'ready', backend: msg.backend, adapter: msg.adapter, fallbackReason } }
      })
      if (!get().baseModel && !get().modelOp) {
        const model = get().config.model
        set({ modelOp: { kind: 'load', label: model } })
        ctx.deps.send({ type: 'loadModel', model })
      }
      return
    case 'modelLoaded': {
      const arch = archOf(msg.model)
      const imported = get().modelOp?.kind === 'import' || arch !== msg.model
      set((s) => ({
        loading: null,
        modelOp: null,
        importError: null,
        baseModel: { model: msg.model, source: msg.source, params: msg.params, imported },
        modelGen: s.modelGen + 1,
        // A checkpoint is imported to be fine-tuned: runs start from it, not from random weights.
        config: arch ? { ...s.config, model: arch, init: imported ? 'pretrained' : s.config.init } : s.config,
      }))
      if (!get().activeRunId) ensureBaseline(ctx, get().config)
      startNext(ctx)
      void startNextEvaluation(ctx)
      return
    }
    case 'baseline': {
      const entry = Object.values(get().baselines).find((b) => b.requestId === msg.requestId)
      if (!entry) return
      set((s) => ({ baselines: { ...s.baselines, [entry.key]: { ...entry, status: 'ready', point: msg.point, examples: msg.examples } } }))
      for (const runId of ctx.waiting.get(entry.key) ?? []) attachBaseline(ctx, runId, entry.key)
      ctx.waiting.delete(entry.key)
      return
    }
    case 'runStarted':
      if (!activeRun(ctx, msg.runId)) return
      ctx.updateRun(msg.runId, (r) => ({ ...r, status: r.status === 'starting' ? 'running' : r.status, totalSteps: msg.totalSteps }))
      ctx.markDirty(msg.runId)
      return
    case 'step':
      receiveSteps(ctx, [msg])
      return
    case 'eval':
      if (!activeRun(ctx, msg.runId)) return
      ctx.updateRun(msg.runId, (r) => applyEval(r, msg.point))
      ctx.markDirty(msg.runId)
      return
    case 'examples':
      if (!activeRun(ctx, msg.runId)) return
      // The run's own step-0 examples are the "before" of its previews (same images, same seed).
      ctx.updateRun(msg.runId, (r) => ({ ...r, examples: { step: msg.step, examples: msg.examples }, baselineExamples: msg.step === 0 ? msg.examples : r.baselineExamples }))
      ctx.markDirty(msg.runId)
      return
    case 'snapshot':
      void receiveSnapshot(ctx, msg)
      return
    case 'paused':
    case 'resumed':
      if (!activeRun(ctx, msg.runId)) return
      ctx.updateRun(msg.runId, (r) => ({ ...r, status: msg.type === 'paused' ? 'paused' : 'running' }))
      ctx.markDirty(msg.runId)
      return
    case 'runEnded':
      if (!activeRun(ctx, msg.runId)) return
      void finishRun(ctx, msg)
      return
    case 'evaluation':
    case 'evaluationProgress':
      receiveEvaluation(ctx, msg)
      return
    case 'attackResult':
      set((s) => (s.inspect?.requestId === msg.requestId ? { inspect: { ...s.inspect, status: 'ready', example: msg.example } } : s))
      return
    case 'error':
      receiveError(ctx, msg)
      return
    default:
      assertNever(msg)
  }
}

/** Applies a batch of step reports in one store update (the client batches them per frame). */
export function receiveSteps(ctx: Ctx, msgs: readonly StepMessage[]): void {
  if (msgs.length === 0) return
  const byRun = new Map<string, StepMessage['info'][]>()
  for (const m of msgs) if (activeRun(ctx, m.runId)) byRun.set(m.runId, [...(byRun.get(m.runId) ?? []), m.info])
  if (byRun.size === 0) return
  const at = ctx.deps.now()
  ctx.set((s) => {
    const runs = { ...s.runs }
    const live = { ...s.live }
    for (const [id, infos] of byRun) {
      runs[id] = applySteps(runs[id], infos)
      for (const info of infos) live[id] = updateLive(live[id], info, at)
    }
    return { runs, live }
  })
  for (const id of byRun.keys()) ctx.markDirty(id)
}

async function finishRun(ctx: Ctx, msg: Extract<FromWorker, { type: 'runEnded' }>) {
  const id = msg.runId
  if (msg.weights) ctx.weights.set(id, msg.weights)
  ctx.updateRun(id, (r) => ({ ...endRun(r, { ...msg, hasWeights: msg.weights !== null }, ctx.deps.now()), weightsBytes: msg.weights?.byteLength ?? null }))
  ctx.set((s) => ({ activeRunId: s.activeRunId === id ? null : s.activeRunId, stopping: s.stopping.filter((x) => x !== id) }))
  if (msg.weights) {
    try {
      await ctx.deps.runStorage.putWeights(id, msg.weights)
      ctx.updateRun(id, (r) => ({ ...r, weights: 'saved' }))
    } catch (e) {
      const name = ctx.get().runs[id]?.name ?? 'this run'
      ctx.notify(
        'error',
        isQuotaError(e)
          ? `Browser storage is full: the tuned weights of ${name} are kept only until this tab closes. Download them now, or delete old runs to free space.`
          : `Could not save the weights of ${name}: ${errorText(e)}. They are kept until this tab closes.`,
      )
    }
  }
  // A finished run keeps its final weights; an interrupted one keeps its snapshot to resume from.
  if (msg.status !== 'interrupted') await dropSnapshot(ctx, id)
  await ctx.saveNow(id)
  if (!ctx.get().activeRunId) {
    if (!ctx.get().queue.length) ensureBaseline(ctx, ctx.get().config)
    startNext(ctx)
    void startNextEvaluation(ctx)
  }
}

function receiveError(ctx: Ctx, msg: Extract<FromWorker, { type: 'error' }>) {
  const { get, set } = ctx
  if (msg.fatal && msg.deviceLost) return deviceLost(ctx, msg.message)
  if (msg.fatal) return ctx.get().actions.workerCrashed(msg.message)
  if (msg.requestId) {
    if (failEvaluation(ctx, msg.requestId, msg.message)) return
    const entry = Object.values(get().baselines).find((b) => b.requestId === msg.requestId)
    if (entry) {
      set((s) => ({ baselines: { ...s.baselines, [entry.key]: { ...entry, status: 'error', error: msg.message } } }))
      ctx.waiting.delete(entry.key)
      return
    }
    if (get().inspect?.requestId === msg.requestId) {
      set((s) => ({ inspect: s.inspect && { ...s.inspect, status: 'error', error: msg.message } }))
      return
    }
  }
  if (msg.runId) {
    const run = get().runs[msg.runId]
    if (!run) return
    if (run.status === 'starting') {
      // The worker refused to start it: the run ends here, the next queued one may go.
      ctx.updateRun(run.id, (r) => ({ ...r, status: 'error', reason: msg.message, endedAt: ctx.deps.now() }))
      set((s) => ({ activeRunId: s.activeRunId === run.id ? null : s.activeRunId }))
      void ctx.saveNow(run.id)
      startNext(ctx)
    } else if (isActive(run.status)) ctx.notify('error', `${run.name}: ${msg.message}`)
    return
  }
  const op = get().modelOp
  if (op) {
    // Only model operations post errors without an id; the worker keeps its previous model.
    // The config names the base model's architecture again (chooseModel had set the new one).
    const arch = archOf(get().baseModel?.model ?? '')
    set((s) => ({ modelOp: null, loading: null, config: arch ? { ...s.config, model: arch } : s.config }))
    if (op.kind === 'import') set({ importError: `Could not import “${op.label}”: ${msg.message}` })
    else ctx.notify('error', `Could not load ${op.label}: ${msg.message}`)
    return
  }
  ctx.notify('error', msg.message)
}
