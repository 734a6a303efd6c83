// Where run records and tuned weights are kept across reloads, behind a small interface so the
// store runs in Node tests with the in-memory version; idb.ts is the browser's IndexedDB one.

import { DEFAULT_CONFIG } from '../core/config'
import { EPS_PRESETS } from '../core/schedule'
import type { Run } from './types'

export interface RunStorage {
  loadRuns(): Promise<Run[]>
  putRun(run: Run): Promise<void>
  putWeights(runId: string, bytes: ArrayBuffer): Promise<void>
  getWeights(runId: string): Promise<ArrayBuffer | null>
  deleteRun(runId: string): Promise<void>
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
export function memoryRunStorage(): RunStorage & { runs: Map<string, Run>; weights: Map<string, ArrayBuffer> } {
  const runs = new Map<string, Run>()
  const weights = new Map<string, ArrayBuffer>()
  return {
    runs,
    weights,
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
    },
  }
}
