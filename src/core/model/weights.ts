// State dicts (PyTorch names and layouts) ⇄ model variables (tfjs layouts). Import is strict:
// every missing, unexpected or mis-shaped tensor is named, and nothing is created on failure.

import * as tf from '@tensorflow/tfjs-core'
import { readCheckpoint, type TensorMeta } from '../checkpoint'
import { f32, type HostTensor, type StateDict } from '../tensors'
import { inferDepth, resnetSpec, tensorSpecs, type ResNetSpec } from './spec'
import type { Model } from './resnet'

// PyTorch → tfjs layout by rank: conv OIHW → HWIO, linear [out, in] → [in, out].
const TO_TFJS: Record<number, number[] | undefined> = { 4: [2, 3, 1, 0], 2: [1, 0] }
const TO_TORCH: Record<number, number[] | undefined> = { 4: [3, 2, 0, 1], 2: [1, 0] }

export class WeightImportError extends Error {
  constructor(
    message: string,
    readonly missing: string[] = [],
    readonly unexpected: string[] = [],
    readonly misshaped: string[] = [],
  ) {
    super(message)
    this.name = 'WeightImportError'
  }
}

// Buffers PyTorch ≥ 0.4 writes for BatchNorm that carry no information the model needs.
const IGNORED = /\.num_batches_tracked$/

const list = (names: string[], max = 6) => names.slice(0, max).join(', ') + (names.length > max ? `, … (${names.length} in all)` : '')

/** Names, dtypes and shapes: a state dict, or a checkpoint's tensors before their data is read. */
type Tensors = ReadonlyMap<string, TensorMeta>

/** Checks that a state dict holds exactly the tensors of `spec`, throwing a message that names every problem. */
export function checkStateDict(dict: Tensors, spec: ResNetSpec): void {
  const expected = tensorSpecs(spec)
  const names = new Set(expected.map((t) => t.name))
  const missing = expected.filter((t) => !dict.has(t.name)).map((t) => t.name)
  const unexpected = [...dict.keys()].filter((k) => !names.has(k) && !IGNORED.test(k))
  const misshaped = expected
    .filter((t) => dict.has(t.name) && dict.get(t.name)!.shape.join('x') !== t.shape.join('x'))
    .map((t) => `${t.name} is [${dict.get(t.name)!.shape}] but ${spec.name} needs [${t.shape}]`)
  const wrongType = expected.filter((t) => dict.get(t.name)?.dtype === 'I64').map((t) => `${t.name} holds integers`)
  if (missing.length || unexpected.length || misshaped.length || wrongType.length) {
    const parts = [
      missing.length ? `missing ${missing.length} tensor(s): ${list(missing)}` : '',
      unexpected.length ? `unexpected ${unexpected.length} tensor(s): ${list(unexpected)}` : '',
      misshaped.length ? `wrong shape: ${list(misshaped, 4)}` : '',
      wrongType.length ? `wrong type: ${list(wrongType, 4)}` : '',
    ].filter(Boolean)
    throw new WeightImportError(`These weights do not fit ${spec.name}: ${parts.join('; ')}.`, missing, unexpected, misshaped)
  }
}

/** The CIFAR ResNet a state dict describes, or an error saying why it is none. */
export function specForStateDict(dict: Tensors): ResNetSpec {
  const depth = inferDepth(dict.keys())
  if (depth === null) throw new WeightImportError(`This checkpoint is not a CIFAR ResNet (no 'layer1.N.' tensors; found ${list([...dict.keys()], 4) || 'no tensors'}).`)
  const spec = resnetSpec(depth)
  checkStateDict(dict, spec)
  return spec
}

/** Builds a model from a state dict; throws WeightImportError (creating nothing) if it does not fit. */
export function modelFromStateDict(dict: StateDict, spec: ResNetSpec = specForStateDict(dict)): Model {
  checkStateDict(dict, spec)
  const vars = new Map<string, tf.Variable>()
  const trainable: tf.Variable[] = []
  for (const t of tensorSpecs(spec)) {
    const host = dict.get(t.name)!
    const value = tf.tidy(() => {
      const raw = tf.tensor(host.data as Float32Array, t.shape, 'float32')
      const perm = TO_TFJS[t.shape.length]
      return perm ? tf.transpose(raw, perm) : raw
    })
    const variable = tf.variable(value, t.trainable)
    value.dispose()
    vars.set(t.name, variable)
    if (t.trainable) trainable.push(variable)
  }
  const tracked = dict.get('bn1.num_batches_tracked')
  const batchesTracked = tracked?.dtype === 'I64' ? Number((tracked.data as BigInt64Array)[0]) : 0
  return { spec, vars, trainable, batchesTracked }
}

/**
 * Reads a checkpoint file (any format readCheckpoint takes) into a model of `spec`, or of the
 * architecture its names describe. Names, shapes and dtypes are checked against the ResNet before
 * any tensor's data is read, so a file that is no CIFAR ResNet costs no memory to refuse.
 * Throws CheckpointError for an unreadable file, WeightImportError for weights that do not fit.
 */
export function modelFromCheckpoint(bytes: Uint8Array, fileName?: string, spec?: ResNetSpec): Model {
  let fits: ResNetSpec | undefined = spec
  const check = (tensors: Tensors) => {
    if (spec) checkStateDict(tensors, spec)
    else fits = specForStateDict(tensors)
  }
  return modelFromStateDict(readCheckpoint(bytes, fileName, { check }), fits)
}

/** An independent copy (new variables) of a model: a run trains a copy, never the base. */
export function cloneModel(m: Model): Model {
  const vars = new Map<string, tf.Variable>()
  const trainable: tf.Variable[] = []
  for (const [name, v] of m.vars) {
    const copy = tf.variable(v, v.trainable)
    vars.set(name, copy)
    if (v.trainable) trainable.push(copy)
  }
  return { spec: m.spec, vars, trainable, batchesTracked: m.batchesTracked }
}

/**
 * The model's tensors in PyTorch names and layouts, with `num_batches_tracked` for every
 * BatchNorm, so `load_state_dict(strict=True)` of a torchvision-style module takes them.
 */
export async function stateDictFromModel(m: Model): Promise<StateDict> {
  const out: StateDict = new Map()
  for (const t of tensorSpecs(m.spec)) {
    const v = m.vars.get(t.name)!
    const perm = TO_TORCH[t.shape.length]
    const torchLayout = perm ? tf.transpose(v, perm) : v.clone()
    const data = (await torchLayout.data()) as Float32Array
    torchLayout.dispose()
    out.set(t.name, f32([...t.shape], new Float32Array(data)))
    if (t.name.endsWith('.running_var')) {
      const tracked: HostTensor = { dtype: 'I64', shape: [], data: BigInt64Array.of(BigInt(m.batchesTracked)) }
      out.set(t.name.replace(/running_var$/, 'num_batches_tracked'), tracked)
    }
  }
  return out
}
