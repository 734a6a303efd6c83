// The exported PyTorch training script (core/export/torch-script.ts) run for real by Debian's
// PyTorch: on one process and under torchrun with two gloo ranks, against advtune's engine (WASM)
// on the same tiny runs. Data: the official python archive, made here from the binary files, and
// the binary archive itself.

import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseSafetensors } from '../../src/core/checkpoint'
import { DEFAULT_CONFIG, type RunConfig } from '../../src/core/config'
import { head } from '../../src/core/data/cifar'
import { modelFromCheckpoint, modelFromStateDict, stateDictFromModel } from '../../src/core/model/weights'
import { EPS_PRESETS, epsAt, lrAt, PRESETS } from '../../src/core/schedule'
import { evalAttackOptions, evaluate } from '../../src/core/train/evaluate'
import { fineTune } from '../../src/core/train/finetune'
import type { StateDict } from '../../src/core/tensors'
import { parseRunHistory } from '../../src/store/importHistory'
import { runScript } from '../../src/store/scriptExport'
import { checkpointPath, DATA, loadStateDict, loadTestSet, loadTrainSet, PYTHON, useWasm } from '../helpers/engine'

const TORCHRUN = '/usr/bin/torchrun'
const tmp = mkdtempSync(join(tmpdir(), 'advtune-torch-script-'))
const PY_ARCHIVE = join(tmp, 'cifar-10-batches-py')
const SCHEDULE = PRESETS['slow-start-fast-decay'].points
const env = { ...process.env, OMP_NUM_THREADS: '1' }

/** Writes the run's script and returns its path. */
function script(name: string, config: RunConfig): string {
  const s = runScript({ id: `test-${name}`, name, base: { model: config.model, source: 'pretrained' }, config, schedule: SCHEDULE }, '0.1.0')
  const path = join(tmp, s.fileName)
  writeFileSync(path, s.text)
  return path
}

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 120_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

/** The same, in the background: several processes share the two cores while the engine runs. */
function runAsync(cmd: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env, timeout: 120_000 })
    let [out, err] = ['', '']
    p.stdout.on('data', (d) => (out += d))
    p.stderr.on('data', (d) => (err += d))
    p.on('close', (code) => resolve({ code, out, err }))
  })
}

interface History {
  steps: { step: number; lr: number; eps255: number; loss: number }[]
  evals: { step: number; clean: number; robust: number }[]
  run: { status: string }
  producer: { worldSize: number; backend: string | null }
}
const history = (dir: string, name: string): History => JSON.parse(readFileSync(join(dir, `advtune_${name}-pytorch.history.json`), 'utf8'))
const weights = (dir: string, name: string): StateDict => parseSafetensors(new Uint8Array(readFileSync(join(dir, `advtune_${name}-pytorch.safetensors`))))

/** The largest |a − b| over every tensor of two state dicts with the same names (or those of b that a has). */
function maxDiff(a: StateDict, b: StateDict, sameNames = true): number {
  if (sameNames) expect(new Set(a.keys())).toEqual(new Set(b.keys()))
  let worst = 0
  for (const [name, t] of a) {
    const u = b.get(name)
    if (!u) continue
    expect(u.shape, name).toEqual(t.shape)
    for (let i = 0; i < t.data.length; i++) worst = Math.max(worst, Math.abs(Number(t.data[i]) - Number(u.data[i])))
  }
  return worst
}

beforeAll(async () => {
  await useWasm()
  // The official python archive's layout: pickled dicts of bytes keys, data [N, 3072] planar RGB.
  const write = `
import numpy as np, os, pickle, sys
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
for name in ['data_batch_1', 'test_batch']:
    raw = np.fromfile(os.path.join(src, name + '.bin'), dtype=np.uint8).reshape(-1, 3073)
    d = {b'batch_label': name.encode(), b'labels': raw[:, 0].astype(int).tolist(), b'data': raw[:, 1:].copy(), b'filenames': [b'%d.png' % i for i in range(len(raw))]}
    with open(os.path.join(dst, name), 'wb') as f:
        pickle.dump(d, f, protocol=2)
`
  const r = run(PYTHON, ['-c', write, DATA, PY_ARCHIVE])
  expect(r.code, r.err).toBe(0)
})

describe('the exported PyTorch script', () => {
  it('trains as the engine does: per-step LR, losses and weights of two clean steps; its checkpoint imports strictly and scores what it printed', async () => {
    const config: RunConfig = {
      ...DEFAULT_CONFIG,
      trainSize: 64,
      batchSize: 32,
      epochs: 1,
      augment: false,
      trainAttack: { kind: 'none', eps255: 8, stepSize255: 2, steps: 1 },
      epsCurve: EPS_PRESETS.constant.points,
      evalAttack: { kind: 'pgd', eps255: 4, stepSize255: 2, steps: 2, randomStart: false, restarts: 1 },
      evalSize: 100,
      evalEvery: 100,
      seed: 5, // the batch order comes from the seed's 'order' stream on both sides
    }
    const out = join(tmp, 'clean')
    const running = runAsync(PYTHON, [script('clean', config), '--data', PY_ARCHIVE, '--init', checkpointPath('resnet20'), '--out', out, '--threads', '1'])
    const model = modelFromStateDict(loadStateDict('resnet20'))
    const steps: { lr: number; loss: number }[] = []
    const ours = await fineTune(model, { train: loadTrainSet(), test: loadTestSet() }, config, SCHEDULE, { onStep: (s) => void steps.push(s) })
    expect(ours.status).toBe('done')
    const r = await running
    expect(r.code, r.err).toBe(0)
    const h = history(out, 'clean')

    expect(h.run.status).toBe('done')
    expect(h.steps.map((s) => s.lr)).toEqual(steps.map((s) => s.lr))
    h.steps.forEach((s, i) => expect(s.lr).toBe(lrAt(SCHEDULE, config.peakLr, i, 2)))
    const lossDiff = Math.max(...h.steps.map((s, i) => Math.abs(s.loss - steps[i].loss)))
    expect(lossDiff).toBeLessThanOrEqual(1e-3)
    const theirs = weights(out, 'clean')
    const weightDiff = maxDiff(await stateDictFromModel(model), theirs)
    expect(weightDiff).toBeLessThanOrEqual(1e-3)
    expect(maxDiff(theirs, loadStateDict('resnet20'), false)).toBeGreaterThan(1e-3) // the steps moved the weights
    console.info(`script vs engine: losses ${h.steps.map((s) => s.loss.toFixed(5))}, max |Δloss| ${lossDiff.toExponential(2)}, max |Δweight| ${weightDiff.toExponential(2)}`)

    // advtune imports the final checkpoint strictly and measures what the script printed.
    const final = h.evals.at(-1)!
    expect(final.step).toBe(2)
    expect(r.out).toContain(`step 2/2  clean ${(100 * final.clean).toFixed(2)} %  robust ${(100 * final.robust).toFixed(2)} %`)
    const imported = modelFromCheckpoint(new Uint8Array(readFileSync(join(out, 'advtune_clean-pytorch.safetensors'))), 'final.safetensors')
    const score = await evaluate(imported, head(loadTestSet(), 100), evalAttackOptions(config.evalAttack), { batchSize: 100, seed: config.seed, exampleCount: 0 })
    expect(score.clean).toBe(final.clean)
    expect(Math.abs(score.robust - final.robust)).toBeLessThanOrEqual(0.01)
  })

  it('under torchrun with two gloo ranks: the global batch, LR and ε of every step, and the weights of one process', async () => {
    const config: RunConfig = {
      ...DEFAULT_CONFIG,
      trainSize: 64,
      batchSize: 16,
      epochs: 1,
      trainAttack: { kind: 'fgsm-rs', eps255: 8, stepSize255: 2, steps: 1 },
      epsCurve: EPS_PRESETS['ramp-30'].points,
      evalAttack: { kind: 'fgsm', eps255: 8, stepSize255: 2, steps: 1, randomStart: false, restarts: 1 },
      evalSize: 100,
      evalEvery: 2,
      seed: 3,
    }
    const file = script('ramp', config)
    const args = [file, '--data', DATA, '--init', checkpointPath('resnet20'), '--threads', '1']
    const [one, two] = await Promise.all([
      runAsync(PYTHON, [...args, '--out', join(tmp, 'one')]),
      // Debian's torchrun 1.13 on Python ≥ 3.11 cannot parse its own default '--redirects 0'.
      runAsync(TORCHRUN, ['--standalone', '--nproc_per_node=2', '--redirects', '1', '--tee', '1', ...args, '--out', join(tmp, 'two')]),
    ])
    expect(one.code, one.err).toBe(0)
    expect(two.code, two.err).toBe(0)
    const [h1, h2] = [history(join(tmp, 'one'), 'ramp'), history(join(tmp, 'two'), 'ramp')]
    expect(h2.producer).toMatchObject({ worldSize: 2, backend: 'gloo' })
    for (const h of [h1, h2]) {
      expect(h.run.status).toBe('done')
      expect(h.steps.length).toBe(4)
      h.steps.forEach((s, i) => {
        expect(s.lr).toBe(lrAt(SCHEDULE, config.peakLr, i, 4))
        expect(s.eps255).toBe(epsAt(config.epsCurve, 8, i, 4))
      })
      expect(h.evals.map((e) => e.step)).toEqual([0, 2, 4])
    }
    expect(new Set(h1.steps.map((s) => s.eps255)).size).toBeGreaterThan(1) // the ramp is in the steps
    const diff = maxDiff(weights(join(tmp, 'one'), 'ramp'), weights(join(tmp, 'two'), 'ramp'))
    expect(diff).toBeLessThanOrEqual(1e-4)
    console.info(`two ranks vs one process after 4 FGSM-RS steps: max |Δweight| ${diff.toExponential(2)}`)
    // What the script wrote imports as a run.
    const parsed = parseRunHistory(readFileSync(join(tmp, 'two', 'advtune_ramp-pytorch.history.json'), 'utf8'), 'ramp.history.json')
    expect(parsed.producer).toContain('2 processes')
    expect(parsed.evals.at(-1)!.step).toBe(4)
  })

  it('explains every flag, and refuses a folder without CIFAR-10 and weights of another architecture by name', async () => {
    const base: RunConfig = { ...DEFAULT_CONFIG, trainSize: 64, batchSize: 32, epochs: 1, evalSize: 100 }
    const file = script('bad', base)
    const empty = join(tmp, 'empty')
    mkdirSync(empty, { recursive: true })
    const [help, noData, deeper, shallower] = await Promise.all([
      runAsync(PYTHON, [file, '--help']),
      runAsync(PYTHON, [file, '--data', empty, '--init', checkpointPath('resnet20')]),
      runAsync(PYTHON, [file, '--data', DATA, '--init', checkpointPath('resnet56')]),
      runAsync(PYTHON, [script('bad32', { ...base, model: 'resnet32' }), '--data', DATA, '--init', checkpointPath('resnet20')]),
    ])
    expect(help.code).toBe(0)
    for (const flag of ['--data', '--init', '--arch', '--out', '--name', '--epochs', '--train-size', '--eval-size', '--eval-every', '--rng', '--seed', '--device', '--threads'])
      expect(help.out).toContain(flag)

    expect(noData.code).toBe(2)
    expect(noData.err).toMatch(/no CIFAR-10 in '.*empty'.*cifar-10-batches-py.*cifar-10-batches-bin/)

    expect(deeper.code).toBe(2)
    expect(deeper.err).toMatch(/does not fit resnet20 \(unexpected: layer1\.3\.bn1\.bias, .*layer1\.3\.conv1\.weight/)
    expect(shallower.code).toBe(2)
    expect(shallower.err).toMatch(/does not fit resnet32 \(missing: layer1\.3\.bn1\.bias/)
  })
})
