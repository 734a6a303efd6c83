// The training worker's attack helpers: spawns them, waits until each has its backend, and
// exposes each as an AttackHelper (request → shard result). A helper that dies or answers with an
// error rejects its requests; attackShards.ts then attacks that shard itself, so a run goes on.

import type { AttackHelper, AttackShard } from '../core/train/attackShards'
import type { FromHelper, ToHelper } from './attackProtocol'

/** What the pool needs of a Worker (a real one, or a stand-in in tests). */
export interface HelperPort {
  postMessage(msg: ToHelper, transfer?: Transferable[]): void
  onmessage: ((e: MessageEvent<FromHelper>) => void) | null
  onerror: ((e: ErrorEvent) => void) | null
  terminate(): void
}

export function spawnAttackWorker(): HelperPort {
  return new Worker(new URL('./attack.worker.ts', import.meta.url), { type: 'module', name: 'advtune-attack' }) as unknown as HelperPort
}

function helperOf(port: HelperPort): AttackHelper {
  const pending = new Map<number, { res: (a: Float32Array) => void; rej: (e: Error) => void }>()
  let next = 0
  let dead: string | null = null
  const failAll = (why: string) => {
    dead = why
    for (const p of pending.values()) p.rej(new Error(why))
    pending.clear()
  }
  port.onmessage = (e) => {
    const m = e.data
    if (m.type === 'ready' || m.id === undefined) return
    const p = pending.get(m.id)
    pending.delete(m.id)
    if (m.type === 'result') p?.res(m.adv)
    else p?.rej(new Error(m.message))
  }
  port.onerror = (e) => failAll(`attack helper crashed: ${e.message || 'unknown error'}`)
  return {
    attack(shard: AttackShard) {
      if (dead) return Promise.reject(new Error(dead))
      const id = next++
      return new Promise<Float32Array>((res, rej) => {
        pending.set(id, { res, rej })
        // The shard's own arrays move to the helper; the weights are copied (every helper gets them).
        port.postMessage({ type: 'attack', id, shard }, [shard.x.buffer, shard.y.buffer, shard.start.buffer])
      })
    },
    dispose() {
      failAll('attack helper stopped')
      port.terminate()
    },
  }
}

export interface StartedHelpers {
  helpers: AttackHelper[]
  threads: number[] // the XNNPACK threads each helper got, in the order of `helpers`
  problems: string[] // why the others did not start
}

/**
 * Starts `count` helpers with `threads` XNNPACK threads each; those not ready within `timeoutMs`
 * (or failing to start) are dropped, with the reason.
 */
export async function startAttackHelpers(count: number, threads = 1, spawn: () => HelperPort = spawnAttackWorker, timeoutMs = 30_000): Promise<StartedHelpers> {
  const starts = Array.from({ length: count }, async () => {
    const port = spawn()
    const ready = new Promise<number>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`an attack helper did not start within ${timeoutMs / 1000} s`)), timeoutMs)
      port.onmessage = (e) => {
        clearTimeout(timer)
        if (e.data.type === 'ready') res(e.data.threads)
        else rej(new Error(e.data.type === 'error' ? e.data.message : 'unexpected message from an attack helper'))
      }
      port.onerror = (e) => {
        clearTimeout(timer)
        rej(new Error(`an attack helper failed to load: ${e.message || 'unknown error'}`))
      }
    })
    port.postMessage({ type: 'init', threads })
    try {
      const got = await ready
      return { helper: helperOf(port), threads: got }
    } catch (e) {
      port.terminate()
      throw e
    }
  })
  const settled = await Promise.allSettled(starts)
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  return {
    helpers: started.map((s) => s.helper),
    threads: started.map((s) => s.threads),
    problems: [...new Set(settled.flatMap((s) => (s.status === 'rejected' ? [(s.reason as Error).message] : [])))],
  }
}
