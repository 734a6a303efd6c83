// The plain-data shape of a run's resumable snapshot (snapshot.ts takes and restores one) and
// what the page needs of it: its size, its buffers to transfer, whether it fits a run. No tfjs:
// the store, on the page's thread, imports this file.

import type { EvalPoint } from './types'

/** A tensor's values on the host: plain data that survives structured cloning (IndexedDB, postMessage). */
export interface HostArray {
  name: string
  shape: number[]
  data: Float32Array
}

export const SNAPSHOT_VERSION = 1

export interface TrainSnapshot {
  version: typeof SNAPSHOT_VERSION
  step: number // steps done (their updates applied)
  totalSteps: number
  /** Every model variable (weights and BatchNorm running statistics) in tfjs layout. */
  weights: HostArray[]
  batchesTracked: number
  momentum: HostArray[] // none before the first step
  /** The random streams' states: data order, augmentation, the training attack's starts. */
  rng: { order: number; augment: number; attack: number }
  /** This epoch's data order (drawn at the epoch's start; the order stream is past it). */
  permutation: Uint32Array
  lossSum: number // training loss since the last evaluation, for its mean
  lossCount: number
  lr: number // the last step's learning rate
  wallMs: number // training time so far
  history: EvalPoint[]
}

/** Bytes of tensor data a snapshot holds (what it costs in storage, give or take its history). */
export function snapshotBytes(s: TrainSnapshot): number {
  const arrays = (xs: HostArray[]) => xs.reduce((n, x) => n + x.data.byteLength, 0)
  return arrays(s.weights) + arrays(s.momentum) + s.permutation.byteLength
}

/** The snapshot's typed arrays' buffers, to transfer it in a postMessage instead of copying. */
export function snapshotBuffers(s: TrainSnapshot): ArrayBuffer[] {
  return [...s.weights, ...s.momentum].map((x) => x.data.buffer as ArrayBuffer).concat(s.permutation.buffer as ArrayBuffer)
}

/** Why a snapshot cannot continue a run of `totalSteps` steps, or null where it can. */
export function snapshotProblem(s: TrainSnapshot, totalSteps: number): string | null {
  if (s?.version !== SNAPSHOT_VERSION) return `the snapshot's format (version ${String(s?.version)}) is not this page's (${SNAPSHOT_VERSION})`
  if (s.totalSteps !== totalSteps) return `the snapshot belongs to a run of ${s.totalSteps} steps, not ${totalSteps}`
  if (!(Number.isInteger(s.step) && s.step >= 0 && s.step < totalSteps)) return `the snapshot's step ${s.step} is outside the run`
  return null
}
