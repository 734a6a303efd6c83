// Clean and robust accuracy of a model on a fixed evaluation subset, per class too, and the
// first few images as adversarial examples for the previews.

import * as tf from '@tensorflow/tfjs-core'
import { evalIterations, evalRandomStart } from '../attacks/kinds'
import { attackForEval, type EvalAttackOptions, type Forward, type PgdRunner } from '../attacks/linf'
import { gatherBatch, ranges } from '../data/batches'
import { IMAGE_BYTES, type CifarSet } from '../data/cifar'
import { inputGradient } from '../model/input-gradient'
import { disposeFolding, foldBatchNorm, forward, type Model } from '../model/resnet'
import { createRng, deriveSeed } from '../rng'
import type { EvalAttack } from '../config'
import { shardedPgd, type AttackHelper } from './attackShards'
import type { AdvExample } from './types'

export interface EvalResult {
  clean: number
  robust: number
  perClassClean: number[]
  perClassRobust: number[]
  n: number
  examples: AdvExample[]
}

export interface EvalOptions {
  batchSize: number
  seed: number // the attack's random starts: the same every evaluation, so points compare
  exampleCount: number // images of the first batch returned as AdvExample
  helpers?: readonly AttackHelper[] // other threads that take shares of the attack (same result)
}

/** Converts the user-facing /255 attack settings into pixel units. */
export function evalAttackOptions(a: EvalAttack): EvalAttackOptions {
  return { kind: a.kind, eps: a.eps255 / 255, stepSize: a.stepSize255 / 255, steps: evalIterations(a), randomStart: evalRandomStart(a), restarts: a.restarts }
}

/** The eval-mode forward, BatchNorm folded into the filters on every call. */
export const evalForward =
  (m: Model): Forward =>
  (x) =>
    forward(m, x, 'eval')

/** An eval-mode forward of fixed weights, holding their folded filters until disposed. */
export interface FrozenForward {
  fwd: Forward
  dispose(): void
}

/**
 * The eval-mode forward of the weights as they are now, BatchNorm folded once: for an attack or
 * an evaluation, during which the weights don't change. Same results as evalForward, with 114
 * fewer kernels per ResNet-20 forward, and its input gradient written out (input-gradient.ts):
 * ~90 kernel calls per PGD iteration on WebGPU instead of ~380 through the tape.
 */
export function frozenForward(m: Model): FrozenForward {
  const folding = foldBatchNorm(m)
  const fwd: Forward = Object.assign((x: tf.Tensor4D) => forward(m, x, 'eval', undefined, folding), {
    inputGrad: (x: tf.Tensor4D, y: tf.Tensor1D) => inputGradient(m, folding, x, y), // by hand, no tape
  })
  return { fwd, dispose: () => disposeFolding(folding) }
}

const toBytes = (x: Float32Array) => Uint8Array.from(x, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255))

export async function evaluate(m: Model, set: CifarSet, attack: EvalAttackOptions, o: EvalOptions): Promise<EvalResult> {
  const frozen = frozenForward(m) // the weights stay fixed over the whole evaluation
  try {
    return await evaluateWith(m, frozen.fwd, set, attack, o)
  } finally {
    frozen.dispose()
  }
}

async function evaluateWith(m: Model, fwd: Forward, set: CifarSet, attack: EvalAttackOptions, o: EvalOptions): Promise<EvalResult> {
  const rng = createRng(deriveSeed(o.seed, 'eval-attack'))
  const helpers = o.helpers ?? []
  const runPgd: PgdRunner | undefined = helpers.length ? (x, y, po, r) => shardedPgd(m, fwd, x, y, po, r, helpers) : undefined
  const total = new Array(10).fill(0)
  const clean = new Array(10).fill(0)
  const robust = new Array(10).fill(0)
  const examples: AdvExample[] = []
  for (const idx of ranges(set.n, o.batchSize)) {
    const batch = gatherBatch(set, idx, null)
    const x = tf.tensor4d(batch.x, [batch.size, 32, 32, 3])
    const y = tf.tensor1d(batch.y, 'int32')
    const adv = await attackForEval(fwd, x, y, attack, rng, runPgd)
    const [cleanProbs, advProbs] = tf.tidy(() => [tf.softmax(fwd(x)), tf.softmax(fwd(adv))])
    const [cp, ap] = await Promise.all([cleanProbs.data(), advProbs.data()])
    const advPixels = examples.length < o.exampleCount ? ((await adv.data()) as Float32Array) : null
    tf.dispose([x, y, adv, cleanProbs, advProbs])
    for (let b = 0; b < batch.size; b++) {
      const label = batch.y[b]
      const [cPred, cConf] = argmax(cp, b)
      const [aPred, aConf] = argmax(ap, b)
      total[label]++
      if (cPred === label) clean[label]++
      if (aPred === label && cPred === label) robust[label]++ // robust ⊆ clean: a misclassified image counts as broken
      if (advPixels && examples.length < o.exampleCount) {
        const at = b * IMAGE_BYTES
        examples.push({
          index: idx[b],
          label,
          clean: set.images.slice(idx[b] * IMAGE_BYTES, (idx[b] + 1) * IMAGE_BYTES),
          adv: toBytes(advPixels.subarray(at, at + IMAGE_BYTES)),
          cleanPred: cPred,
          cleanConf: cConf,
          advPred: aPred,
          advConf: aConf,
        })
      }
    }
  }
  const sum = (a: number[]) => a.reduce((s, v) => s + v, 0)
  const ratio = (a: number[]) => a.map((v, k) => (total[k] ? v / total[k] : 0))
  return { clean: sum(clean) / set.n, robust: sum(robust) / set.n, perClassClean: ratio(clean), perClassRobust: ratio(robust), n: set.n, examples }
}

function argmax(probs: ArrayLike<number>, row: number): [number, number] {
  let best = 0
  for (let k = 1; k < 10; k++) if (probs[row * 10 + k] > probs[row * 10 + best]) best = k
  return [best, probs[row * 10 + best]]
}

/** Logits [n, 10] of every image of a set (eval-mode BatchNorm), read back batch by batch. */
export async function predictLogits(m: Model, set: CifarSet, batchSize = 250): Promise<Float32Array> {
  const out = new Float32Array(set.n * 10)
  for (const idx of ranges(set.n, batchSize)) {
    const batch = gatherBatch(set, idx, null)
    const logits = tf.tidy(() => forward(m, tf.tensor4d(batch.x, [batch.size, 32, 32, 3]), 'eval'))
    out.set(await logits.data(), idx[0] * 10)
    logits.dispose()
  }
  return out
}

/** Fraction of images whose arg-max logit is the label. */
export function accuracyOf(logits: Float32Array, labels: Uint8Array): number {
  let correct = 0
  for (let i = 0; i < labels.length; i++) if (argmax(logits, i)[0] === labels[i]) correct++
  return correct / labels.length
}
