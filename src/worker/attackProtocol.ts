// Typed messages between the training worker and its attack helpers (attack.worker.ts). Types
// only: the pool (attackPool.ts) and the helper (attackHelper.ts) both import them.

import type { AttackShard } from '../core/train/attackShards'

export type ToHelper =
  /** Start the WASM backend with `threads` XNNPACK threads; answered by 'ready' or 'error'. */
  { type: 'init'; threads?: number } | { type: 'attack'; id: number; shard: AttackShard }

export type FromHelper =
  | { type: 'ready'; adapter: string; threads: number }
  | { type: 'result'; id: number; adv: Float32Array }
  /** `id` names the failed request; without one the helper could not start. */
  | { type: 'error'; id?: number; message: string }
