// The internals the store's action modules share: state access, dependencies, the in-memory
// weights of finished runs, coalesced saving of run records, and a few common updates.

import type { StoreApi } from 'zustand/vanilla'
import { errorText, isQuotaError } from './persistence'
import { baselineKey, type AppState, type StoreDeps } from './state'
import type { Run } from './types'

export interface Ctx {
  get: () => AppState
  set: StoreApi<AppState>['setState']
  deps: Required<StoreDeps>
  /** Safetensors bytes of finished runs of this session (also kept when IndexedDB is full). */
  weights: Map<string, ArrayBuffer>
  /** Runs waiting for a baseline evaluation, by baseline key. */
  waiting: Map<string, Set<string>>
  /** Coalesces run saves: at most one write per run every SAVE_INTERVAL_MS while it changes. */
  markDirty(id: string): void
  saveNow(id: string): Promise<void>
  notify(level: 'error' | 'warning' | 'info', text: string): void
  updateRun(id: string, f: (r: Run) => Run): void
}

export const SAVE_INTERVAL_MS = 2000

export function createCtx(get: Ctx['get'], set: Ctx['set'], deps: Required<StoreDeps>): Ctx {
  const dirty = new Set<string>()
  let timer: unknown = null
  let noticeId = 0

  const ctx: Ctx = {
    get,
    set,
    deps,
    weights: new Map(),
    waiting: new Map(),
    markDirty(id) {
      dirty.add(id)
      if (timer !== null) return
      timer = deps.setTimer(() => {
        timer = null
        const ids = [...dirty]
        dirty.clear()
        for (const d of ids) void ctx.saveNow(d)
      }, SAVE_INTERVAL_MS)
    },
    async saveNow(id) {
      dirty.delete(id)
      const run = get().runs[id]
      if (!run) return
      try {
        await deps.runStorage.putRun(run)
      } catch (e) {
        ctx.notify(
          'error',
          isQuotaError(e)
            ? `Browser storage is full: the latest changes to ${run.name} were not saved (everything saved before is intact). Download or delete old runs to free space.`
            : `Could not save ${run.name}: ${errorText(e)}`,
        )
      }
    },
    notify(level, text) {
      set((s) => (s.notices.some((n) => n.text === text) ? s : { notices: [...s.notices, { id: ++noticeId, level, text }] }))
    },
    updateRun(id, f) {
      set((s) => (s.runs[id] ? { runs: { ...s.runs, [id]: f(s.runs[id]) } } : s))
    },
  }
  return ctx
}

/** Makes sure a baseline for (current model, attack, size) exists or is requested; returns its key. */
export function ensureBaseline(ctx: Ctx, config: Pick<AppState['config'], 'evalAttack' | 'evalSize'>): string {
  const s = ctx.get()
  const key = baselineKey(s.modelGen, config.evalAttack, config.evalSize)
  const entry = s.baselines[key]
  if (entry && entry.status !== 'error') return key
  if (s.worker.status !== 'ready' || !s.baseModel) return key
  const requestId = `baseline-${ctx.deps.newId()}`
  ctx.set((st) => ({ baselines: { ...st.baselines, [key]: { key, requestId, status: 'pending', point: null, examples: [], error: null } } }))
  ctx.deps.send({ type: 'baseline', requestId, evalAttack: structuredClone(config.evalAttack), evalSize: config.evalSize })
  return key
}

/**
 * Gives a starting run the base model's point at once when it is known (or being measured),
 * so its chart line starts before the run's own step-0 evaluation arrives and replaces it.
 */
export function attachBaselineWhenReady(ctx: Ctx, runId: string, config: Pick<AppState['config'], 'evalAttack' | 'evalSize'>) {
  const s = ctx.get()
  const key = baselineKey(s.modelGen, config.evalAttack, config.evalSize)
  const entry = s.baselines[key]
  if (entry?.status === 'ready') attachBaseline(ctx, runId, key)
  else if (entry?.status === 'pending') ctx.waiting.set(key, (ctx.waiting.get(key) ?? new Set()).add(runId))
}

export function attachBaseline(ctx: Ctx, runId: string, key: string) {
  const entry = ctx.get().baselines[key]
  if (entry?.status !== 'ready' || !entry.point) return
  ctx.updateRun(runId, (r) => (r.baseline ? r : { ...r, baseline: entry.point, baselineExamples: r.baselineExamples.length ? r.baselineExamples : entry.examples }))
  ctx.markDirty(runId)
}
