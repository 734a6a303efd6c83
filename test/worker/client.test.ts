// The main-thread client: batching of step reports per frame, message order, early messages,
// and a crashing worker, driven through a stand-in port (no real Worker in Node).

import { describe, expect, it } from 'vitest'
import { connectWorker, forcedBackend, threadsParam, type MessageSink, type WorkerPort } from '../../src/worker/client'
import type { FromWorker, ToWorker } from '../../src/worker/protocol'
import { stepInfo } from '../store/helpers'

function port() {
  const posted: { msg: ToWorker; transfer?: Transferable[] }[] = []
  const p: WorkerPort & { emit(m: FromWorker): void } = {
    onmessage: null,
    onerror: null,
    onmessageerror: null,
    postMessage: (msg, transfer) => void posted.push({ msg, transfer }),
    emit(m) {
      this.onmessage!({ data: m } as MessageEvent<FromWorker>)
    },
  }
  return { p, posted }
}

function sink() {
  const log: string[] = []
  const s: MessageSink = {
    receive: (m) => void log.push(m.type),
    receiveSteps: (ms) => void log.push(`steps:${ms.map((m) => m.info.step).join('+')}`),
    workerCrashed: (msg) => void log.push(`crashed:${msg}`),
  }
  return { s, log }
}

describe('worker client', () => {
  it('a crash before the store is attached still reaches it, after what came before', () => {
    const { p } = port()
    const c = connectWorker(p, () => {})
    p.emit({ type: 'loading', stage: 'x', fraction: 0 })
    p.onerror!({ message: 'failed to load' } as ErrorEvent)
    const { s, log } = sink()
    c.attach(s)
    expect(log).toEqual(['loading', 'error'])
  })

  it('delivers step reports once per frame, in one batch', () => {
    const { p } = port()
    const frames: (() => void)[] = []
    const c = connectWorker(p, (cb) => void frames.push(cb))
    const { s, log } = sink()
    c.attach(s)
    for (let k = 1; k <= 5; k++) p.emit({ type: 'step', runId: 'r', info: stepInfo(k, 10) })
    expect(log).toEqual([])
    expect(frames).toHaveLength(1)
    frames[0]()
    expect(log).toEqual(['steps:1+2+3+4+5'])
  })

  it("flushes pending steps before any other message, keeping the worker's order", () => {
    const { p } = port()
    const c = connectWorker(p, () => {})
    const { s, log } = sink()
    c.attach(s)
    p.emit({ type: 'step', runId: 'r', info: stepInfo(1, 10) })
    p.emit({ type: 'eval', runId: 'r', point: {} as never })
    p.emit({ type: 'step', runId: 'r', info: stepInfo(2, 10) })
    p.emit({ type: 'runEnded', runId: 'r', status: 'done', reason: null, weights: null, wallMs: 1 })
    expect(log).toEqual(['steps:1', 'eval', 'steps:2', 'runEnded'])
  })

  it('holds messages that arrive before the store is attached', () => {
    const { p } = port()
    const c = connectWorker(p, () => {})
    p.emit({ type: 'loading', stage: 'x', fraction: 0 })
    p.emit({ type: 'ready', backend: 'wasm', adapter: '', fallbackReason: null })
    const { s, log } = sink()
    c.attach(s)
    expect(log).toEqual(['loading', 'ready'])
  })

  it('posts with transfer lists, and reports a crash once, marking the error handled', () => {
    const { p, posted } = port()
    const c = connectWorker(p, () => {})
    const { s, log } = sink()
    c.attach(s)
    const bytes = new ArrayBuffer(4)
    c.send({ type: 'importCheckpoint', fileName: 'a.th', bytes }, [bytes])
    expect(posted[0].transfer).toEqual([bytes])
    let prevented = 0
    const ev = { message: 'boom', preventDefault: () => prevented++ } as unknown as ErrorEvent
    p.onerror!(ev)
    p.onerror!(ev)
    expect(log).toEqual(['crashed:boom'])
    expect(prevented).toBe(2)
    c.send({ type: 'stop', runId: 'r' })
    expect(posted).toHaveLength(1) // nothing goes to a dead worker
    p.emit({ type: 'ready', backend: 'wasm', adapter: '', fallbackReason: null })
    expect(log).toEqual(['crashed:boom']) // nor comes from it
  })
})

describe('URL switches', () => {
  it('?backend= forces a known backend; ?threads= sets the attacking threads on WASM', () => {
    expect(forcedBackend('?backend=WebGPU')).toEqual(['webgpu'])
    expect(forcedBackend('?backend=metal')).toBeUndefined()
    expect(forcedBackend('')).toBeUndefined()
    expect(threadsParam('?threads=1')).toBe(1)
    expect(threadsParam('?backend=wasm&threads=4')).toBe(4)
    for (const bad of ['', '?threads=0', '?threads=-2', '?threads=1.5', '?threads=many']) expect(threadsParam(bad)).toBeUndefined()
  })
})
