// The imported pretrained networks score their published accuracy on the full 10,000-image
// CIFAR-10 test set, computed by advtune's own code (WASM backend).

import { beforeAll, expect, it } from 'vitest'
import { modelFromStateDict } from '../../../src/core/model/weights'
import { accuracyOf, predictLogits } from '../../../src/core/train/evaluate'
import { loadStateDict, loadTestSet, useWasm } from '../../helpers/engine'

beforeAll(useWasm)

it.each([
  ['resnet20', 91.73],
  ['resnet56', 93.39],
] as const)('%s scores %s percent on the full test set (published)', async (name, published) => {
  const test = loadTestSet()
  expect(test.n).toBe(10_000)
  const acc = accuracyOf(await predictLogits(modelFromStateDict(loadStateDict(name)), test), test.labels)
  expect(Math.abs(100 * acc - published)).toBeLessThanOrEqual(0.05)
})
