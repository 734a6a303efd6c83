/// <reference lib="webworker" />
// The training worker: a shell that wires the browser (fetch, WebGPU/WebGL/WASM) to the handler.

import { startAttackHelpers } from './attackPool'
import { DEFAULT_ORDER, pickBackend, watchDeviceLoss } from './backends'
import { cpuPlan } from './cpuPlan'
import { createHandler } from './handler'
import type { FromWorker, ToWorker } from './protocol'
import { WASM_FILES } from './wasm-files'

const scope = self as unknown as DedicatedWorkerGlobalScope
let assetBase = '/'

async function fetchBytes(path: string): Promise<Uint8Array> {
  const url = new URL(assetBase + path, scope.location.origin).href
  const res = await fetch(url)
  if (!res.ok) throw new Error(`could not load ${path} (HTTP ${res.status}); run 'npm run setup' to fetch the data and weights`)
  return new Uint8Array(await res.arrayBuffer())
}

// Read once, before the WASM backend raises this scope's hardwareConcurrency (src/core/backend/wasm/init.ts).
const cores = navigator.hardwareConcurrency
const planFor = (threads?: number) => cpuPlan(threads ?? cores, scope.crossOriginIsolated)

const handle = createHandler((msg: FromWorker, transfer: Transferable[] = []) => scope.postMessage(msg, transfer), {
  fetchBytes,
  pickBackend: (prefer, threads) => pickBackend(prefer?.length ? prefer : DEFAULT_ORDER, WASM_FILES, planFor(threads).threadsPerWorker),
  watchDeviceLoss,
  startAttackHelpers: (threads) => {
    const plan = planFor(threads)
    return startAttackHelpers(plan.workers - 1, plan.threadsPerWorker)
  },
}).handle

// Messages are handled in order of arrival but not serialised: pause/stop must reach a running
// run while its 'start' is still being awaited.
scope.onmessage = (e: MessageEvent<ToWorker>) => {
  if (e.data.type === 'init') assetBase = e.data.assetBase.endsWith('/') ? e.data.assetBase : e.data.assetBase + '/'
  void handle(e.data)
}
