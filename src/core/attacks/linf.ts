// L∞ attacks in pixel space [0, 1] (the normalisation lives inside the model): FGSM, FGSM with
// random start (Wong, Rice & Kolter 2020) and PGD-k (Madry et al. 2018); APGD-CE is in apgd.ts.
// Pure functions of a forward function: no variables, no optimiser state. Random starts come from
// a seeded host RNG so every backend sees the same noise.

import * as tf from '@tensorflow/tfjs-core'
import { crossEntropy } from '../model/resnet'
import type { Rng } from '../rng'
import { apgdCe } from './apgd'
import type { EvalAttackKind } from './kinds'

/** The model as a function of pixels, optionally with its input gradient ready-made. */
export type Forward = ((x: tf.Tensor4D) => tf.Tensor2D) & {
  /** d(Σ cross-entropy)/dx without tfjs's tape, where the model offers it (frozenForward does). */
  inputGrad?: (x: tf.Tensor4D, y: tf.Tensor1D) => tf.Tensor4D
}

/**
 * A backend may register this kernel: inputs {xa, g, lo, hi} (one shape), attr {stepSize}; output
 * xa + stepSize·sign(g) clipped into [lo, hi] and [0, 1]: PGD's ten-op update in one dispatch
 * (WebGPU: src/core/backend/webgpu/fused-ops.ts). Same arithmetic and order as the ops below.
 */
export const PGD_STEP_KERNEL = 'AdvtunePgdStep'

export interface PgdOptions {
  eps: number // L∞ radius, pixel units in [0, 1]
  stepSize: number // pixel units
  steps: number
  randomStart: boolean
}

/** Clips xa into the eps-ball around x and into the image range [0, 1]. */
export function project(xa: tf.Tensor4D, x: tf.Tensor4D, eps: number): tf.Tensor4D {
  return tf.tidy(() => projectInto(xa, ballOf(x, eps)))
}

/** The eps-ball around x as per-pixel bounds: computed once per attack, not once per step. */
interface Ball {
  lo: tf.Tensor4D
  hi: tf.Tensor4D
}

const ballOf = (x: tf.Tensor4D, eps: number): Ball => ({ lo: tf.sub(x, eps), hi: tf.add(x, eps) })

const projectInto = (xa: tf.Tensor4D, b: Ball): tf.Tensor4D => tf.clipByValue(tf.minimum(tf.maximum(xa, b.lo), b.hi), 0, 1) as tf.Tensor4D

/** Uniform noise in [-eps, eps] with the shape of x, from the host RNG. */
export function uniformNoise(shape: number[], eps: number, rng: Rng): tf.Tensor4D {
  const n = shape.reduce((a, b) => a * b, 1)
  const data = new Float32Array(n)
  for (let i = 0; i < n; i++) data[i] = (2 * rng.next() - 1) * eps
  return tf.tensor4d(data, shape as [number, number, number, number])
}

/**
 * Exact sign from comparisons. tfjs-backend-wasm 4.22's Sign kernel returns 0 for |x| below
 * ~1e-5, and input gradients of a confident network are often ~1e-9: with tf.sign, PGD on WASM
 * left a quarter of a pretrained ResNet-20's images untouched (26 % "robust" vs 0 % in PyTorch).
 */
export function exactSign(g: tf.Tensor, zero: tf.Scalar | number = 0): tf.Tensor {
  return tf.tidy(() => tf.sub(tf.cast(tf.greater(g, zero), 'float32'), tf.cast(tf.less(g, zero), 'float32')))
}

/** The gradient of the summed cross-entropy with respect to the input. */
export function inputGrad(fwd: Forward, xa: tf.Tensor4D, y: tf.Tensor1D): tf.Tensor4D {
  if (fwd.inputGrad) return fwd.inputGrad(xa, y)
  return tf.grad((xi: tf.Tensor) => crossEntropy(fwd(xi as tf.Tensor4D), y, 'sum'))(xa) as tf.Tensor4D
}

/** Sign of the gradient of the summed cross-entropy with respect to the input. */
function gradSign(fwd: Forward, xa: tf.Tensor4D, y: tf.Tensor1D, zero?: tf.Scalar): tf.Tensor4D {
  return tf.tidy(() => exactSign(inputGrad(fwd, xa, y), zero) as tf.Tensor4D)
}

/** PGD's starting point: a uniform draw in the eps-ball (within [0, 1]) or the clean image. */
export function pgdStart(x: tf.Tensor4D, o: PgdOptions, rng: Rng): tf.Tensor4D {
  return o.randomStart ? tf.tidy(() => project(tf.add(x, uniformNoise(x.shape, o.eps, rng)) as tf.Tensor4D, x, o.eps)) : x.clone()
}

/** PGD-k: `steps` signed-gradient ascent steps, each projected back into the eps-ball. */
export function pgd(fwd: Forward, x: tf.Tensor4D, y: tf.Tensor1D, o: PgdOptions, rng: Rng): tf.Tensor4D {
  if (o.eps === 0) return x.clone()
  return pgdFrom(fwd, x, y, pgdStart(x, o, rng), o)
}

/**
 * PGD's ascent steps from a given start (taken over: disposed). Every image's steps depend on
 * that image alone (the loss is summed, not averaged), so a batch may be attacked in shards.
 */
export function pgdFrom(fwd: Forward, x: tf.Tensor4D, y: tf.Tensor1D, start: tf.Tensor4D, o: Omit<PgdOptions, 'randomStart'>): tf.Tensor4D {
  // The ball and the constants once for all steps (on WebGPU each number is an upload).
  const ball = ballOf(x, o.eps)
  const fused = tf.getKernel(PGD_STEP_KERNEL, tf.getBackend()) != null
  const [step, zero] = fused ? [] : [tf.scalar(o.stepSize), tf.scalar(0)] // the op path's
  let xa = start
  try {
    for (let k = 0; k < o.steps; k++) {
      const next = tf.tidy(() =>
        fused
          ? (tf.engine().runKernel(PGD_STEP_KERNEL, { xa, g: inputGrad(fwd, xa, y), lo: ball.lo, hi: ball.hi }, { stepSize: o.stepSize }) as tf.Tensor4D)
          : projectInto(tf.add(xa, tf.mul(gradSign(fwd, xa, y, zero), step!)) as tf.Tensor4D, ball),
      )
      xa.dispose()
      xa = next
    }
  } finally {
    tf.dispose([ball.lo, ball.hi, step, zero]) // step and zero exist on the op path only
  }
  return xa
}

/** FGSM (Goodfellow et al. 2015): one step of size eps from the clean image. */
export function fgsm(fwd: Forward, x: tf.Tensor4D, y: tf.Tensor1D, eps: number): tf.Tensor4D {
  if (eps === 0) return x.clone()
  return tf.tidy(() => project(tf.add(x, tf.mul(gradSign(fwd, x, y), eps)) as tf.Tensor4D, x, eps))
}

/** FGSM with random start: uniform start in the ball, one step of `stepSize` (1.25·eps in Wong et al.). */
export function fgsmRandomStart(fwd: Forward, x: tf.Tensor4D, y: tf.Tensor1D, eps: number, stepSize: number, rng: Rng): tf.Tensor4D {
  return pgd(fwd, x, y, { eps, stepSize, steps: 1, randomStart: true }, rng)
}

export interface EvalAttackOptions extends PgdOptions {
  kind: EvalAttackKind // APGD-CE: `steps` iterations, always from a random start; stepSize unused
  restarts: number // an image is robust only if it survives every restart
}

/** Runs PGD on a batch: `pgd` itself, or a version that shares the work (attackShards.ts). */
export type PgdRunner = (x: tf.Tensor4D, y: tf.Tensor1D, o: PgdOptions, rng: Rng) => tf.Tensor4D | Promise<tf.Tensor4D>

/**
 * The evaluation attack on a batch, with restarts: for each image the adversarial example of
 * the first restart that fools the model (or the last restart's if none does). `runPgd` serves
 * PGD only; APGD-CE runs here, unshared.
 */
export async function attackForEval(
  fwd: Forward,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  o: EvalAttackOptions,
  rng: Rng,
  runPgd: PgdRunner = (xs, ys, po, r) => pgd(fwd, xs, ys, po, r),
): Promise<tf.Tensor4D> {
  let run: PgdRunner
  switch (o.kind) {
    case 'fgsm':
      return fgsm(fwd, x, y, o.eps)
    case 'apgd-ce':
      run = (xs, ys, po, r) => apgdCe(fwd, xs, ys, { eps: po.eps, steps: po.steps }, r)
      break
    case 'pgd':
      run = runPgd
      break
    default: {
      const unknown: never = o.kind // a new kind in attacks/kinds.ts needs its case here
      throw new Error(`unknown evaluation attack ${String(unknown)}`)
    }
  }
  let best = await run(x, y, o, rng)
  for (let r = 1; r < o.restarts; r++) {
    const fooled = tf.tidy(() => tf.notEqual(tf.argMax(fwd(best), 1), y))
    const allFooled = (await tf.all(fooled).data())[0] === 1
    if (allFooled) {
      fooled.dispose()
      break
    }
    const candidate = await run(x, y, o, rng)
    const merged = tf.tidy(() => tf.where(tf.tile(tf.reshape(fooled, [-1, 1, 1, 1]), [1, ...x.shape.slice(1)]), best, candidate) as tf.Tensor4D)
    tf.dispose([fooled, candidate, best])
    best = merged
  }
  return best
}
