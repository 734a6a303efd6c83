// The app store (vanilla zustand): `createAppStore(deps)` wires state, editor actions, run
// lifecycle and worker messages. Tests create it directly with in-memory dependencies.

import { createStore } from 'zustand/vanilla'
import { DEFAULT_CONFIG, type ModelInit, type ModelName } from '../core/config'
import { EPS_PRESETS, PRESETS } from '../core/schedule'
import { createCtx, ensureBaseline, type Ctx } from './context'
import { reviveRun, errorText } from './persistence'
import { receive, receiveSteps } from './receive'
import { compareSchedules, deleteRun, pauseRun, renameRun, resumeRun, startRun, stopRun, workerCrashed } from './runLifecycle'
import { insertPoint, movePoint, nudgePoint, removePoint } from './scheduleEdits'
import { loadSettings, saveSettings } from './settings'
import { decodeShareHash, encodeShareHash } from './share'
import { continueRun, resumeBlocker } from './snapshots'
import type { AppState, StoreDeps } from './state'
import { evaluateStrong } from './strongEval'
import { importHistory } from './importHistory'
import { isActive } from './types'

export type AppStore = ReturnType<typeof createAppStore>
export { baselineKey, currentBaseline, focusedRun, runBlockers, startBlockers, type AppState, type StoreDeps } from './state'

let counter = 0
const defaultId = () => `${Date.now().toString(36)}-${(++counter).toString(36)}-${Math.random().toString(36).slice(2, 7)}`

export function createAppStore(deps: StoreDeps) {
  const full: Required<StoreDeps> = {
    settings: null,
    now: () => Date.now(),
    newId: defaultId,
    setTimer: (fn, ms) => setTimeout(fn, ms),
    restartWorker: null,
    ...deps,
  }
  return createStore<AppState>()((set, get) => {
    const ctx: Ctx = createCtx(get, set, full)
    let settingsTimer: unknown = null
    let baselineTimer: unknown = null
    const persistSettings = () => {
      if (settingsTimer !== null) return
      settingsTimer = full.setTimer(() => {
        settingsTimer = null
        const s = get()
        if (!saveSettings(full.settings, { config: s.config, schedule: s.schedule, xAxis: s.xAxis })) ctx.notify('warning', 'Settings could not be saved in this browser (storage full or blocked).')
      }, 300)
    }
    // A changed evaluation setting gets its own baseline, requested once the edits settle.
    const refreshBaseline = () => {
      if (baselineTimer !== null) return
      baselineTimer = full.setTimer(() => {
        baselineTimer = null
        if (!get().activeRunId) ensureBaseline(ctx, get().config)
      }, 800)
    }
    const editSchedule = (f: (pts: AppState['schedule']) => AppState['schedule']) => {
      set((s) => ({ schedule: f(s.schedule) }))
      persistSettings()
    }
    const runAction = (f: (ctx: Ctx, id: string) => void) => (id: string) => f(ctx, id)

    return {
      worker: { status: 'starting', backend: null, adapter: '', fallbackReason: null, error: null },
      loading: null,
      baseModel: null,
      modelGen: 0,
      modelOp: null,
      importError: null,
      baselines: {},
      config: structuredClone(DEFAULT_CONFIG),
      schedule: structuredClone(PRESETS['slow-start-fast-decay'].points),
      xAxis: 'step',
      hydrated: false,
      runs: {},
      runOrder: [],
      activeRunId: null,
      queue: [],
      stopping: [],
      selected: [],
      focusRunId: null,
      live: {},
      inspect: null,
      evaluations: {},
      notices: [],
      actions: {
        async boot(hash) {
          const saved = loadSettings(full.settings)
          set({ config: saved.config, schedule: saved.schedule, xAxis: saved.xAxis })
          const link = decodeShareHash(hash)
          if (link) {
            set({ config: link.config, schedule: link.schedule })
            persistSettings()
            ctx.notify(
              link.problems.length ? 'warning' : 'info',
              link.problems.length ? `Settings loaded from the shared link, with problems: ${link.problems.join(' ')}` : 'Settings loaded from the shared link.',
            )
          }
          try {
            const stored = (await full.runStorage.loadRuns()).sort((a, b) => a.createdAt - b.createdAt)
            const revived = stored.map((r) => ({ ...reviveRun(r), weights: r.weights === 'saved' ? ('saved' as const) : ('none' as const) }))
            set((s) => ({
              runs: { ...Object.fromEntries(revived.map((r) => [r.id, r])), ...s.runs },
              runOrder: [...revived.map((r) => r.id).filter((id) => !s.runs[id]), ...s.runOrder],
              selected: [...revived.map((r) => r.id), ...s.selected],
            }))
            for (let i = 0; i < stored.length; i++) if (stored[i].status !== revived[i].status) void ctx.saveNow(revived[i].id)
          } catch (e) {
            ctx.notify('error', `Saved runs could not be read (${errorText(e)}); new runs may not survive a reload.`)
          }
          set({ hydrated: true })
          return { appliedLink: link !== null }
        },
        setConfig(update) {
          const before = get().config
          set((s) => ({ config: update(s.config) }))
          const after = get().config
          persistSettings()
          if (JSON.stringify(before.evalAttack) !== JSON.stringify(after.evalAttack) || before.evalSize !== after.evalSize) refreshBaseline()
        },
        resetConfig() {
          // The model picker's choice (architecture, pretrained or random) is not the form's to reset.
          const { model, init } = get().config
          get().actions.setConfig(() => ({ ...structuredClone(DEFAULT_CONFIG), model, init }))
        },
        setSchedule: (points) => editSchedule(() => points.map((p) => ({ t: p.t, y: p.y }))),
        applyPreset: (name) => editSchedule(() => structuredClone(PRESETS[name].points)),
        movePoint: (i, p) => editSchedule((pts) => movePoint(pts, i, p)),
        nudgePoint: (i, dt, dy) => editSchedule((pts) => nudgePoint(pts, i, dt, dy)),
        addPoint(p) {
          const r = insertPoint(get().schedule, p)
          if (!r) return null
          editSchedule(() => r.points)
          return r.index
        },
        removePoint: (i) => editSchedule((pts) => removePoint(pts, i)),
        setEpsCurve: (points) => get().actions.setConfig((c) => ({ ...c, epsCurve: points.map((p) => ({ t: p.t, y: p.y })) })),
        applyEpsPreset: (name) => get().actions.setConfig((c) => ({ ...c, epsCurve: structuredClone(EPS_PRESETS[name].points) })),
        shareHash: () => encodeShareHash(get().config, get().schedule),
        setXAxis(unit) {
          set({ xAxis: unit })
          persistSettings()
        },
        chooseModel(name: ModelName, init: ModelInit = 'pretrained') {
          const s = get()
          if (s.activeRunId || s.queue.length || s.modelOp || s.worker.status !== 'ready') return
          set((st) => ({ config: { ...st.config, init } }))
          persistSettings()
          // Random weights need no checkpoint, but the base model follows the architecture, so
          // the header's baseline and the comparison's reference are the same network pretrained.
          const loaded = s.baseModel?.model.replace(/^imported\s+/, '')
          if (loaded === name && (init === 'random' || !s.baseModel?.imported)) return
          set((st) => ({ config: { ...st.config, model: name }, modelOp: { kind: 'load', label: name }, importError: null }))
          full.send({ type: 'loadModel', model: name })
        },
        importCheckpoint(fileName, bytes) {
          const s = get()
          if (s.activeRunId || s.queue.length || s.modelOp || s.worker.status !== 'ready') return
          set({ modelOp: { kind: 'import', label: fileName }, importError: null })
          full.send({ type: 'importCheckpoint', fileName, bytes }, [bytes])
        },
        dismissImportError: () => set({ importError: null }),
        importHistory: (file, weights) => importHistory(ctx, file, weights),
        startRun: () => startRun(ctx),
        compareSchedules: (presets) => compareSchedules(ctx, presets),
        evaluateStrong: (id) => evaluateStrong(ctx, id),
        pauseRun: runAction(pauseRun),
        resumeRun: runAction(resumeRun),
        stopRun: runAction(stopRun),
        renameRun: (id, name) => renameRun(ctx, id, name),
        deleteRun: (id) => deleteRun(ctx, id),
        continueRun: (id) => continueRun(ctx, id),
        resumeBlocker: (id) => (get().runs[id] ? resumeBlocker(ctx, get().runs[id]) : 'No such run'),
        toggleSelected: (id) => set((s) => ({ selected: s.selected.includes(id) ? s.selected.filter((x) => x !== id) : [...s.selected, id] })),
        focusRun: (id) => set({ focusRunId: id }),
        async getWeights(id) {
          return ctx.weights.get(id) ?? (get().runs[id]?.weights === 'saved' ? await full.runStorage.getWeights(id) : null)
        },
        attackImage(index) {
          const s = get()
          if (s.worker.status !== 'ready' || !s.baseModel) return
          const active = s.activeRunId ? s.runs[s.activeRunId] : null
          const attack = structuredClone((active ?? s).config.evalAttack)
          const modelLabel = active && isActive(active.status) ? `${active.name} at step ${s.live[active.id]?.step ?? 0}` : `base model (${s.baseModel.model})`
          const requestId = `attack-${full.newId()}`
          set({ inspect: { requestId, index, status: 'pending', modelLabel, attack, example: null, error: null } })
          full.send({ type: 'attackImage', requestId, index, evalAttack: attack })
        },
        closeInspect: () => set({ inspect: null }),
        notify: (level, text) => ctx.notify(level, text),
        dismissNotice: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
        receive: (msg) => receive(ctx, msg),
        receiveSteps: (msgs) => receiveSteps(ctx, msgs),
        workerCrashed: (message) => workerCrashed(ctx, message),
      },
    }
  })
}
