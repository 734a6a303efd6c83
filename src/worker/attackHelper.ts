// An attack helper's logic as a testable factory: starts its backend when asked, then attacks
// each shard it is sent against the weights that come with it (one model, updated in place).

import { attackShard, modelFromSnapshot } from '../core/train/attackShards'
import type { Model } from '../core/model/resnet'
import { frozenForward } from '../core/train/evaluate'
import type { FromHelper, ToHelper } from './attackProtocol'

/** What a helper's backend says it started: its name and the XNNPACK threads it really got. */
export interface HelperBackend {
  adapter: string
  threads: number
}

export function createAttackHelper(post: (msg: FromHelper, transfer?: Transferable[]) => void, startBackend: (threads: number) => Promise<HelperBackend>) {
  let model: Model | null = null
  let started: Promise<HelperBackend> | null = null
  return async function handle(msg: ToHelper): Promise<void> {
    if (msg.type === 'init') {
      started ??= startBackend(msg.threads ?? 1)
      try {
        post({ type: 'ready', ...(await started) })
      } catch (e) {
        post({ type: 'error', message: `the attack helper could not start its backend: ${(e as Error).message}` })
      }
      return
    }
    try {
      if (!started) throw new Error('the attack helper was not initialised')
      await started
      model = modelFromSnapshot(msg.shard.weights, model)
      const frozen = frozenForward(model)
      let adv: Float32Array
      try {
        adv = attackShard(frozen.fwd, msg.shard)
      } finally {
        frozen.dispose()
      }
      post({ type: 'result', id: msg.id, adv }, [adv.buffer])
    } catch (e) {
      post({ type: 'error', id: msg.id, message: (e as Error).message })
    }
  }
}
