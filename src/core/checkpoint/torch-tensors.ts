// Picks the state dict out of whatever dictionary nesting the checkpoint was saved with, describes its
// tensors (storage + offset + strides) as a plan, and builds contiguous HostTensors from that plan.

import { CheckpointError } from './errors'
import { decodeLE, hostDtypeOf, ITEM_SIZE } from './dtypes'
import { describe } from './pickle'
import { checkBudget, loadPlan, type PlannedTensor, type TensorPlan } from './plan'
import { lastElement, StorageRef, TensorRef } from './torch-objects'
import type { HostTensor, StateDict } from '../tensors'

/** Describes a tensor without reading its data; refuses one that reaches past its storage's data. */
function planTensor(t: TensorRef, name: string, fetch: (s: StorageRef) => Uint8Array): PlannedTensor {
  const s = t.storage
  const size = ITEM_SIZE[s.type.dtype]
  const numel = t.shape.reduce((a, d) => a * d, 1)
  const last = lastElement(t)
  if (last >= s.numel) {
    throw new CheckpointError(`the checkpoint is corrupt: tensor '${name}' (size [${t.shape}], stride [${t.stride}], offset ${t.offset}) reaches past the end of its storage of ${s.numel} elements`)
  }
  if (!s.data) throw new CheckpointError(`the checkpoint is corrupt: the data of storage '${s.key}' is missing`)
  if (s.data.byteLength < s.numel * size) {
    throw new CheckpointError(
      `the checkpoint is truncated or corrupt: storage '${s.key}' claims ${s.numel} ${s.type.dtype} elements (${s.numel * size} bytes) but the file holds ${s.data.byteLength} bytes for it`,
    )
  }
  const dtype = hostDtypeOf(s.type.dtype)
  return {
    dtype,
    shape: t.shape,
    numel,
    // a storage is read from its start up to the furthest element any tensor uses
    reads: { source: s, elements: last + 1 },
    load: () => materialise(t, numel, last, fetch(s)),
  }
}

/** Copies the tensor's elements out of its storage's bytes in row-major order, whatever its strides. */
function materialise(t: TensorRef, n: number, last: number, bytes: Uint8Array): HostTensor {
  const size = ITEM_SIZE[t.storage.type.dtype]
  const dtype = hostDtypeOf(t.storage.type.dtype)
  if (n === 0) return { dtype, shape: t.shape, data: dtype === 'F32' ? new Float32Array(0) : new BigInt64Array(0) }
  // decode only the elements from the tensor's first to its last, never the whole storage
  const span = decodeLE(bytes.subarray(t.offset * size, (last + 1) * size), t.storage.type.dtype)
  if (isContiguous(t.shape, t.stride)) return { dtype, shape: t.shape, data: span }
  const out = span instanceof Float32Array ? new Float32Array(n) : new BigInt64Array(n)
  // odometer over the index space: `at` tracks the span position of index `idx`
  const idx = new Array<number>(t.shape.length).fill(0)
  let at = 0
  for (let i = 0; i < n; i++) {
    out[i] = span[at]
    for (let d = t.shape.length - 1; d >= 0; d--) {
      if (++idx[d] < t.shape[d]) {
        at += t.stride[d]
        break
      }
      at -= (t.shape[d] - 1) * t.stride[d]
      idx[d] = 0
    }
  }
  return { dtype, shape: t.shape, data: out }
}

/** Row-major contiguity; strides of size-1 dimensions do not matter (torch leaves them arbitrary). */
function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false
    expected *= shape[d]
  }
  return true
}

// Keys under which training scripts commonly nest the weights, most usual first.
const NESTING_KEYS = ['state_dict', 'model_state_dict', 'model', 'net', 'network', 'module', 'weights']
// How deep to look for the weights: training scripts nest them one or two levels down.
const MAX_DEPTH = 4

const LAYER_NAME = /(^|\.)layer\d+\./
const PARAMETER_NAME = /(^|\.)(weight|bias|running_mean|running_var)$/

interface Candidate {
  dict: Map<unknown, unknown>
  path: string[]
  rank: number[]
}

/**
 * The dictionary of weights inside an unpickled torch.save object. Training scripts save the weights
 * beside other things, some of them tensors too (a best accuracy as a 0-d tensor, optimizer
 * momenta), so the first dictionary holding a tensor is not necessarily the model: every dictionary
 * holding tensors competes, ranked by ResNet block names ('layer1.0.conv1.weight'), then parameter
 * names, then being reached through the usual nesting keys, then the number of non-scalar tensors.
 */
function findStateDict(root: unknown, label: string): Candidate {
  if (!(root instanceof Map)) {
    const what = root instanceof TensorRef ? 'a single tensor' : describe(root)
    throw new CheckpointError(`${label} holds ${what} instead of a dictionary of tensors`)
  }
  const seen = new Set<unknown>()
  let best: Candidate | undefined
  const queue: { dict: Map<unknown, unknown>; path: string[] }[] = [{ dict: root, path: [] }]
  for (let next = 0; next < queue.length; next++) {
    const { dict, path } = queue[next]
    if (seen.has(dict)) continue // the pickle memo can make a dictionary contain itself
    seen.add(dict)
    let layer = 0,
      parameter = 0,
      nonScalar = 0,
      tensors = 0
    for (const [k, v] of dict) {
      if (v instanceof TensorRef) {
        tensors++
        if (typeof k !== 'string') continue
        if (LAYER_NAME.test(k)) layer++
        if (PARAMETER_NAME.test(k)) parameter++
        if (v.shape.length) nonScalar++
      } else if (v instanceof Map && path.length < MAX_DEPTH) {
        queue.push({ dict: v, path: [...path, typeof k === 'string' ? k : String(k)] })
      }
    }
    if (!tensors) continue
    const known = path.every((k) => NESTING_KEYS.includes(k)) ? 1 : 0
    const rank = [layer ? 1 : 0, parameter ? 1 : 0, known, nonScalar, -path.length]
    if (!best || isBetter(rank, best.rank)) best = { dict, path, rank }
  }
  if (!best) throw new CheckpointError(`${label} holds no tensors (keys: ${[...root.keys()].map(String).join(', ') || 'none'})`)
  return best
}

function isBetter(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i]
  return false
}

/**
 * Describes the state dict inside an unpickled torch.save object without reading any tensor data:
 * shapes, dtypes and what each tensor reads are known, and storages are read only by `load`.
 */
export function planFromTorch(root: unknown, label: string): TensorPlan {
  const { dict, path } = findStateDict(root, label)
  // A storage is read (a zip entry inflated) once, up to the furthest element any tensor uses.
  const need = new Map<StorageRef, number>()
  const fetched = new Map<StorageRef, Uint8Array>()
  const fetch = (s: StorageRef) => {
    let b = fetched.get(s)
    if (!b) fetched.set(s, (b = s.data!.read(need.get(s)! * ITEM_SIZE[s.type.dtype])))
    return b
  }
  const plan: TensorPlan = new Map()
  for (const [k, v] of dict) {
    // other values (an epoch counter, a flag) are not weights and are left out
    if (!(v instanceof TensorRef)) continue
    if (typeof k !== 'string') throw new CheckpointError(`${label} has a tensor under a non-string key (${describe(k)})${at(path)}`)
    const t = planTensor(v, k, fetch)
    need.set(v.storage, Math.max(need.get(v.storage) ?? 0, t.reads.elements))
    plan.set(k, t)
  }
  return plan
}

/** The state dict inside an unpickled torch.save object, refused before any data is read if it is too large. */
export function stateDictFromTorch(root: unknown, label: string): StateDict {
  const plan = planFromTorch(root, label)
  checkBudget(plan, label)
  return loadPlan(plan)
}

function at(path: string[]): string {
  return path.length ? ` under '${path.join("' → '")}'` : ''
}

export { stripModulePrefix } from './plan'
