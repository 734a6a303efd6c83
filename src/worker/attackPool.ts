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

/**
 * Helper threads for `threads` attacking threads in all (by default one per core): the training
 * worker is one, at most 7 helpers (beyond 8 shards of a 128-image batch the messages cost more
 * than they save).
 */
export function helperCount(threads: number | undefined): number {
  return Math.max(0, Math.min(7, Math.floor(threads ?? 1) - 1))
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

/** Starts `count` helpers; those not ready within `timeoutMs` (or failing to start) are dropped, with the reason. */
export async function startAttackHelpers(count: number, spawn: () => HelperPort = spawnAttackWorker, timeoutMs = 30_000): Promise<{ helpers: AttackHelper[]; problems: string[] }> {
  const starts = Array.from({ length: count }, async () => {
    const port = spawn()
    const ready = new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`an attack helper did not start within ${timeoutMs / 1000} s`)), timeoutMs)
      port.onmessage = (e) => {
        clearTimeout(timer)
        if (e.data.type === 'ready') res()
        else rej(new Error(e.data.type === 'error' ? e.data.message : 'unexpected message from an attack helper'))
      }
      port.onerror = (e) => {
        clearTimeout(timer)
        rej(new Error(`an attack helper failed to load: ${e.message || 'unknown error'}`))
      }
    })
    port.postMessage({ type: 'init' })
    try {
      await ready
      return helperOf(port)
    } catch (e) {
      port.terminate()
      throw e
    }
  })
  const settled = await Promise.allSettled(starts)
  return {
    helpers: settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])),
    problems: [...new Set(settled.flatMap((s) => (s.status === 'rejected' ? [(s.reason as Error).message] : [])))],
  }
}
