// The page's state model: run records (what is persisted and compared) and the session state
// around them. Plain data only, so records survive structured cloning into IndexedDB.

import type { EvalAttack, RunConfig } from '../core/config'
import type { ControlPoint } from '../core/schedule'
import type { AdvExample, EvalPoint } from '../core/train/types'
import type { BackendName } from '../worker/protocol'

export type RunStatus =
  | 'queued' // waiting for the worker (one run trains at a time)
  | 'starting' // `start` posted, no `runStarted` yet
  | 'running'
  | 'paused'
  | 'done'
  | 'stopped'
  | 'diverged'
  | 'interrupted'
  | 'error'

export const ACTIVE_STATUSES: readonly RunStatus[] = ['starting', 'running', 'paused']
export const isActive = (s: RunStatus) => ACTIVE_STATUSES.includes(s)
export const isFinished = (s: RunStatus) => s === 'done' || s === 'stopped' || s === 'diverged' || s === 'interrupted' || s === 'error'

/** One optimizer step as the worker reported it (kept for the loss and LR charts). */
export interface StepSample {
  step: number
  epoch: number
  lr: number
  eps255?: number // the training attack's ε at this step (absent in older saved records)
  loss: number
}

/** A final evaluation of a run's weights under a stronger attack than its own (APGD-CE), on request. */
export interface StrongEval {
  attack: EvalAttack
  point: EvalPoint
  at: number // ms since epoch
}

/** An evaluation of a finished run's weights: waits while a run trains, one at a time. */
export interface EvalJob {
  runId: string
  requestId: string
  status: 'queued' | 'running'
  done: number // images evaluated so far
  total: number
}

/** The run's last resumable snapshot in storage (the snapshot itself is kept beside the record). */
export interface SnapshotInfo {
  step: number // steps done when it was taken
  bytes: number // its tensor data
  backend: BackendName // where it was taken
  at: number // ms since epoch
}

/** Where the weights of a finished run live: IndexedDB, only this tab's memory, or nowhere. */
export type WeightsState = 'none' | 'saved' | 'memory'

export interface Run {
  id: string
  number: number // "Run N"
  name: string
  color: string
  createdAt: number // ms since epoch
  base: { model: string; source: string } // the base model it fine-tunes
  config: RunConfig // frozen at start
  schedule: ControlPoint[] // frozen at start
  status: RunStatus
  reason: string | null // why it stopped early (interrupted, error, diverged)
  totalSteps: number
  baseline: EvalPoint | null // step-0 point of the base model under this run's evaluation
  baselineExamples: AdvExample[] // the same images attacked on the base model ("before")
  evals: EvalPoint[]
  steps: StepSample[]
  examples: { step: number; examples: AdvExample[] } | null // latest preview ("now")
  wallMs: number | null // training wall time reported by the worker at the end
  endedAt: number | null
  weights: WeightsState
  strongEval: StrongEval | null // APGD-CE on the final weights, once asked for
  /** A run read from a history file (the PyTorch script's, or another page's): read-only. */
  imported?: { fileName: string; producer: string | null }
  /** Its last snapshot while it trained or was interrupted (absent in older records; null once finished). */
  snapshot?: SnapshotInfo | null
  /** How it continued from a snapshot, where that changed backend (e.g. after a lost GPU). */
  resumeNote?: string | null
  weightsBytes?: number | null // size of its saved weights
}

/** Live progress of the active run, not persisted. `arrivals` are main-thread timestamps. */
export interface LiveInfo {
  step: number
  totalSteps: number
  epoch: number
  lr: number
  eps255: number
  loss: number
  imagesPerSec: number
  arrivals: { step: number; at: number }[]
}

export interface BaselineEntry {
  key: string
  requestId: string
  status: 'pending' | 'ready' | 'error'
  point: EvalPoint | null
  examples: AdvExample[]
  error: string | null
}

export interface Notice {
  id: number
  level: 'error' | 'warning' | 'info'
  text: string
}

export interface WorkerState {
  status: 'starting' | 'ready' | 'crashed'
  backend: BackendName | null
  adapter: string
  fallbackReason: string | null
  error: string | null // fatal error text (crash or fatal `error` message)
  /** Why this worker was started on a fallback: the previous one lost its GPU device. */
  deviceLost?: string | null
}

export interface InspectState {
  requestId: string
  index: number
  status: 'pending' | 'ready' | 'error'
  modelLabel: string // which model was attacked
  attack: EvalAttack
  example: AdvExample | null
  error: string | null
}

export type XAxisUnit = 'step' | 'epoch'
