// BatchNorm folded once (foldBatchNorm / frozenForward) gives exactly the logits and input
// gradients of folding on every forward, frees what it holds, and is refused in train mode.

import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { gatherBatch } from '../../../src/core/data/batches'
import { crossEntropy, disposeFolding, disposeModel, foldBatchNorm, forward } from '../../../src/core/model/resnet'
import { modelFromStateDict } from '../../../src/core/model/weights'
import { evalForward, frozenForward } from '../../../src/core/train/evaluate'
import { loadStateDict, loadTestSet, useWasm } from '../../helpers/engine'

beforeAll(useWasm)

const maxAbsDiff = async (a: tf.Tensor, b: tf.Tensor) => (await tf.max(tf.abs(tf.sub(a, b))).data())[0]

describe('folded BatchNorm', () => {
  it('gives the same logits and input gradients as folding per forward, and holds one filter and shift per conv', async () => {
    const m = modelFromStateDict(loadStateDict('resnet20'))
    const batch = gatherBatch(loadTestSet(), [0, 1, 2, 3], null)
    const x = tf.tensor4d(batch.x, [4, 32, 32, 3])
    const y = tf.tensor1d(batch.y, 'int32')
    const frozen = frozenForward(m)
    const plain = evalForward(m)
    const [l1, l2] = [plain(x), frozen.fwd(x)]
    expect(Math.max(...(await tf.abs(l1).data()))).toBeGreaterThan(1) // real logits
    expect(await maxAbsDiff(l1, l2)).toBe(0)
    const grad = (f: typeof plain) => tf.grad((xi: tf.Tensor) => crossEntropy(f(xi as tf.Tensor4D), y, 'sum'))(x)
    const [g1, g2] = [grad(plain), grad(frozen.fwd)]
    expect(Math.max(...(await tf.abs(g1).data()))).toBeGreaterThan(0)
    expect(await maxAbsDiff(g1, g2)).toBe(0)
    tf.dispose([l1, l2, g1, g2, x, y])
    frozen.dispose()
    disposeModel(m)
  })

  it('frees its tensors on dispose and is for eval mode only', () => {
    const m = modelFromStateDict(loadStateDict('resnet20'))
    const before = tf.memory().numTensors
    const folding = foldBatchNorm(m)
    expect(folding.convs.size).toBe(19) // stem + 9 blocks × 2 convs
    expect(folding.shortcuts.size).toBe(2) // 16 → 32 and 32 → 64 channels
    expect(tf.memory().numTensors - before).toBe(2 * 19 + 2 + 2) // + the normalisation's mean and std
    const x = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D
    expect(() => forward(m, x, 'train', undefined, folding)).toThrow(/eval mode only/)
    disposeFolding(folding)
    x.dispose()
    expect(tf.memory().numTensors).toBe(before)
    disposeModel(m)
  })
})
