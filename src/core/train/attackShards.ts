// PGD split across threads. On CPU backends a PGD training step is ~75 % attack (a robust
// evaluation nearly all), and each image's attack depends on that image alone, so the batch is
// cut into shards: one is attacked here, the others by helpers (in the app: Web Workers, each a
// single-threaded WASM backend) that receive the eval-mode weights with every request. Random
// starts are drawn here for the whole batch, so results are the same whatever the helper count.

import * as tf from '@tensorflow/tfjs-core'
import { pgdFrom, pgdStart, type Forward, type PgdOptions } from '../attacks/linf'
import { disposeModel, type Model } from '../model/resnet'
import { resnetSpec } from '../model/spec'
import type { Rng } from '../rng'

/** The model's tensors as plain arrays in tfjs layout: what a helper needs to run it. */
export interface ModelSnapshot {
  depth: number
  tensors: { name: string; shape: number[]; data: Float32Array }[]
}

/** One helper's share of a batch: images, labels, PGD starts (all [n, 32, 32, 3] HWC) and the attack. */
export interface AttackShard {
  weights: ModelSnapshot
  x: Float32Array
  y: Int32Array
  start: Float32Array
  attack: Omit<PgdOptions, 'randomStart'>
}

/** Attacks shards somewhere else; resolves to the adversarial images of the shard. */
export interface AttackHelper {
  attack(shard: AttackShard): Promise<Float32Array>
  dispose(): void
}

// Below this many images per shard the messages cost more than the split saves.
export const MIN_SHARD = 8

export async function snapshotModel(m: Model): Promise<ModelSnapshot> {
  const tensors = await Promise.all([...m.vars].map(async ([name, v]) => ({ name, shape: v.shape, data: (await v.data()) as Float32Array })))
  return { depth: m.spec.depth, tensors }
}

/** Loads a snapshot into `m` (same architecture) or into a new model (`m` is then disposed); returns the model to use. */
export function modelFromSnapshot(s: ModelSnapshot, m: Model | null): Model {
  if (m && m.spec.depth === s.depth) {
    tf.tidy(() => {
      for (const t of s.tensors) m.vars.get(t.name)!.assign(tf.tensor(t.data, t.shape, 'float32'))
    })
    return m
  }
  if (m) disposeModel(m)
  const vars = new Map<string, tf.Variable>()
  tf.tidy(() => {
    for (const t of s.tensors) vars.set(t.name, tf.variable(tf.tensor(t.data, t.shape, 'float32'), false))
  })
  return { spec: resnetSpec(s.depth), vars, trainable: [], batchesTracked: 0 }
}

/** A helper's work: the PGD steps of one shard, with `fwd` the eval-mode model of the snapshot. */
export function attackShard(fwd: Forward, s: AttackShard): Float32Array {
  const n = s.y.length
  return tf.tidy(() => {
    const x = tf.tensor4d(s.x, [n, 32, 32, 3])
    const adv = pgdFrom(fwd, x, tf.tensor1d(s.y, 'int32'), tf.tensor4d(s.start, [n, 32, 32, 3]), s.attack)
    return adv.dataSync() as Float32Array
  })
}

/** Shard sizes for `n` images over `parts` workers: as equal as possible, none below MIN_SHARD. */
export function shardSizes(n: number, parts: number): number[] {
  const k = Math.max(1, Math.min(parts, Math.floor(n / MIN_SHARD)))
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0))
}

/**
 * PGD on the batch, shared with `helpers`: the same result as `pgd(fwd, x, y, o, rng)` (same
 * random draws, same per-image arithmetic). A helper that fails has its shard done here.
 */
export async function shardedPgd(m: Model, fwd: Forward, x: tf.Tensor4D, y: tf.Tensor1D, o: PgdOptions, rng: Rng, helpers: readonly AttackHelper[]): Promise<tf.Tensor4D> {
  const start = pgdStart(x, o, rng)
  const sizes = shardSizes(x.shape[0], helpers.length + 1)
  if (sizes.length === 1) return pgdFrom(fwd, x, y, start, o)
  const px = 32 * 32 * 3
  const [xs, ys, starts, weights] = [x.dataSync() as Float32Array, y.dataSync() as Int32Array, start.dataSync() as Float32Array, await snapshotModel(m)]
  start.dispose()
  const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0))
  const shard = (i: number): AttackShard => {
    const [a, b] = [offsets[i], offsets[i] + sizes[i]]
    return { weights, x: xs.slice(a * px, b * px), y: ys.slice(a, b), start: starts.slice(a * px, b * px), attack: o }
  }
  // Helpers start first: the local shard below keeps this thread busy until it is done.
  const remote = sizes.slice(1).map((_, i) => helpers[i].attack(shard(i + 1)).catch(() => null))
  const results: (Float32Array | null)[] = [attackShard(fwd, shard(0)), ...(await Promise.all(remote))]
  const out = new Float32Array(xs.length)
  results.forEach((r, i) => out.set(r ?? attackShard(fwd, shard(i)), offsets[i] * px))
  return tf.tensor4d(out, x.shape)
}
