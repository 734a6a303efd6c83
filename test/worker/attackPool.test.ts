// The attack-helper pool against helpers that run the real helper logic (attackHelper.ts: the
// snapshot's model, the real PGD shard) behind a message port in this thread; plus the ways a
// helper can fail: a backend that will not start, silence, a crash mid-run.

import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { pgd } from '../../src/core/attacks/linf'
import { gatherBatch } from '../../src/core/data/batches'
import { disposeModel } from '../../src/core/model/resnet'
import { modelFromStateDict } from '../../src/core/model/weights'
import { createRng } from '../../src/core/rng'
import { shardedPgd } from '../../src/core/train/attackShards'
import { evalForward } from '../../src/core/train/evaluate'
import { createAttackHelper, type HelperBackend } from '../../src/worker/attackHelper'
import type { FromHelper, ToHelper } from '../../src/worker/attackProtocol'
import { startAttackHelpers, type HelperPort } from '../../src/worker/attackPool'
import { loadStateDict, loadTestSet, useWasm } from '../helpers/engine'

beforeAll(async () => {
  await useWasm()
})

/** A port to the real helper logic; messages are delivered asynchronously, as between threads. */
function localPort(startBackend: (threads: number) => Promise<HelperBackend> = async (threads) => ({ adapter: 'WebAssembly (test)', threads })) {
  const port: HelperPort & { terminated: boolean; crash(message: string): void } = {
    onmessage: null,
    onerror: null,
    terminated: false,
    postMessage(msg: ToHelper) {
      setTimeout(() => void handle(structuredClone(msg)), 0)
    },
    terminate() {
      port.terminated = true
    },
    crash(message) {
      port.onerror?.({ message } as ErrorEvent)
    },
  }
  const handle = createAttackHelper((msg: FromHelper) => {
    if (!port.terminated) setTimeout(() => port.onmessage?.({ data: msg } as MessageEvent<FromHelper>), 0)
  }, startBackend)
  return port
}

const silentPort = (): HelperPort & { terminated: boolean } => {
  const p = { onmessage: null, onerror: null, terminated: false, postMessage() {}, terminate: () => void (p.terminated = true) }
  return p
}

describe('attack helper pool', () => {
  it('starts helpers that attack their shards: the same batch as one-piece PGD', async () => {
    const asked: number[] = []
    const { helpers, threads, problems } = await startAttackHelpers(2, 3, () => localPort(async (t) => (asked.push(t), { adapter: 'WebAssembly (test)', threads: t - 1 })))
    expect(problems).toEqual([])
    expect(asked).toEqual([3, 3]) // each helper starts its backend with the plan's threads…
    expect(threads).toEqual([2, 2]) // …and the pool reports what each really got
    expect(helpers).toHaveLength(2)
    const m = modelFromStateDict(loadStateDict('resnet20'))
    const b = gatherBatch(
      loadTestSet(),
      Array.from({ length: 24 }, (_, i) => i),
      null,
    )
    const [x, y] = [tf.tensor4d(b.x, [24, 32, 32, 3]), tf.tensor1d(b.y, 'int32')]
    const o = { eps: 8 / 255, stepSize: 2 / 255, steps: 2, randomStart: true }
    const whole = pgd(evalForward(m), x, y, o, createRng(9))
    const sharded = await shardedPgd(m, evalForward(m), x, y, o, createRng(9), helpers)
    expect(tf.max(tf.abs(tf.sub(whole, sharded))).dataSync()[0]).toBe(0)
    helpers.forEach((h) => h.dispose())
    tf.dispose([x, y, whole, sharded])
    disposeModel(m)
  })

  it('drops helpers whose backend fails or that never answer, and says why', async () => {
    const broken = localPort(() => Promise.reject(new Error('no WebAssembly here')))
    const silent = silentPort()
    const ports = [broken, silent]
    const { helpers, problems } = await startAttackHelpers(2, 1, () => ports.shift()!, 200)
    expect(helpers).toEqual([])
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/could not start its backend: no WebAssembly here/), expect.stringMatching(/did not start within 0.2 s/)]))
    expect(broken.terminated && silent.terminated).toBe(true)
  })

  it('a helper that crashes rejects its pending and later requests', async () => {
    const port = localPort()
    const { helpers } = await startAttackHelpers(1, 1, () => port)
    const shard = { weights: { depth: 20, tensors: [] }, x: new Float32Array(3072), y: new Int32Array(1), start: new Float32Array(3072), attack: { eps: 0.03, stepSize: 0.01, steps: 1 } }
    const pending = helpers[0].attack(shard)
    port.crash('out of memory')
    await expect(pending).rejects.toThrow(/attack helper crashed: out of memory/)
    await expect(helpers[0].attack(shard)).rejects.toThrow(/crashed/)
  })
})
