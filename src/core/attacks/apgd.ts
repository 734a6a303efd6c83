// APGD-CE (Croce & Hein 2020, "Reliable evaluation of adversarial robustness with an ensemble of
// diverse parameter-free attacks", arXiv 2003.01690): the first attack of AutoAttack. L∞,
// untargeted, on the cross-entropy. PGD with momentum whose step size needs no tuning: it starts
// at 2ε and is halved, per image, at checkpoints where the loss stopped rising, each halving
// restarting from that image's best point so far. Every decision is a per-image mask on the
// backend, so the attack never reads the GPU back. Pure functions of a Forward, like linf.ts.

import * as tf from '@tensorflow/tfjs-core'
import { exactSign, inputGrad, project, uniformNoise, type Forward } from './linf'
import type { Rng } from '../rng'

export interface ApgdOptions {
  eps: number // L∞ radius, pixel units in [0, 1]
  steps: number // N_iter: gradient steps (the paper's default is 100)
}

/** The paper's constants: momentum α, the success-rate threshold ρ, the first step as a multiple of ε. */
export const APGD_ALPHA = 0.75
export const APGD_RHO = 0.75
export const APGD_FIRST_STEP = 2

/**
 * The checkpoints w_j = ⌈p_j·N⌉ as iterations in [0, N): p_0 = 0, p_1 = 0.22,
 * p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06) while p ≤ 1. w_0 = 0 comes first; duplicates
 * (few steps) are dropped, and so is a checkpoint at N, after which no step is left.
 */
export function apgdCheckpoints(steps: number): number[] {
  const p = [0, 0.22]
  for (;;) {
    const [a, b] = [p[p.length - 2], p[p.length - 1]]
    const c = b + Math.max(b - a - 0.03, 0.06)
    if (c > 1 + 1e-9) break
    p.push(c)
  }
  // The sums carry rounding noise (0.22 + 0.19 is 0.41000000000000003): ⌈41.000000000000004⌉ must be 41.
  const w = p.map((v) => Math.max(0, Math.ceil(v * steps - 1e-9))).filter((v) => v < steps)
  return w.filter((v, i) => i === 0 || v > w[i - 1])
}

/**
 * APGD-CE from a uniform random point in the ε-ball (drawn on the host from `rng`, as PGD's random
 * start is). Returns, per image, the first iterate that fooled the model if any did, else the
 * highest-loss point found: an image survives only if no iterate fooled it.
 */
export function apgdCe(fwd: Forward, x: tf.Tensor4D, y: tf.Tensor1D, o: ApgdOptions, rng: Rng): tf.Tensor4D {
  if (o.eps === 0) return x.clone()
  const start = tf.tidy(() => project(tf.add(x, uniformNoise(x.shape, o.eps, rng)) as tf.Tensor4D, x, o.eps))
  return apgdCeFrom(fwd, x, y, start, o)
}

/** Per-image cross-entropy and whether the prediction is wrong, from one forward pass. */
function probe(fwd: Forward, xa: tf.Tensor4D, y: tf.Tensor1D): [tf.Tensor1D, tf.Tensor1D] {
  return tf.tidy(() => {
    const logits = fwd(xa)
    const loss = tf.neg(tf.sum(tf.mul(tf.oneHot(y, logits.shape[1]), tf.logSoftmax(logits)), 1)) as tf.Tensor1D
    return [loss, tf.notEqual(tf.argMax(logits, 1), y) as tf.Tensor1D]
  })
}

/** A per-image value [B] as [B, 1, 1, 1], to pick or scale whole images. */
const perImage = (v: tf.Tensor1D) => tf.reshape(v, [-1, 1, 1, 1])

/**
 * APGD-CE's iterations from a given start (taken over: disposed). x^(0) = start, then for
 * t = 0 … N−1: z = P(x^(t) + η·sign ∇f(x^(t))), x^(t+1) = z for t = 0 and
 * P(x^(t) + α(z − x^(t)) + (1 − α)(x^(t) − x^(t−1))) after, P the projection into the ball and
 * [0, 1]. At a checkpoint t = w_j an image's η is halved, and its iterate x^(t) replaced by its best
 * point, if (1) fewer than ρ·(w_j − w_{j−1}) of its steps since w_{j−1} raised the loss, or (2) its
 * η was not halved at w_{j−1} and its best loss has not risen since then. Every image's iterations
 * depend on that image alone.
 */
export function apgdCeFrom(fwd: Forward, x: tf.Tensor4D, y: tf.Tensor1D, start: tf.Tensor4D, o: ApgdOptions): tf.Tensor4D {
  const checks = apgdCheckpoints(o.steps)
  const lo = tf.sub(x, o.eps) as tf.Tensor4D
  const hi = tf.add(x, o.eps) as tf.Tensor4D
  const into = (v: tf.Tensor4D) => tf.clipByValue(tf.minimum(tf.maximum(v, lo), hi), 0, 1) as tf.Tensor4D
  // Constants made once (on WebGPU every number is an upload).
  const [alpha, beta, half, zero] = [tf.scalar(APGD_ALPHA), tf.scalar(1 - APGD_ALPHA), tf.scalar(0.5), tf.scalar(0)]

  const [loss0, wrong0] = probe(fwd, start, y)
  const s = {
    cur: start, // x^(t)
    prev: null as tf.Tensor4D | null, // x^(t−1)
    grad: o.steps > 0 ? inputGrad(fwd, start, y) : null, // ∇f(x^(t)); none after the last step
    loss: loss0, // f(x^(t))
    best: start.clone(), // the highest-loss point so far, its loss and its gradient
    bestLoss: loss0.clone(),
    bestGrad: null as tf.Tensor4D | null,
    fooledAt: start.clone(), // the first iterate that fooled the model
    fooled: wrong0,
    eta: tf.fill([x.shape[0]], APGD_FIRST_STEP * o.eps) as tf.Tensor1D, // per-image step size
    increases: tf.zeros([x.shape[0]]) as tf.Tensor1D, // steps since the last checkpoint that raised f
    halvedLast: tf.zeros([x.shape[0]], 'bool') as tf.Tensor1D, // η halved at the last checkpoint
    bestAtLast: loss0.clone(), // the best loss at the last checkpoint
  }
  s.bestGrad = s.grad?.clone() ?? null
  type Key = keyof typeof s
  const set = <K extends Key>(k: K, v: (typeof s)[K]) => {
    s[k]?.dispose()
    s[k] = v
  }
  try {
    let lastCheck = 0
    for (let t = 0; t < o.steps; t++) {
      const { cur, prev, grad } = s
      const next = tf.tidy(() => {
        const z = into(tf.add(cur, tf.mul(perImage(s.eta), exactSign(grad!, zero))) as tf.Tensor4D)
        if (!prev) return z
        return into(tf.add(tf.add(cur, tf.mul(alpha, tf.sub(z, cur))), tf.mul(beta, tf.sub(cur, prev))) as tf.Tensor4D)
      })
      const [loss, wrong] = probe(fwd, next, y)
      const nextGrad = t + 1 < o.steps ? inputGrad(fwd, next, y) : null
      const [newly, improved] = tf.tidy(() => [tf.logicalAnd(wrong, tf.logicalNot(s.fooled)), tf.greater(loss, s.bestLoss)])
      set(
        'fooledAt',
        tf.tidy(() => tf.where(perImage(newly), next, s.fooledAt)),
      )
      set('fooled', tf.logicalOr(s.fooled, wrong) as tf.Tensor1D)
      set(
        'increases',
        tf.tidy(() => tf.add(s.increases, tf.cast(tf.greater(loss, s.loss), 'float32'))),
      )
      set(
        'best',
        tf.tidy(() => tf.where(perImage(improved), next, s.best)),
      )
      set('bestLoss', tf.where(improved, loss, s.bestLoss))
      if (nextGrad)
        set(
          'bestGrad',
          tf.tidy(() => tf.where(perImage(improved), nextGrad, s.bestGrad!)),
        )
      tf.dispose([wrong, newly, improved])
      set('prev', cur)
      s.cur = next // cur now lives on as prev
      set('grad', nextGrad)
      set('loss', loss)

      const w = t + 1
      if (!checks.includes(w)) continue
      const halve = tf.tidy(() => {
        const fewIncreases = tf.less(s.increases, APGD_RHO * (w - lastCheck))
        const stalled = tf.logicalAnd(tf.logicalNot(s.halvedLast), tf.lessEqual(s.bestLoss, s.bestAtLast))
        return tf.logicalOr(fewIncreases, stalled) as tf.Tensor1D
      })
      set(
        'eta',
        tf.tidy(() => tf.where(halve, tf.mul(s.eta, half), s.eta) as tf.Tensor1D),
      )
      set(
        'cur',
        tf.tidy(() => tf.where(perImage(halve), s.best, s.cur)),
      )
      if (s.grad)
        set(
          'grad',
          tf.tidy(() => tf.where(perImage(halve), s.bestGrad!, s.grad!)),
        )
      set('loss', tf.where(halve, s.bestLoss, s.loss))
      set('halvedLast', halve)
      set('bestAtLast', s.bestLoss.clone())
      set('increases', tf.zerosLike(s.increases))
      lastCheck = w
    }
    return tf.tidy(() => tf.where(perImage(s.fooled), s.fooledAt, s.best))
  } finally {
    tf.dispose([lo, hi, alpha, beta, half, zero, ...Object.values(s).filter((v) => v != null)])
  }
}
