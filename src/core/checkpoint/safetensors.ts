// Reader and writer for .safetensors: an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets}, __metadata__?}, then the raw little-endian tensor bytes.

import { CheckpointError, truncated } from './errors'
import { decodeLE, hostDtypeOf, ITEM_SIZE, type SourceDtype } from './dtypes'
import { checkBudget, loadPlan, type TensorPlan } from './plan'
import { numel, type HostTensor, type StateDict } from '../tensors'

/** Same cap as the reference implementation: a larger header is a corrupt or hostile file. */
export const MAX_HEADER_BYTES = 100_000_000

const READ_DTYPES: Readonly<Record<string, SourceDtype>> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
}

export interface SafetensorsFile {
  tensors: StateDict
  metadata: Record<string, string>
}

/** Tensors of a .safetensors file; floats become F32 and integers I64. */
export function parseSafetensors(bytes: Uint8Array): StateDict {
  return parseSafetensorsFile(bytes).tensors
}

/** Tensors and the free-form `__metadata__` strings of a .safetensors file. */
export function parseSafetensorsFile(bytes: Uint8Array): SafetensorsFile {
  const { plan, metadata } = planSafetensors(bytes)
  checkBudget(plan, 'the safetensors file')
  return { tensors: loadPlan(plan), metadata }
}

/** The header of a .safetensors file, checked against its data section; no tensor data is read. */
export function planSafetensors(bytes: Uint8Array): { plan: TensorPlan; metadata: Record<string, string> } {
  if (bytes.length < 8) throw truncated(`a safetensors file needs an 8-byte header length, this one has ${bytes.length} bytes`)
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true)
  if (headerLen > BigInt(MAX_HEADER_BYTES)) throw new CheckpointError(`the safetensors header claims ${headerLen} bytes, more than the ${MAX_HEADER_BYTES}-byte limit: the file is corrupt`)
  const dataStart = 8 + Number(headerLen)
  if (dataStart > bytes.length) throw truncated(`the safetensors header claims ${headerLen} bytes but only ${bytes.length - 8} follow`)
  const header = parseHeader(bytes.subarray(8, dataStart))
  const data = bytes.subarray(dataStart)

  const metadata: Record<string, string> = {}
  const ranges: { name: string; begin: number; end: number }[] = []
  const plan: TensorPlan = new Map()
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isObject(info) || !Object.values(info).every((v) => typeof v === 'string')) throw bad('__metadata__ must map names to strings')
      Object.assign(metadata, info)
      continue
    }
    if (!isObject(info)) throw bad(`the entry for tensor '${name}' is not an object`)
    const { dtype, shape, data_offsets: offsets } = info
    const source = typeof dtype === 'string' && Object.hasOwn(READ_DTYPES, dtype) ? READ_DTYPES[dtype] : undefined
    if (!source) throw new CheckpointError(`tensor '${name}' has dtype ${JSON.stringify(dtype)}, which is not supported (supported: ${Object.keys(READ_DTYPES).join(', ')})`)
    if (!isIndexArray(shape)) throw bad(`tensor '${name}' has shape ${JSON.stringify(shape)}, not a list of non-negative integers`)
    if (!isIndexArray(offsets) || offsets.length !== 2 || offsets[0] > offsets[1]) throw bad(`tensor '${name}' has data_offsets ${JSON.stringify(offsets)}, not [begin, end]`)
    const [begin, end] = offsets
    if (end > data.length) throw truncated(`tensor '${name}' has data_offsets [${begin}, ${end}] outside the ${data.length}-byte data section`)
    const n = numel(shape)
    const need = n * ITEM_SIZE[source]
    if (end - begin !== need) throw bad(`tensor '${name}' spans ${end - begin} bytes but ${dtype} [${shape}] needs ${need}`)
    ranges.push({ name, begin, end })
    const load = () => ({ dtype: hostDtypeOf(source), shape, data: decodeLE(data.subarray(begin, end), source) })
    plan.set(name, { dtype: hostDtypeOf(source), shape, numel: n, reads: { source: ranges[ranges.length - 1], elements: n }, load })
  }
  // Overlapping tensors would alias each other's bytes: a writer bug or a crafted file.
  const sorted = ranges.filter((r) => r.end > r.begin).sort((a, b) => a.begin - b.begin)
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) throw bad(`tensors '${sorted[i - 1].name}' and '${sorted[i].name}' overlap in the data section`)
  }
  return { plan, metadata }
}

/** Writes F32/I64 tensors in dict order, packed back to back; `metadata` goes to `__metadata__`. */
export function serializeSafetensors(dict: StateDict, metadata?: Record<string, string>): Uint8Array<ArrayBuffer> {
  const header: Record<string, unknown> = {}
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new CheckpointError(`metadata '${k}' must be a string`)
    header.__metadata__ = metadata
  }
  let offset = 0
  for (const [name, t] of dict) {
    if (name === '__metadata__') throw new CheckpointError("a tensor cannot be named '__metadata__'")
    checkTensor(name, t)
    const end = offset + t.data.byteLength
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, end] }
    offset = end
  }
  let json = new TextEncoder().encode(JSON.stringify(header))
  // pad with spaces (valid JSON whitespace) so the data section starts 8-byte aligned
  const padded = Math.ceil(json.length / 8) * 8
  if (padded !== json.length) json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(padded - json.length))
  const out = new Uint8Array(8 + padded + offset)
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true)
  out.set(json, 8)
  let p = 8 + padded
  for (const t of dict.values()) {
    // typed arrays are in host order, checked little-endian by the reader's decodeLE
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p)
    p += t.data.byteLength
  }
  return out
}

function checkTensor(name: string, t: HostTensor): void {
  const ok = (t.dtype === 'F32' && t.data instanceof Float32Array) || (t.dtype === 'I64' && t.data instanceof BigInt64Array)
  if (!ok) throw new CheckpointError(`tensor '${name}' is ${t.dtype} but holds a ${t.data.constructor.name}`)
  if (!isIndexArray(t.shape) || t.data.length !== numel(t.shape)) throw new CheckpointError(`tensor '${name}' has ${t.data.length} values but shape [${t.shape}]`)
}

function parseHeader(b: Uint8Array): Record<string, unknown> {
  let header: unknown
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b))
  } catch (e) {
    throw bad(`the header is not valid JSON (${(e as Error).message})`)
  }
  if (!isObject(header)) throw bad('the header is not a JSON object')
  return header
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isIndexArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0)
}

function bad(why: string): CheckpointError {
  return new CheckpointError(`the safetensors file is corrupt: ${why}`)
}
