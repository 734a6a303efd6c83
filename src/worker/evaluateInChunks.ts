// An evaluation reported as it goes: APGD-CE with 100 iterations takes minutes on a CPU, so the
// set is evaluated a chunk at a time and each chunk's end is reported. Per-class counts are
// summed over the chunks, so the result is the accuracy over the whole set.

import type { EvalAttack } from '../core/config'
import type { CifarSet } from '../core/data/cifar'
import { IMAGE_BYTES } from '../core/data/cifar'
import type { Model } from '../core/model/resnet'
import type { AttackHelper } from '../core/train/attackShards'
import { evalAttackOptions, evaluate } from '../core/train/evaluate'
import type { EvalPoint } from '../core/train/types'

export const CHUNK = 100

const slice = (set: CifarSet, from: number, to: number): CifarSet => ({ n: to - from, labels: set.labels.subarray(from, to), images: set.images.subarray(from * IMAGE_BYTES, to * IMAGE_BYTES) })

export async function evaluateInChunks(model: Model, set: CifarSet, attack: EvalAttack, helpers: readonly AttackHelper[], onProgress: (done: number) => void): Promise<EvalPoint> {
  const total = new Array(10).fill(0)
  const clean = new Array(10).fill(0)
  const robust = new Array(10).fill(0)
  const started = performance.now()
  for (let from = 0, chunk = 0; from < set.n; from += CHUNK, chunk++) {
    const part = slice(set, from, Math.min(set.n, from + CHUNK))
    // Each chunk its own seed for the attack's random starts: the result is reproducible.
    const r = await evaluate(model, part, evalAttackOptions(attack), { batchSize: CHUNK, seed: chunk, exampleCount: 0, helpers })
    const counts = new Array(10).fill(0)
    for (const label of part.labels) counts[label]++
    for (let k = 0; k < 10; k++) {
      total[k] += counts[k]
      clean[k] += Math.round(r.perClassClean[k] * counts[k])
      robust[k] += Math.round(r.perClassRobust[k] * counts[k])
    }
    onProgress(from + part.n)
  }
  const sum = (a: number[]) => a.reduce((s, v) => s + v, 0)
  const ratio = (a: number[]) => a.map((v, k) => (total[k] ? v / total[k] : 0))
  return {
    step: 0,
    epoch: 0,
    lr: 0,
    trainLoss: null,
    clean: sum(clean) / set.n,
    robust: sum(robust) / set.n,
    perClassClean: ratio(clean),
    perClassRobust: ratio(robust),
    evalSize: set.n,
    elapsedMs: performance.now() - started,
  }
}
