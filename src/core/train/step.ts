// One adversarial training step, in parts: the attack on the batch (model in eval mode, weights
// frozen), a train-mode pass on the adversarial batch (loss and gradients), and the update (SGD
// and BatchNorm's running averages). trainStep runs them in order and reads the loss before the
// update; pipeline.ts overlaps steps on a GPU from the same parts.

import * as tf from '@tensorflow/tfjs-core'
import { TRAIN_ATTACKS } from '../attacks/kinds'
import { pgd, type PgdOptions } from '../attacks/linf'
import type { TrainAttack } from '../config'
import type { HostBatch } from '../data/batches'
import { crossEntropy, disposeStats, forward, updateRunningStats, type BatchStats, type Model } from '../model/resnet'
import type { Rng } from '../rng'
import { frozenForward } from './evaluate'
import { shardedPgd, type AttackHelper } from './attackShards'
import type { Sgd } from './sgd'

/**
 * The adversarial training batch for the configured training attack (eps 0 or 'none': clean),
 * shared with `helpers` where there are any (see attackShards.ts: same result either way).
 */
export async function trainingInput(s: Stepper, x: tf.Tensor4D, y: tf.Tensor1D, a: TrainAttack): Promise<tf.Tensor4D> {
  const o: PgdOptions | null = TRAIN_ATTACKS[a.kind].pgd(a)
  if (!o || o.eps === 0) return x.clone()
  const frozen = frozenForward(s.model) // the weights stay fixed during the attack
  try {
    return await (s.helpers?.length ? shardedPgd(s.model, frozen.fwd, x, y, o, s.rng, s.helpers) : pgd(frozen.fwd, x, y, o, s.rng))
  } finally {
    frozen.dispose()
  }
}

export interface Stepper {
  model: Model
  sgd: Sgd
  rng: Rng // the training attack's random starts
  helpers?: readonly AttackHelper[] // other threads that take shares of the attack
}

/** A train-mode pass on the (adversarial) batch: the loss and every trainable's gradient. */
export interface TrainPass {
  value: tf.Scalar
  grads: tf.NamedTensorMap
  stats: BatchStats[] // BatchNorm's batch statistics, for the running averages
}

export function trainPass(s: Stepper, xAdv: tf.Tensor4D, y: tf.Tensor1D): TrainPass {
  const stats: BatchStats[] = []
  const { value, grads } = tf.variableGrads(() => crossEntropy(forward(s.model, xAdv, 'train', stats), y), s.model.trainable)
  return { value, grads, stats }
}

/**
 * The SGD step and the running averages from a pass (`apply` false: neither; with `gate`, only
 * where that device flag is 1); frees the pass but its loss.
 */
export function finishPass(s: Stepper, p: TrainPass, lr: number, apply: boolean, gate?: tf.Tensor): void {
  if (apply) {
    s.sgd.step(p.grads, lr, gate)
    updateRunningStats(s.model, p.stats, gate)
  }
  disposeStats(p.stats)
  tf.dispose(Object.values(p.grads))
}

/**
 * One adversarial training step: attack the batch, then one SGD step on the adversarial batch
 * with BatchNorm in train mode. Returns the loss; a non-finite loss leaves the model untouched.
 */
export async function trainStep(s: Stepper, batch: HostBatch, attack: TrainAttack, lr: number): Promise<number> {
  const x = tf.tensor4d(batch.x, [batch.size, 32, 32, 3])
  const y = tf.tensor1d(batch.y, 'int32')
  const xAdv = await trainingInput(s, x, y, attack)
  const pass = trainPass(s, xAdv, y)
  const loss = (await pass.value.data())[0] // the one GPU read-back of a step
  finishPass(s, pass, lr, Number.isFinite(loss))
  tf.dispose([x, y, xAdv, pass.value])
  return loss
}
