// A store wired to in-memory storage, a recording `send` and manual timers, plus builders for
// the worker's messages (shaped exactly like protocol.ts says the worker posts them).

import type { BackendName, ToWorker } from '../../src/worker/protocol'
import type { AdvExample, EvalPoint, StepInfo } from '../../src/core/train/types'
import { createAppStore, type AppStore } from '../../src/store'
import { memoryRunStorage, type RunStorage } from '../../src/store/persistence'
import type { KeyValueStorage } from '../../src/store/settings'

export function mapStorage(): KeyValueStorage & { map: Map<string, string> } {
  const map = new Map<string, string>()
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) }
}

export function testStore(o: { runStorage?: RunStorage; settings?: KeyValueStorage; restartWorker?: (prefer: BackendName[]) => void } = {}) {
  const sent: ToWorker[] = []
  const timers: (() => void)[] = []
  let t = 1_000_000
  let id = 0
  const runStorage = o.runStorage ?? memoryRunStorage()
  const store: AppStore = createAppStore({
    send: (m) => void sent.push(m),
    runStorage,
    settings: o.settings ?? mapStorage(),
    now: () => (t += 100),
    newId: () => String(++id),
    setTimer: (fn) => void timers.push(fn),
    restartWorker: o.restartWorker ?? null,
  })
  const a = () => store.getState().actions
  const runTimers = async () => {
    while (timers.length) timers.shift()!()
    await settle()
  }
  const lastSent = <T extends ToWorker['type']>(type: T) => sent.filter((m) => m.type === type).at(-1) as Extract<ToWorker, { type: T }> | undefined
  return { store, sent, a, runTimers, lastSent, runStorage }
}

export const settle = () => new Promise((r) => setTimeout(r, 0))

export function evalPoint(step: number, clean: number, robust: number, extra: Partial<EvalPoint> = {}): EvalPoint {
  return {
    step,
    epoch: step / 10,
    lr: step ? 0.01 : 0,
    trainLoss: step ? 1.5 : null,
    clean,
    robust,
    perClassClean: Array(10).fill(clean),
    perClassRobust: Array(10).fill(robust),
    evalSize: 100,
    elapsedMs: step * 50,
    ...extra,
  }
}

export function stepInfo(step: number, totalSteps: number, lr = 0.01, loss = 1.2): StepInfo {
  return { step, totalSteps, epoch: step / 10, lr, eps255: 8, loss, imagesPerSec: 500 }
}

export function example(index: number, advPred = 3): AdvExample {
  return { index, label: 1, clean: new Uint8Array(3072).fill(100), adv: new Uint8Array(3072).fill(104), cleanPred: 1, cleanConf: 0.9, advPred, advConf: 0.6 }
}

/** Boots the store and walks the worker's start-up: ready → modelLoaded → baseline. */
export async function readyStore(o: Parameters<typeof testStore>[0] = {}) {
  const h = testStore(o)
  await h.a().boot('')
  h.a().receive({ type: 'ready', backend: 'webgpu', adapter: 'test adapter', fallbackReason: null })
  h.a().receive({ type: 'modelLoaded', model: 'resnet20', source: 'resnet20-12fca82f.th (pretrained)', params: 269722 })
  const b = h.lastSent('baseline')!
  h.a().receive({ type: 'baseline', requestId: b.requestId, point: evalPoint(0, 0.92, 0.01), examples: [example(0, 1), example(1, 1)] })
  return h
}
