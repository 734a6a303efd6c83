// A checkpoint's tensors described before any of their data is read: name, dtype, shape and how much
// file data building each one reads. The readers return such a plan; the element budget and the
// caller's own checks run on it, and only then is any data decoded. A small file can describe
// enormous tensors (zero strides, over-long storages, huge shapes), so nothing is allocated for a
// tensor until the whole plan has passed.

import { CheckpointError } from './errors'
import type { HostDtype, HostTensor, StateDict } from '../tensors'

/**
 * The most tensor elements a checkpoint may hold, and the most storage elements building them may
 * read: 2^23, about ten times ResNet-56's 0.86 million parameters and buffers (32 MiB as float32).
 */
export const MAX_ELEMENTS = 2 ** 23

/** What a checkpoint says about a tensor before its data is read. */
export interface TensorMeta {
  dtype: HostDtype
  shape: number[]
}

export interface PlannedTensor extends TensorMeta {
  /** The product of the shape; a plain number, as a hostile shape can exceed 2^53. */
  numel: number
  /**
   * The stored data building it reads: `elements` of `source` (a storage, or the file). Tensors
   * sharing a source read it once, so a source counts once, with its largest read.
   */
  reads: { source: object; elements: number }
  /** Decodes the data into a fresh array; call only once the plan has passed its checks. */
  load(): HostTensor
}

/** Tensor name → its description, in the checkpoint's order. */
export type TensorPlan = Map<string, PlannedTensor>

const count = (n: number) => (Number.isSafeInteger(n) ? String(n) : n.toExponential(2))

/** Refuses a plan that would build or read more than MAX_ELEMENTS elements, before anything is read. */
export function checkBudget(plan: TensorPlan, label: string): void {
  let total = 0
  let largest: [string, PlannedTensor] | undefined
  const reads = new Map<object, number>()
  for (const entry of plan) {
    const t = entry[1]
    total += t.numel
    if (!largest || t.numel > largest[1].numel) largest = entry
    reads.set(t.reads.source, Math.max(reads.get(t.reads.source) ?? 0, t.reads.elements))
  }
  const limit = `more than the ${MAX_ELEMENTS} this reader accepts (ResNet-56 has about 0.86 million)`
  const verdict = 'the file is damaged, hostile, or not a CIFAR ResNet checkpoint'
  if (total > MAX_ELEMENTS && largest) {
    const [name, t] = largest
    throw new CheckpointError(`refused to load ${label}: its tensors claim ${count(total)} elements, ${limit}; the largest, '${name}', is [${t.shape}] (${count(t.numel)} elements): ${verdict}`)
  }
  let read = 0
  for (const n of reads.values()) read += n
  if (read > MAX_ELEMENTS) throw new CheckpointError(`refused to load ${label}: building its tensors would read ${count(read)} stored elements, ${limit}: ${verdict}`)
}

/** Names, dtypes and shapes only, for checks that must run before any data is read. */
export function metaOf(plan: TensorPlan): Map<string, TensorMeta> {
  return new Map([...plan].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape }]))
}

export function loadPlan(plan: TensorPlan): StateDict {
  const sd: StateDict = new Map()
  for (const [k, t] of plan) sd.set(k, t.load())
  return sd
}

/** Drops the `module.` prefix nn.DataParallel adds, when every name carries it. */
export function stripModulePrefix<T>(m: Map<string, T>): Map<string, T> {
  const keys = [...m.keys()]
  if (!keys.length || !keys.every((k) => k.startsWith('module.'))) return m
  return new Map([...m].map(([k, v]) => [k.slice('module.'.length), v]))
}
