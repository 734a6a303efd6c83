// advtune against an independent reference: Debian's PyTorch (test/oracle/torch_oracle.py, its
// own model code) on the same checkpoint files and the same CIFAR-10 test images.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseSafetensors, serializeSafetensors } from '../../src/core/checkpoint'
import { gatherBatch } from '../../src/core/data/batches'
import { createRng } from '../../src/core/rng'
import { Sgd } from '../../src/core/train/sgd'
import { DEFAULT_CONFIG, type RunConfig } from '../../src/core/config'
import { head } from '../../src/core/data/cifar'
import { modelFromStateDict, stateDictFromModel } from '../../src/core/model/weights'
import { PRESETS } from '../../src/core/schedule'
import { evaluate, predictLogits } from '../../src/core/train/evaluate'
import { fineTune } from '../../src/core/train/finetune'
import { trainStep } from '../../src/core/train/step'
import { checkpointPath, loadStateDict, loadTestSet, loadTrainSet, PYTHON, REPO, TEST_BIN, useWasm } from '../helpers/engine'

const tmp = mkdtempSync(join(tmpdir(), 'advtune-oracle-'))

function torch(cmd: string, args: Record<string, string | number>): Record<string, number> {
  const argv = [join(REPO, 'test/oracle/torch_oracle.py'), cmd, '--data', TEST_BIN, ...Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)])]
  return JSON.parse(
    execFileSync(PYTHON, argv, { encoding: 'utf8', maxBuffer: 1 << 26 })
      .trim()
      .split('\n')
      .at(-1)!,
  )
}

beforeAll(useWasm)

describe('the pretrained checkpoints agree with PyTorch', () => {
  it.each(['resnet20', 'resnet56'] as const)('%s: same logits on 500 test images (max |Δ| ≤ 1e-3)', async (name) => {
    const n = 500
    const ours = await predictLogits(modelFromStateDict(loadStateDict(name)), head(loadTestSet(), n))
    const out = join(tmp, `${name}.f32`)
    torch('logits', { weights: checkpointPath(name), n, out })
    const ref = new Float32Array(readFileSync(out).buffer.slice(0))
    expect(ref.length).toBe(ours.length)
    let maxDiff = 0
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i] - ours[i]))
    expect(maxDiff).toBeLessThanOrEqual(1e-3)
  })

  it('deterministic PGD-10 (no random start) gives the same robust accuracy on 200 images (±1 point)', async () => {
    const model = modelFromStateDict(loadStateDict('resnet20'))
    const attack = { kind: 'pgd' as const, eps: 8 / 255, stepSize: 2 / 255, steps: 10, randomStart: false, restarts: 1 }
    const ours = await evaluate(model, head(loadTestSet(), 200), attack, { batchSize: 100, seed: 0, exampleCount: 0 })
    const ref = torch('pgd', { weights: checkpointPath('resnet20'), n: 200, eps: 8 / 255, step: 2 / 255, steps: 10 })
    expect(ours.clean).toBe(ref.clean)
    expect(Math.abs(ours.robust - ref.robust)).toBeLessThanOrEqual(0.01)
  })
})

describe('fine-tuned weights go back to PyTorch', () => {
  it('an exported checkpoint loads with load_state_dict(strict=True) and gives the accuracy advtune reported', async () => {
    const config: RunConfig = {
      ...DEFAULT_CONFIG,
      trainSize: 128,
      batchSize: 32,
      epochs: 1,
      peakLr: 0.02,
      trainAttack: { kind: 'fgsm-rs', eps255: 8, stepSize255: 2, steps: 1 },
      evalAttack: { kind: 'pgd', eps255: 4, stepSize255: 1, steps: 5, randomStart: false, restarts: 1 },
      evalSize: 200,
      evalEvery: 100,
    }
    const model = modelFromStateDict(loadStateDict('resnet20'))
    const r = await fineTune(model, { train: loadTrainSet(), test: loadTestSet() }, config, PRESETS['slow-start-fast-decay'].points)
    expect(r.status).toBe('done')
    const final = r.history.at(-1)!
    const file = join(tmp, 'tuned.safetensors')
    writeFileSync(file, serializeSafetensors(await stateDictFromModel(model)))
    // The weights changed (a copy of the pretrained ones would prove nothing) …
    expect(final.clean).not.toBe(r.history[0].clean)
    // … and PyTorch, loading them strictly, sees the same clean and robust accuracy.
    const ref = torch('pgd', { weights: file, n: 200, eps: 4 / 255, step: 1 / 255, steps: 5 })
    expect(ref.clean).toBe(final.clean)
    expect(Math.abs(ref.robust - final.robust)).toBeLessThanOrEqual(0.01)
  })
})

describe('training agrees with PyTorch', () => {
  it('two SGD steps with train-mode BatchNorm give the same losses, weights and running statistics', async () => {
    // Clean steps (no attack, no augmentation) on the first 32 test images: every parameter
    // gradient, the momentum/weight-decay update and BatchNorm's running averages in one check.
    const n = 32
    const [lr, momentum, wd] = [0.05, 0.9, 5e-4]
    const model = modelFromStateDict(loadStateDict('resnet20'))
    const stepper = { model, sgd: new Sgd(model.trainable, momentum, wd), rng: createRng(0) }
    const batch = gatherBatch(
      loadTestSet(),
      Array.from({ length: n }, (_, i) => i),
      null,
    )
    const none = { kind: 'none' as const, eps255: 0, stepSize255: 1, steps: 1 }
    const ours = [await trainStep(stepper, batch, none, lr), await trainStep(stepper, batch, none, lr)]
    const file = join(tmp, 'torch-trained.safetensors')
    const ref = torch('train', { weights: checkpointPath('resnet20'), n, lr, momentum, wd, steps: 2, out: file }) as unknown as { losses: number[] }
    expect(ours[0]).toBeCloseTo(ref.losses[0], 4)
    expect(ours[1]).toBeCloseTo(ref.losses[1], 4)
    const theirs = parseSafetensors(new Uint8Array(readFileSync(file)))
    const mine = await stateDictFromModel(model)
    expect(new Set(mine.keys())).toEqual(new Set(theirs.keys()))
    for (const [name, t] of theirs) {
      const a = mine.get(name)!.data
      const b = t.data
      if (t.dtype === 'I64') {
        expect(a, name).toEqual(b)
        continue
      }
      let worst = 0
      for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)) / (1e-3 + Math.abs(b[i] as number)))
      expect(worst, name).toBeLessThan(1e-3)
    }
  })
})
