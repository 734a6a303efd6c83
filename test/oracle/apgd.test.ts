// advtune's APGD-CE against the PyTorch oracle's own (test/oracle/torch_oracle.py, apgd_ce), on
// a model whose robust accuracy is far from 0: ResNet-20 briefly fine-tuned adversarially here,
// exported as safetensors, and evaluated by both on the same test images from the same random
// starts (the oracle draws advtune's seeded stream itself).

import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, expect, it } from 'vitest'
import { serializeSafetensors } from '../../src/core/checkpoint'
import { DEFAULT_CONFIG, type RunConfig } from '../../src/core/config'
import { head } from '../../src/core/data/cifar'
import { modelFromStateDict, stateDictFromModel } from '../../src/core/model/weights'
import { PRESETS } from '../../src/core/schedule'
import { createRng, deriveSeed } from '../../src/core/rng'
import { evaluate } from '../../src/core/train/evaluate'
import { fineTune } from '../../src/core/train/finetune'
import { loadStateDict, loadTestSet, loadTrainSet, PYTHON, REPO, TEST_BIN, useWasm } from '../helpers/engine'

const tmp = mkdtempSync(join(tmpdir(), 'advtune-apgd-'))

// One thread: on a shared 2-core machine two PyTorch threads wait on each other for many times longer.
function torch(cmd: string, args: Record<string, string | number>): Record<string, number> {
  const argv = [join(REPO, 'test/oracle/torch_oracle.py'), cmd, '--data', TEST_BIN, '--threads', '1', ...Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)])]
  return JSON.parse(
    execFileSync(PYTHON, argv, { encoding: 'utf8', maxBuffer: 1 << 26 })
      .trim()
      .split('\n')
      .at(-1)!,
  )
}

beforeAll(useWasm)

it('the oracle draws the random starts advtune draws (imported as a module, it prints nothing)', () => {
  // Draws 0-2 and 3072-3074 (image 1's first) of the evaluation stream for seed 7.
  const script = `import sys, json; sys.path.insert(0, ${JSON.stringify(join(REPO, 'test/oracle'))}); import torch_oracle as o
s = o.derive_seed(7, 'eval-attack'); print(json.dumps([s, o.mulberry32(s, 0, 3).tolist(), o.mulberry32(s, 3072, 3).tolist()]))`
  const out = execFileSync(PYTHON, ['-c', script], { encoding: 'utf8' }).trim().split('\n')
  expect(out.length).toBe(1)
  const [seed, head3, image1] = JSON.parse(out[0]) as [number, number[], number[]]
  expect(seed).toBe(deriveSeed(7, 'eval-attack'))
  const rng = createRng(seed)
  const ours = Array.from({ length: 3075 }, () => rng.next())
  expect(head3).toEqual(ours.slice(0, 3))
  expect(image1).toEqual(ours.slice(3072, 3075))
})

it('APGD-CE gives the robust accuracy of PyTorch’s APGD-CE on an adversarially fine-tuned ResNet-20 (±1 point of 200 images)', async () => {
  // 8 FGSM-RS steps (ε = 4/255) on 128 training images: clean accuracy stays high, and a third of
  // the test images become robust at ε = 1/255.
  const config: RunConfig = {
    ...DEFAULT_CONFIG,
    trainSize: 128,
    batchSize: 32,
    epochs: 2,
    peakLr: 0.02,
    trainAttack: { kind: 'fgsm-rs', eps255: 4, stepSize255: 1, steps: 1 },
    evalAttack: { kind: 'fgsm', eps255: 1, stepSize255: 1, steps: 1, randomStart: false, restarts: 1 },
    evalSize: 8,
    evalEvery: 1000,
  }
  const model = modelFromStateDict(loadStateDict('resnet20'))
  expect((await fineTune(model, { train: loadTrainSet(), test: loadTestSet() }, config, PRESETS['slow-start-fast-decay'].points)).status).toBe('done')
  const file = join(tmp, 'tuned.safetensors')
  writeFileSync(file, serializeSafetensors(await stateDictFromModel(model)))

  const [n, eps, steps, seed] = [200, 1 / 255, 20, 0]
  const ours = await evaluate(model, head(loadTestSet(), n), { kind: 'apgd-ce', eps, stepSize: 0, steps, randomStart: true, restarts: 1 }, { batchSize: 100, seed, exampleCount: 0 })
  const ref = torch('apgd', { weights: file, n, eps, steps, seed })
  expect(ref.n).toBe(n)
  expect(ours.clean).toBe(ref.clean)
  expect(ref.robust).toBeGreaterThan(0.1) // not trivially broken …
  expect(ref.robust).toBeLessThan(ref.clean - 0.1) // … nor trivially robust
  expect(Math.abs(ours.robust - ref.robust)).toBeLessThanOrEqual(0.01)

  // And on this model too, neither is weaker than PGD-10 (PyTorch's, no random start).
  const pgd10 = torch('pgd', { weights: file, n, eps, step: eps / 4, steps: 10 })
  expect(pgd10.clean).toBe(ref.clean)
  expect(ref.robust).toBeLessThanOrEqual(pgd10.robust + 0.01)
  expect(ours.robust).toBeLessThanOrEqual(pgd10.robust + 0.01)
})
