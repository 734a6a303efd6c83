// Where run records and tuned weights are kept across reloads, behind a small interface so the
// store runs in Node tests with the in-memory version; idb.ts is the browser's IndexedDB one.

import { DEFAULT_CONFIG } from '../core/config'
import { EPS_PRESETS } from '../core/schedule'
import type { TrainSnapshot } from '../core/train/snapshot-data'
import type { BackendName } from '../worker/protocol'
import type { Run } from './types'

/** A run's resumable snapshot as stored, one per run (the newest replaces the one before). */
export interface StoredSnapshot {
  backend: BackendName // where it was taken
  snapshot: TrainSnapshot
}

export interface RunStorage {
  loadRuns(): Promise<Run[]>
  putRun(run: Run): Promise<void>
  putWeights(runId: string, bytes: ArrayBuffer): Promise<void>
  getWeights(runId: string): Promise<ArrayBuffer | null>
  /** Deletes the run's record, weights and snapshot. */
  deleteRun(runId: string): Promise<void>
  /**
   * Saves the snapshot and the run's record (which points to it) in one transaction: a failed
   * write (a full quota) leaves the previous snapshot and record as they were.
   */
  putSnapshot(run: Run, snapshot: StoredSnapshot): Promise<void>
  getSnapshot(runId: string): Promise<StoredSnapshot | null>
  /** Drops the snapshot and saves the record (without its pointer) in one transaction. */
  dropSnapshot(run: Run): Promise<void>
}

/** The browser refused to store more (IndexedDB `QuotaExceededError`, in any of its spellings). */
export function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED'
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message || e.name
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message)
  return String(e)
}

/**
 * A saved run as this page reads it. Records saved before a field existed get the value that
 * describes how they trained: from the pretrained weights, at full ε throughout, no APGD-CE yet.
 * Runs cut off by a reload cannot continue (the worker's model is gone): they are interrupted.
 */
export function reviveRun(saved: Run): Run {
  const c = saved.config
  const run: Run = {
    ...saved,
    // Not DEFAULT_CONFIG's ε curve: a run saved before the ε curve existed trained at full ε.
    config: { ...c, init: c.init ?? DEFAULT_CONFIG.init, epsCurve: Array.isArray(c.epsCurve) ? c.epsCurve : structuredClone(EPS_PRESETS.constant.points) },
    strongEval: saved.strongEval ?? null,
  }
  if (run.status === 'queued' || run.status === 'starting' || run.status === 'running' || run.status === 'paused')
    return { ...run, status: 'interrupted', reason: 'page reloaded', endedAt: run.endedAt ?? Date.now() }
  return run
}

/** Keeps structured clones, like IndexedDB does, so tests catch records that would not clone. */
export function memoryRunStorage(): RunStorage & { runs: Map<string, Run>; weights: Map<string, ArrayBuffer>; snapshots: Map<string, StoredSnapshot> } {
  const runs = new Map<string, Run>()
  const weights = new Map<string, ArrayBuffer>()
  const snapshots = new Map<string, StoredSnapshot>()
  return {
    runs,
    weights,
    snapshots,
    async loadRuns() {
      return [...runs.values()].map((r) => structuredClone(r))
    },
    async putRun(run) {
      runs.set(run.id, structuredClone(run))
    },
    async putWeights(id, bytes) {
      weights.set(id, bytes.slice(0))
    },
    async getWeights(id) {
      return weights.get(id)?.slice(0) ?? null
    },
    async deleteRun(id) {
      runs.delete(id)
      weights.delete(id)
      snapshots.delete(id)
    },
    async putSnapshot(run, snapshot) {
      const [r, s] = [structuredClone(run), structuredClone(snapshot)] // both clone before either is stored
      snapshots.set(run.id, s)
      runs.set(run.id, r)
    },
    async getSnapshot(id) {
      const s = snapshots.get(id)
      return s ? structuredClone(s) : null
    },
    async dropSnapshot(run) {
      const r = structuredClone(run)
      snapshots.delete(run.id)
      runs.set(run.id, r)
    },
  }
}
