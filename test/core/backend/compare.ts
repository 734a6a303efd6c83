// Test helpers: run the same computation on the tfjs CPU backend and on WASM from identical
// host data, and compare the results with a relative tolerance.
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu' // the reference backend
import { expect } from 'vitest'
import { createRng } from '../../../src/core/rng'

/** Seeded values uniform in [-1, 1). */
export function randomValues(n: number, seed: number): Float32Array {
  const rng = createRng(seed)
  const v = new Float32Array(n)
  for (let i = 0; i < n; i++) v[i] = rng.next() * 2 - 1
  return v
}

export interface HostArray {
  shape: number[]
  values: Float32Array
}

export function host(shape: number[], seed: number): HostArray {
  return {
    shape,
    values: randomValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
  }
}

/** Runs `f` on `backend` with `args` uploaded there, returns its outputs as host arrays. */
export async function runOn(backend: string, args: HostArray[], f: (...ts: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`)
  const ts = args.map((a) => tf.tensor(a.values, a.shape))
  const outs = tf.tidy(() => {
    const o = f(...ts)
    return Array.isArray(o) ? o : [o]
  })
  const values = outs.map((o) => o.dataSync() as Float32Array)
  tf.dispose([...ts, ...outs])
  return values
}

/** max |a − b| ≤ rel · max |b| (plus a tiny absolute floor for all-zero references). */
export function expectClose(actual: Float32Array, expected: Float32Array, rel = 1e-4, what = ''): void {
  expect(actual.length, what).toBe(expected.length)
  let maxDiff = 0
  let scale = 0
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]))
    scale = Math.max(scale, Math.abs(expected[i]))
  }
  expect(Number.isFinite(maxDiff), what).toBe(true)
  expect(maxDiff, `${what}: max diff ${maxDiff} vs scale ${scale}`).toBeLessThanOrEqual(rel * scale + 1e-7)
}

/** Runs `f` on CPU and on WASM and compares every output. */
export async function expectSameOnCpuAndWasm(args: HostArray[], f: (...ts: tf.Tensor[]) => tf.Tensor | tf.Tensor[], what: string, rel = 1e-4): Promise<void> {
  const cpu = await runOn('cpu', args, f)
  const wasm = await runOn('wasm', args, f)
  expect(wasm.length).toBe(cpu.length)
  wasm.forEach((w, i) => expectClose(w, cpu[i], rel, `${what} [output ${i}]`))
}
