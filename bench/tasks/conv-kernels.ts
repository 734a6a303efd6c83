// Per-kernel timing of the WASM backend's convolutions at ResNet-20's stride-1 shapes: forward,
// input gradient and weight gradient, with advtune's Winograd kernels and with XNNPACK, on
// whatever WASM set-up is active (threads included). Each output's FNV-1a hash lets the driver
// check that the kernels give bit-identical results at every thread count, and each Winograd
// output's distance from XNNPACK's on the same inputs says how far its rounding takes it.

import * as tf from '@tensorflow/tfjs-core'
import { setWasmConvKernels } from '../../src/core/backend/wasm/winograd'
import { median } from './stats'

/** [H = W, channels]: ResNet-20's three stride-1 3x3 convolutions (16, 32, 64 channels). */
export const CONV_SHAPES: [number, number][] = [
  [32, 16],
  [16, 32],
  [8, 64],
]
export const CONV_OPS = ['forward', 'input-grad', 'weight-grad'] as const
export type ConvOp = (typeof CONV_OPS)[number]
export type ConvKernels = 'winograd' | 'xnnpack'

export interface ConvTiming {
  shape: string // e.g. "128x32x32x16"
  op: ConvOp
  kernels: ConvKernels
  ms: number // median of the timed calls
  msAll: number[]
  hash: string // of the output, bytes as stored
  /** Winograd rows: the largest |difference| from XNNPACK's output, relative to XNNPACK's largest |value|. */
  relErrVsXnnpack?: number
}

/** What the bench page's task 'conv-kernels' returns. */
export interface ConvKernelsPage {
  adapter: string
  threads: number | null
  rows: ConvTiming[]
  grainsByThread: number[] // Winograd grains each thread computed (the caller first); [] on one thread
}

function fnv1a(values: Float32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength)
  let h = 0x811c9dc5
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193)
  return (h >>> 0).toString(16).padStart(8, '0')
}

function opOf(op: ConvOp, x: tf.Tensor4D, w: tf.Tensor4D, dy: tf.Tensor4D): () => tf.Tensor {
  if (op === 'forward') return () => tf.conv2d(x, w, 1, 'same')
  if (op === 'input-grad') return () => tf.conv2dTranspose(dy, w, x.shape, 1, 'same')
  const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: w.shape }
  return () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor
}

/** The largest |a − ref| relative to ref's largest |value|; Infinity for NaN or unequal lengths. */
export function relativeError(a: Float32Array, ref: Float32Array): number {
  let diff = 0
  let scale = 0
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - ref[i]))
    scale = Math.max(scale, Math.abs(ref[i]))
  }
  return Number.isFinite(diff) && a.length === ref.length ? diff / scale : Infinity
}

/** Times every (shape, op, kernels) at `batch`: one warm-up call, then `reps` timed calls. */
export function timeConvKernels(batch: number, reps: number, log: (s: string) => void = () => {}): ConvTiming[] {
  const rows: ConvTiming[] = []
  for (const [hw, c] of CONV_SHAPES) {
    const x = tf.randomNormal([batch, hw, hw, c], 0, 1, 'float32', 1) as tf.Tensor4D
    const w = tf.randomNormal([3, 3, c, c], 0, 0.1, 'float32', 2) as tf.Tensor4D
    const dy = tf.randomNormal([batch, hw, hw, c], 0, 1, 'float32', 3) as tf.Tensor4D
    for (const op of CONV_OPS) {
      const outputs: Float32Array[] = []
      for (const kernels of ['winograd', 'xnnpack'] as const) {
        setWasmConvKernels(kernels)
        const f = opOf(op, x, w, dy)
        const first = f()
        outputs.push(first.dataSync() as Float32Array)
        const hash = fnv1a(outputs.at(-1)!)
        first.dispose()
        const msAll: number[] = []
        for (let i = 0; i < reps; i++) {
          const t0 = performance.now()
          const out = f() // WASM kernels run synchronously: the call's wall time is the kernel's
          msAll.push(performance.now() - t0)
          out.dispose()
        }
        const row = { shape: `${batch}x${hw}x${hw}x${c}`, op, kernels, ms: median(msAll), msAll, hash }
        log(`${row.shape} ${op} ${kernels}: ${row.ms.toFixed(2)} ms`)
        rows.push(row)
      }
      rows.at(-2)!.relErrVsXnnpack = relativeError(outputs[0], outputs[1])
    }
    tf.dispose([x, w, dy])
  }
  setWasmConvKernels('winograd')
  return rows
}
