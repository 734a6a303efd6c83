// The shape of the app store: session state, the editor's config and curve, the runs, and the
// actions that change them. Selectors that derive values for several components live here too.

import { configProblems, type EvalAttack, type ModelInit, type ModelName, type RunConfig } from '../core/config'
import { scheduleProblems, type ControlPoint, type EpsPresetName, type PresetName } from '../core/schedule'
import type { BackendName, FromWorker, ToWorker } from '../worker/protocol'
import type { RunStorage } from './persistence'
import type { KeyValueStorage } from './settings'
import type { BaselineEntry, EvalJob, InspectState, LiveInfo, Notice, Run, WorkerState, XAxisUnit } from './types'

export type StepMessage = Extract<FromWorker, { type: 'step' }>

export interface StoreDeps {
  send: (msg: ToWorker, transfer?: Transferable[]) => void
  runStorage: RunStorage
  settings?: KeyValueStorage | null
  now?: () => number
  newId?: () => string
  /** Starts a new training worker on one of `prefer` (after a lost GPU device); absent: none can start. */
  restartWorker?: ((prefer: BackendName[]) => void) | null
  /** Timer for coalesced saves and debounced requests (tests pass a manual one). */
  setTimer?: (fn: () => void, ms: number) => unknown
}

export interface Actions {
  /** Applies saved settings, then a share link in `hash` (if any), then loads saved runs. */
  boot(hash: string): Promise<{ appliedLink: boolean }>
  setConfig(update: (c: RunConfig) => RunConfig): void
  resetConfig(): void
  setSchedule(points: ControlPoint[]): void
  applyPreset(name: PresetName): void
  movePoint(i: number, p: ControlPoint): void
  nudgePoint(i: number, dt: number, dy: number): void
  /** Returns the new point's index, or null when it cannot be added. */
  addPoint(p: ControlPoint): number | null
  removePoint(i: number): void
  /** The training attack's ε curve (config.epsCurve), y = 1 being ε_max. */
  setEpsCurve(points: ControlPoint[]): void
  applyEpsPreset(name: EpsPresetName): void
  shareHash(): string
  setXAxis(unit: XAxisUnit): void
  /** The architecture, and whether runs start from its pretrained weights or from random ones. */
  chooseModel(name: ModelName, init?: ModelInit): void
  importCheckpoint(fileName: string, bytes: ArrayBuffer): void
  /** Adds a run history JSON (and, optionally, its final weights) as a read-only run; its id, or null. */
  importHistory(file: { name: string; text: string }, weights?: { name: string; bytes: ArrayBuffer }): Promise<string | null>
  dismissImportError(): void
  /** Starts (or queues) a run with a frozen copy of the config and curve; null if blocked. */
  startRun(): string | null
  /** Queues one run per LR preset with the current config (ε curve and seed included); their ids. */
  compareSchedules(presets: readonly PresetName[]): string[]
  /** Evaluates a finished run's final weights with APGD-CE (after any training), recorded on the run. */
  evaluateStrong(id: string): void
  pauseRun(id: string): void
  resumeRun(id: string): void
  stopRun(id: string): void
  renameRun(id: string, name: string): void
  deleteRun(id: string): Promise<void>
  /** Continues an interrupted run from its last snapshot on the page's backend. */
  continueRun(id: string): Promise<void>
  /** Why continueRun cannot go now (null: it can). */
  resumeBlocker(id: string): string | null
  toggleSelected(id: string): void
  focusRun(id: string): void
  getWeights(id: string): Promise<ArrayBuffer | null>
  attackImage(index: number): void
  closeInspect(): void
  notify(level: Notice['level'], text: string): void
  dismissNotice(id: number): void
  receive(msg: FromWorker): void
  receiveSteps(msgs: readonly StepMessage[]): void
  workerCrashed(message: string): void
}

export interface AppState {
  worker: WorkerState
  loading: { stage: string; fraction: number } | null
  baseModel: { model: string; source: string; params: number; imported: boolean } | null
  modelGen: number // increments with every model the worker loads (baseline cache key)
  modelOp: { kind: 'load' | 'import'; label: string } | null
  importError: string | null
  baselines: Record<string, BaselineEntry>
  config: RunConfig
  schedule: ControlPoint[]
  xAxis: XAxisUnit
  hydrated: boolean
  runs: Record<string, Run>
  runOrder: string[]
  activeRunId: string | null
  queue: string[]
  stopping: string[]
  selected: string[]
  focusRunId: string | null
  live: Record<string, LiveInfo>
  inspect: InspectState | null
  evaluations: Record<string, EvalJob> // by run id
  notices: Notice[]
  actions: Actions
}

export const baselineKey = (modelGen: number, a: EvalAttack, evalSize: number) => `${modelGen}|${a.kind}|${a.eps255}|${a.stepSize255}|${a.steps}|${a.randomStart}|${a.restarts}|${evalSize}`

/** The baseline of the current base model under the editor's evaluation settings. */
export function currentBaseline(s: AppState): BaselineEntry | null {
  return s.baselines[baselineKey(s.modelGen, s.config.evalAttack, s.config.evalSize)] ?? null
}

/** Why no run can be queued with the current config, whatever its LR schedule; empty when one can. */
export function runBlockers(s: AppState): string[] {
  const out: string[] = []
  if (s.worker.status === 'crashed') out.push('The training worker stopped; reload the page.')
  else if (s.worker.status !== 'ready') out.push('The training backend is still starting.')
  else if (!s.baseModel || s.modelOp) out.push('The model is still loading.')
  if (!s.hydrated) out.push('Saved runs are still loading.')
  out.push(...configProblems(s.config))
  return out
}

/** Why Start is unavailable, as messages for the button's tooltip; empty when it can start. */
export function startBlockers(s: AppState): string[] {
  return [...runBlockers(s), ...scheduleProblems(s.schedule)]
}

/** The run whose progress and previews the page shows: the chosen one, else the active, else the newest. */
export function focusedRun(s: AppState): Run | null {
  const id = (s.focusRunId && s.runs[s.focusRunId] ? s.focusRunId : null) ?? s.activeRunId ?? s.runOrder[s.runOrder.length - 1] ?? null
  return id ? s.runs[id] : null
}
