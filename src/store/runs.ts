// Pure updaters of run records and live progress: what each worker message does to a run.

import { totalSteps, type RunConfig } from '../core/config'
import type { ControlPoint } from '../core/schedule'
import type { EvalPoint, RunEndStatus, StepInfo } from '../core/train/types'
import type { LiveInfo, Run } from './types'

/** Tableau 10: distinguishable on light and dark backgrounds. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac']

/** The first palette colour no existing run uses (cycling once all are taken). */
export function pickColor(runs: readonly Run[]): string {
  const used = new Set(runs.map((r) => r.color))
  return PALETTE.find((c) => !used.has(c)) ?? PALETTE[runs.length % PALETTE.length]
}

export function nextRunNumber(runs: readonly Run[]): number {
  return runs.reduce((m, r) => Math.max(m, r.number), 0) + 1
}

export function createRun(o: { id: string; number: number; color: string; now: number; config: RunConfig; schedule: readonly ControlPoint[]; base: Run['base']; name?: string }): Run {
  return {
    id: o.id,
    number: o.number,
    name: o.name ?? `Run ${o.number}`,
    color: o.color,
    createdAt: o.now,
    base: { ...o.base },
    // Deep copies: editing the page's config or curve afterwards must never reach this run.
    config: structuredClone(o.config),
    schedule: o.schedule.map((p) => ({ t: p.t, y: p.y })),
    status: 'queued',
    reason: null,
    totalSteps: totalSteps(o.config),
    baseline: null,
    baselineExamples: [],
    evals: [],
    steps: [],
    examples: null,
    wallMs: null,
    endedAt: null,
    weights: 'none',
    strongEval: null,
  }
}

/** Appends step reports in order; repeated or out-of-order steps are dropped. */
export function applySteps(run: Run, infos: readonly StepInfo[]): Run {
  let last = run.steps.length ? run.steps[run.steps.length - 1].step : 0
  const added = []
  for (const i of infos) {
    if (i.step <= last) continue
    added.push({ step: i.step, epoch: i.epoch, lr: i.lr, eps255: i.eps255, loss: i.loss })
    last = i.step
  }
  if (added.length === 0) return run
  const totalSteps = infos[infos.length - 1].totalSteps || run.totalSteps
  const status = run.status === 'starting' ? 'running' : run.status
  return { ...run, status, totalSteps, steps: run.steps.concat(added) }
}

/** A step-0 evaluation from the run itself replaces the baseline copy; others append in order. */
export function applyEval(run: Run, point: EvalPoint): Run {
  const evals = run.evals.filter((p) => p.step !== point.step)
  evals.push(point)
  evals.sort((a, b) => a.step - b.step)
  return { ...run, evals }
}

export function endRun(run: Run, m: { status: RunEndStatus; reason: string | null; wallMs: number; hasWeights: boolean }, now: number): Run {
  return { ...run, status: m.status, reason: m.reason, wallMs: m.wallMs, endedAt: now, weights: m.hasWeights ? 'memory' : 'none' }
}

const ETA_WINDOW = 30

export function updateLive(prev: LiveInfo | undefined, info: StepInfo, at: number): LiveInfo {
  const arrivals = (prev?.arrivals ?? []).concat({ step: info.step, at })
  return {
    step: info.step,
    totalSteps: info.totalSteps,
    epoch: info.epoch,
    lr: info.lr,
    eps255: info.eps255,
    loss: info.loss,
    imagesPerSec: info.imagesPerSec,
    arrivals: arrivals.length > ETA_WINDOW ? arrivals.slice(-ETA_WINDOW) : arrivals,
  }
}

/**
 * Seconds left, from the recent wall-clock pace of step reports (which includes evaluation
 * pauses, unlike images/s); null until two reports arrived.
 */
export function etaSeconds(live: LiveInfo): number | null {
  const a = live.arrivals
  if (a.length < 2) return null
  const first = a[0]
  const last = a[a.length - 1]
  const steps = last.step - first.step
  if (steps <= 0) return null
  const perStep = (last.at - first.at) / 1000 / steps
  return Math.max(0, (live.totalSteps - live.step) * perStep)
}
