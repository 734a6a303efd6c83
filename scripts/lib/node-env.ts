// The worker handler's environment in Node: assets read from public/, the WASM backend (or the
// plain CPU backend). Lets the headless runner and the tests drive exactly the worker's code.

import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { ensureGradients } from '../../src/core/backend/register-gradients'
import { wasmBackendInfo } from '../../src/core/backend/wasm/init'
import { setWasmConvKernels, winogradInfo } from '../../src/core/backend/wasm/winograd'
import { initWasmBackendNode } from './wasm-node'
import type { WorkerEnv } from '../../src/worker/handler'
import type { BackendName, FromWorker } from '../../src/worker/protocol'

export const REPO = resolve(import.meta.dirname, '../..')
export const PUBLIC = join(REPO, 'public')

/**
 * `convKernels` picks the WASM backend's convolutions: advtune's Winograd kernels where the shape
 * fits (the app's default), or tfjs's XNNPACK everywhere, for A/Bs of the kernels.
 */
export function nodeEnv(assetDir = PUBLIC, convKernels: 'winograd' | 'xnnpack' = 'winograd'): WorkerEnv {
  return {
    fetchBytes: async (path) => {
      try {
        return new Uint8Array(await readFile(join(assetDir, path)))
      } catch {
        throw new Error(`could not read ${join(assetDir, path)}; run 'npm run setup' first`)
      }
    },
    pickBackend: async (prefer?: BackendName[]) => {
      const want = prefer?.[0] ?? 'wasm'
      if (want === 'wasm') {
        await initWasmBackendNode()
        setWasmConvKernels(convKernels)
        const convs = winogradInfo() ? 'Winograd convolutions' : 'XNNPACK convolutions'
        return { backend: 'wasm', adapter: `CPU (WebAssembly SIMD, Node), ${convs}`, fallbackReason: wasmBackendInfo().problem }
      }
      await ensureGradients()
      if (want === 'cpu' && (await tf.setBackend('cpu'))) return { backend: 'cpu', adapter: 'CPU (plain JavaScript)', fallbackReason: null }
      throw new Error(`backend ${want} is not available in Node (use wasm or cpu)`)
    },
  }
}

/** Collects posted messages and lets a caller await the first one that matches. */
export function inbox() {
  const messages: FromWorker[] = []
  const waiters: { pred: (m: FromWorker) => boolean; res: (m: FromWorker) => void }[] = []
  const post = (m: FromWorker) => {
    messages.push(m)
    for (const w of [...waiters])
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.res(m)
      }
  }
  const next = <T extends FromWorker['type']>(type: T, pred: (m: Extract<FromWorker, { type: T }>) => boolean = () => true) =>
    new Promise<Extract<FromWorker, { type: T }>>((res) => {
      const found = messages.find((m) => m.type === type && pred(m as Extract<FromWorker, { type: T }>))
      if (found) return res(found as Extract<FromWorker, { type: T }>)
      waiters.push({ pred: (m) => m.type === type && pred(m as Extract<FromWorker, { type: T }>), res: res as (m: FromWorker) => void })
    })
  return { post, messages, next }
}
