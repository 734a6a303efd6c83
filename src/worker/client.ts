// Main-thread side of the training worker: spawns it, posts ToWorker messages and routes every
// FromWorker message to the store. Step reports are batched per animation frame so a fast
// training loop cannot make the page re-render hundreds of times a second. No tfjs here.

import type { BackendName, FromWorker, ToWorker } from './protocol'

/** What the client needs of a Worker (a real one, or a stand-in in tests). */
export interface WorkerPort {
  postMessage(msg: ToWorker, transfer?: Transferable[]): void
  onmessage: ((e: MessageEvent<FromWorker>) => void) | null
  onerror: ((e: ErrorEvent) => void) | null
  onmessageerror: ((e: MessageEvent) => void) | null
  terminate?(): void
}

/** The store actions the client routes to (a subset of the app store's). */
export interface MessageSink {
  receive(msg: FromWorker): void
  receiveSteps(msgs: Extract<FromWorker, { type: 'step' }>[]): void
  workerCrashed(message: string): void
}

export interface WorkerClient {
  send(msg: ToWorker, transfer?: Transferable[]): void
  /** Routes the worker's messages to `sink` (messages that arrive before are held). */
  attach(sink: MessageSink): void
  /** Delivers pending step reports now (the frame callback, and before any other message). */
  flush(): void
}

const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu']

/**
 * The backend a `?backend=webgpu|webgl|wasm|cpu` URL parameter forces (software GPU adapters
 * included, e.g. to try WebGPU on a machine without a GPU); undefined for none or an unknown one,
 * which leaves the worker's own choice.
 */
export function forcedBackend(search: string): BackendName[] | undefined {
  const name = new URLSearchParams(search).get('backend')?.trim().toLowerCase()
  return name && (BACKENDS as readonly string[]).includes(name) ? [name as BackendName] : undefined
}

/**
 * The training threads a `?threads=N` URL parameter asks for on WASM, in all (1: one thread,
 * leaving the other cores to the page; cpuPlan.ts splits N into threads and helper workers);
 * undefined for none or a non-positive number.
 */
export function threadsParam(search: string): number | undefined {
  const n = Number(new URLSearchParams(search).get('threads') ?? NaN)
  return Number.isInteger(n) && n >= 1 ? n : undefined
}

export function spawnTrainingWorker(): Worker {
  return new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module', name: 'advtune-training' })
}

const defaultFrame = (cb: () => void) => {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => cb())
  else setTimeout(cb, 16)
}

export function connectWorker(worker: WorkerPort, frame: (cb: () => void) => void = defaultFrame): WorkerClient {
  let sink: MessageSink | null = null
  let early: FromWorker[] = []
  let steps: Extract<FromWorker, { type: 'step' }>[] = []
  let framePending = false
  let crashed = false

  const flush = () => {
    framePending = false
    if (!sink || steps.length === 0) return
    const batch = steps
    steps = []
    sink.receiveSteps(batch)
  }
  const deliver = (msg: FromWorker) => {
    if (!crashed) route(msg)
  }
  const route = (msg: FromWorker) => {
    if (!sink) return void early.push(msg)
    if (msg.type === 'step') {
      steps.push(msg)
      if (!framePending) {
        framePending = true
        frame(flush)
      }
      return
    }
    flush() // keep order: steps before the eval / end that follows them
    sink.receive(msg)
  }
  // An uncaught error leaves the worker in an unknown state (a run may never end): it is
  // treated as dead, terminated, and anything it still posts is ignored.
  const crash = (message: string) => {
    if (crashed) return
    flush()
    crashed = true
    worker.terminate?.()
    if (sink) sink.workerCrashed(message)
    else early.push({ type: 'error', message, fatal: true })
  }

  worker.onmessage = (e) => {
    try {
      deliver(e.data)
    } catch (err) {
      // A bug in a handler must not break the message loop: log it as a warning and go on.
      console.warn('advtune: failed to handle a worker message', e.data?.type, err)
    }
  }
  worker.onerror = (e) => {
    e.preventDefault?.() // handled here: keep it out of the console as an uncaught error
    // Errors from the backend's own threads arrive as "Uncaught [object ErrorEvent]".
    crash(e.message && !e.message.includes('[object') ? e.message : 'an uncaught error in the worker or one of its threads (details in the browser console)')
  }
  worker.onmessageerror = () => crash('a message from the worker could not be read')

  return {
    send(msg, transfer = []) {
      if (crashed) return
      worker.postMessage(msg, transfer)
    },
    attach(s) {
      sink = s
      const held = early
      early = []
      for (const m of held) route(m)
    },
    flush,
  }
}
