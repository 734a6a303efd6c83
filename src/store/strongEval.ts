// APGD-CE on a finished run's final weights, on request: the run's PGD figure is measured with
// a fixed step size and few iterations, APGD-CE (AutoAttack's first attack) adapts its step and
// gives the number a paper would report. One job goes to the worker at a time, and never while a
// run trains: both would share the backend and slow each other down.

import { APGD_STEPS } from '../core/attacks/kinds'
import type { EvalAttack } from '../core/config'
import type { FromWorker } from '../worker/protocol'
import type { Ctx } from './context'
import { errorText } from './persistence'
import { startNext } from './runLifecycle'
import { isFinished, type EvalJob, type Run } from './types'

/** The run's own evaluation settings (ε, images) with APGD-CE, so the two figures compare. */
export function strongAttack(run: Run): EvalAttack {
  return { ...run.config.evalAttack, kind: 'apgd-ce', steps: APGD_STEPS, randomStart: true, restarts: 1 }
}

/** Why a run cannot be evaluated now, or null. */
export function strongEvalBlocker(run: Run, job: EvalJob | undefined): string | null {
  if (!isFinished(run.status)) return 'Available when the run has ended'
  if (run.weights === 'none') return 'This run ended without weights'
  if (job) return job.status === 'queued' ? 'Waits for training to finish' : 'Being evaluated'
  return null
}

export function evaluateStrong(ctx: Ctx, runId: string): void {
  const run = ctx.get().runs[runId]
  if (!run) return
  const blocker = strongEvalBlocker(run, ctx.get().evaluations[runId])
  if (blocker) return
  const job: EvalJob = { runId, requestId: `strong-${ctx.deps.newId()}`, status: 'queued', done: 0, total: run.config.evalSize }
  ctx.set((s) => ({ evaluations: { ...s.evaluations, [runId]: job } }))
  void startNextEvaluation(ctx)
}

/** Sends the oldest queued evaluation when the worker is free of runs and other evaluations. */
export async function startNextEvaluation(ctx: Ctx): Promise<void> {
  const s = ctx.get()
  if (s.activeRunId || s.queue.length || s.worker.status !== 'ready' || !s.baseModel || s.modelOp) return
  const jobs = Object.values(s.evaluations)
  const job = jobs.find((j) => j.status === 'queued')
  if (!job || jobs.some((j) => j.status === 'running')) return
  setJob(ctx, job.runId, { status: 'running' })
  const run = s.runs[job.runId]
  try {
    const stored = await ctx.get().actions.getWeights(job.runId)
    if (!stored) throw new Error('its weights are not available')
    // A copy goes to the worker: the page keeps its own bytes for downloads.
    const weights = stored.slice(0)
    ctx.deps.send({ type: 'evaluateWeights', requestId: job.requestId, weights, evalAttack: strongAttack(run), evalSize: run.config.evalSize }, [weights])
  } catch (e) {
    failEvaluation(ctx, job.requestId, errorText(e))
  }
}

const jobFor = (ctx: Ctx, requestId: string) => Object.values(ctx.get().evaluations).find((j) => j.requestId === requestId)

function setJob(ctx: Ctx, runId: string, patch: Partial<EvalJob>) {
  ctx.set((s) => (s.evaluations[runId] ? { evaluations: { ...s.evaluations, [runId]: { ...s.evaluations[runId], ...patch } } } : s))
}

function endJob(ctx: Ctx, runId: string) {
  ctx.set((s) => {
    const evaluations = { ...s.evaluations }
    delete evaluations[runId]
    return { evaluations }
  })
  startNext(ctx)
  void startNextEvaluation(ctx)
}

export function receiveEvaluation(ctx: Ctx, msg: Extract<FromWorker, { type: 'evaluation' | 'evaluationProgress' }>): void {
  const job = jobFor(ctx, msg.requestId)
  if (!job) return
  if (msg.type === 'evaluationProgress') return setJob(ctx, job.runId, { done: msg.done, total: msg.total })
  const run = ctx.get().runs[job.runId]
  if (run) {
    ctx.updateRun(run.id, (r) => ({ ...r, strongEval: { attack: strongAttack(r), point: msg.point, at: ctx.deps.now() } }))
    void ctx.saveNow(run.id)
  }
  endJob(ctx, job.runId)
}

/** An evaluation the worker could not do: said in a notice; the run keeps its PGD figures. True if it was one. */
export function failEvaluation(ctx: Ctx, requestId: string, message: string): boolean {
  const job = jobFor(ctx, requestId)
  if (!job) return false
  const name = ctx.get().runs[job.runId]?.name ?? 'a run'
  ctx.notify('error', `APGD-CE evaluation of ${name} failed: ${message}`)
  endJob(ctx, job.runId)
  return true
}
