// Turns torch tensor descriptions (storage + offset + strides) into contiguous HostTensors, and picks
// the state dict out of whatever dictionary nesting the checkpoint was saved with.

import { CheckpointError } from './errors'
import { decodeLE, ITEM_SIZE } from './dtypes'
import { describe } from './pickle'
import { lastElement, StorageRef, TensorRef } from './torch-objects'
import { numel, type HostTensor, type StateDict } from '../tensors'

/** 2^28 elements = 1 GiB of float32, far beyond any CIFAR model. */
export const MAX_ELEMENTS = 2 ** 28

// Storages are shared by tensors that are views of one another: decode each once.
const decoded = new WeakMap<StorageRef, Float32Array | BigInt64Array>()

function decodeStorage(s: StorageRef): Float32Array | BigInt64Array {
  let d = decoded.get(s)
  if (!d) {
    if (!s.bytes) throw new CheckpointError(`the checkpoint is corrupt: the data of storage '${s.key}' is missing`)
    const nbytes = s.numel * ITEM_SIZE[s.type.dtype]
    if (s.bytes.length < nbytes) throw new CheckpointError(`the checkpoint is truncated or corrupt: storage '${s.key}' holds ${s.bytes.length} bytes, its ${s.numel} ${s.type.dtype} elements need ${nbytes}`)
    d = decodeLE(s.bytes.subarray(0, nbytes), s.type.dtype)
    decoded.set(s, d)
  }
  return d
}

/** Copies the tensor's elements out of its storage in row-major order, whatever its strides. */
export function materialise(t: TensorRef, name: string): HostTensor {
  const src = decodeStorage(t.storage)
  const n = numel(t.shape)
  if (lastElement(t) >= t.storage.numel) {
    throw new CheckpointError(`the checkpoint is corrupt: tensor '${name}' (size [${t.shape}], stride [${t.stride}], offset ${t.offset}) reaches past the end of its storage of ${t.storage.numel} elements`)
  }
  // A zero stride lets a tiny storage describe a gigantic tensor; refuse before allocating it.
  if (n > MAX_ELEMENTS) throw new CheckpointError(`tensor '${name}' has ${n} elements, more than the ${MAX_ELEMENTS} this reader allows`)
  const dtype = src instanceof Float32Array ? 'F32' : 'I64'
  if (n === 0) return { dtype, shape: t.shape, data: dtype === 'F32' ? new Float32Array(0) : new BigInt64Array(0) }
  if (isContiguous(t.shape, t.stride)) return { dtype, shape: t.shape, data: src.slice(t.offset, t.offset + n) }
  const out = src instanceof Float32Array ? new Float32Array(n) : new BigInt64Array(n)
  // odometer over the index space: `at` tracks the storage position of index `idx`
  const idx = new Array<number>(t.shape.length).fill(0)
  let at = t.offset
  for (let i = 0; i < n; i++) {
    out[i] = src[at]
    for (let d = t.shape.length - 1; d >= 0; d--) {
      if (++idx[d] < t.shape[d]) { at += t.stride[d]; break }
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

// Keys under which training scripts commonly nest the weights, in the order they are tried.
const NESTING_KEYS = ['state_dict', 'model_state_dict', 'model', 'net']

/** Finds the dict of tensors inside an unpickled torch.save object and materialises it. */
export function stateDictFromTorch(root: unknown, label: string): StateDict {
  let node = root
  const path: string[] = []
  for (;;) {
    if (!(node instanceof Map)) {
      const what = node instanceof TensorRef ? 'a single tensor' : describe(node)
      throw new CheckpointError(`${label} holds ${what}${at(path)} instead of a dictionary of tensors`)
    }
    if ([...node.values()].some((v) => v instanceof TensorRef)) break
    const key = NESTING_KEYS.find((k) => node instanceof Map && node.get(k) instanceof Map)
    if (!key) throw new CheckpointError(`${label} holds no tensors${at(path)} (keys: ${[...node.keys()].map(String).join(', ') || 'none'})`)
    path.push(key)
    node = node.get(key)
  }
  const sd: StateDict = new Map()
  for (const [k, v] of node) {
    // other values (an epoch counter, a flag) are not weights and are left out
    if (!(v instanceof TensorRef)) continue
    if (typeof k !== 'string') throw new CheckpointError(`${label} has a tensor under a non-string key (${describe(k)})`)
    sd.set(k, materialise(v, k))
  }
  return sd
}

function at(path: string[]): string {
  return path.length ? ` under '${path.join("' → '")}'` : ''
}

/** Drops the `module.` prefix nn.DataParallel adds, when every name carries it. */
export function stripModulePrefix(sd: StateDict): StateDict {
  const keys = [...sd.keys()]
  if (!keys.length || !keys.every((k) => k.startsWith('module.'))) return sd
  return new Map([...sd].map(([k, v]) => [k.slice('module.'.length), v]))
}
