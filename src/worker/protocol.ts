// Typed messages between the page and the training worker. Every message has one `type` tag;
// every run message carries its `runId`. Types only: no tfjs, safe to import on the main thread.

import type { ModelName, RunConfig, EvalAttack } from '../core/config'
import type { ControlPoint } from '../core/schedule'
import type { TrainSnapshot } from '../core/train/snapshot-data'
import type { AdvExample, EvalPoint, RunEndStatus, StepInfo } from '../core/train/types'

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu'

export type ToWorker =
  /**
   * Pick a backend (webgpu → webgl → wasm unless `prefer` says otherwise) and load the data.
   * `threads`: on WASM, the threads that train in all (cpuPlan.ts); default one per core.
   */
  | { type: 'init'; assetBase: string; prefer?: BackendName[]; threads?: number }
  /** Load one of the pretrained checkpoints served under assetBase as the base model. */
  | { type: 'loadModel'; model: ModelName }
  /** Make a user's checkpoint (.th/.pth/.pt/.safetensors) the base model; untouched on failure. */
  | { type: 'importCheckpoint'; fileName: string; bytes: ArrayBuffer }
  /** Clean and robust accuracy of the base model: the starting point of every chart. */
  | { type: 'baseline'; requestId: string; evalAttack: EvalAttack; evalSize: number }
  /** Fine-tune a copy of the base model. */
  | { type: 'start'; runId: string; config: RunConfig; schedule: ControlPoint[] }
  /**
   * Continue an interrupted run from its last snapshot on this worker's backend (same config and
   * schedule as it started with; `base` names its starting point in the weights' metadata).
   */
  | { type: 'continue'; runId: string; config: RunConfig; schedule: ControlPoint[]; base: string; snapshot: TrainSnapshot }
  | { type: 'pause'; runId: string }
  | { type: 'resume'; runId: string }
  | { type: 'stop'; runId: string }
  /** Attack one test image with the current model (the running run's, else the base model). */
  | { type: 'attackImage'; requestId: string; index: number; evalAttack: EvalAttack }
  /**
   * Clean and robust accuracy of given weights (a run's safetensors, PyTorch names) on the first
   * `evalSize` test images: a run's final model under a stronger attack. Answered by
   * `evaluationProgress` messages, then `evaluation` (or an `error` with the requestId).
   */
  | { type: 'evaluateWeights'; requestId: string; weights: ArrayBuffer; evalAttack: EvalAttack; evalSize: number }

export type FromWorker =
  | { type: 'loading'; stage: string; fraction: number }
  | { type: 'ready'; backend: BackendName; adapter: string; fallbackReason: string | null }
  | { type: 'modelLoaded'; model: string; source: string; params: number }
  | { type: 'baseline'; requestId: string; point: EvalPoint; examples: AdvExample[] }
  | { type: 'runStarted'; runId: string; totalSteps: number }
  | { type: 'step'; runId: string; info: StepInfo }
  | { type: 'eval'; runId: string; point: EvalPoint }
  | { type: 'examples'; runId: string; step: number; examples: AdvExample[] }
  /** A resumable snapshot of the run (see FineTuneHooks.onSnapshot), taken on `backend`. */
  | { type: 'snapshot'; runId: string; snapshot: TrainSnapshot; backend: BackendName }
  | { type: 'paused'; runId: string }
  | { type: 'resumed'; runId: string }
  /** Final message of a run; `weights` is a safetensors file in PyTorch names (null if none). */
  | { type: 'runEnded'; runId: string; status: RunEndStatus; reason: string | null; weights: ArrayBuffer | null; wallMs: number }
  | { type: 'attackResult'; requestId: string; example: AdvExample }
  /** `done` of `total` images of an `evaluateWeights` request are evaluated. */
  | { type: 'evaluationProgress'; requestId: string; done: number; total: number }
  /** The result of `evaluateWeights` (step, epoch and lr are 0: the weights carry no history). */
  | { type: 'evaluation'; requestId: string; point: EvalPoint }
  /**
   * A request failed; `requestId`/`runId` say which, if any. The worker state is unchanged, but
   * for `fatal` errors (the worker can do no more); `deviceLost`: the GPU device went away.
   */
  | { type: 'error'; message: string; requestId?: string; runId?: string; fatal?: boolean; deviceLost?: boolean }

export function assertNever(m: never): never {
  throw new Error(`unhandled message ${JSON.stringify(m)}`)
}
