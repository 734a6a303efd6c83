// The Python globals a torch.save pickle may name (the whitelist), and the placeholders they build:
// storages are referenced by key while the pickle is read; their bytes are attached afterwards.

import { CheckpointError } from './errors'
import { PyCallable, PyTuple, TORCH_OBJECT, describe } from './pickle'
import type { SourceDtype } from './dtypes'

/** A torch storage class such as torch.FloatStorage; fixes the element type of the bytes. */
export class StorageType {
  readonly [TORCH_OBJECT] = true
  constructor(
    readonly name: string,
    readonly dtype: SourceDtype,
  ) {}
}

/** Where a storage's bytes are: `byteLength` as the file declares it; `read(n)` gives the first n. */
export interface StorageData {
  byteLength: number
  read(n: number): Uint8Array
}

/**
 * One storage of the checkpoint: `numel` elements. The reader attaches where its bytes are; they are
 * read (a zip entry inflated) only when a tensor is built from it.
 */
export class StorageRef {
  readonly [TORCH_OBJECT] = true
  data?: StorageData
  constructor(
    readonly key: string,
    readonly type: StorageType,
    readonly numel: number,
  ) {}
}

/** A window of a storage (legacy files only: pre-1.0 torch could save views of storages). */
export class StorageView {
  readonly [TORCH_OBJECT] = true
  constructor(
    readonly root: StorageRef,
    readonly offset: number,
    readonly numel: number,
  ) {}
}

/** A tensor as torch's rebuild functions describe it: elements of a storage picked by offset and strides. */
export class TensorRef {
  readonly [TORCH_OBJECT] = true
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

const STORAGE_TYPES: [string, SourceDtype][] = [
  ['FloatStorage', 'float32'],
  ['DoubleStorage', 'float64'],
  ['HalfStorage', 'float16'],
  ['BFloat16Storage', 'bfloat16'],
  ['LongStorage', 'int64'],
  ['IntStorage', 'int32'],
  ['ShortStorage', 'int16'],
  ['CharStorage', 'int8'],
  ['ByteStorage', 'uint8'],
  ['BoolStorage', 'bool'],
]

/** Reads a non-negative integer argument of a torch rebuild call. */
export function asIndex(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new CheckpointError(`the checkpoint is corrupt: ${what} is ${describe(v)} (${String(v)}), not a non-negative integer`)
  return v
}

function asIndexTuple(v: unknown, what: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : undefined
  if (!items) throw new CheckpointError(`the checkpoint is corrupt: ${what} is ${describe(v)}, not a tuple of integers`)
  return items.map((x, i) => asIndex(x, `${what}[${i}]`))
}

/** torch._utils._rebuild_tensor(_v2): (storage, storage_offset, size, stride, requires_grad?, hooks?, metadata?) */
function rebuildTensor(args: unknown[]): TensorRef {
  if (args.length < 4) throw new CheckpointError(`the checkpoint is corrupt: a tensor is rebuilt from ${args.length} arguments, expected at least 4`)
  const [storage, offset, size, stride] = args
  const shape = asIndexTuple(size, 'a tensor size'),
    strides = asIndexTuple(stride, 'a tensor stride')
  if (shape.length !== strides.length) throw new CheckpointError(`the checkpoint is corrupt: a tensor has size [${shape}] but stride [${strides}]`)
  const start = asIndex(offset, 'a storage offset')
  if (storage instanceof StorageRef) return new TensorRef(storage, start, shape, strides)
  if (storage instanceof StorageView) {
    const t = new TensorRef(storage.root, storage.offset + start, shape, strides)
    if (lastElement(t) >= storage.offset + storage.numel) throw new CheckpointError(`the checkpoint is corrupt: a tensor reaches past the end of its storage view '${storage.root.key}'`)
    return t
  }
  throw new CheckpointError(`the checkpoint is corrupt: a tensor is rebuilt from ${describe(storage)} instead of a storage`)
}

/** Index (in storage elements) of the tensor's last element; -1 for an empty tensor. */
export function lastElement(t: TensorRef): number {
  if (t.shape.some((d) => d === 0)) return -1
  return t.shape.reduce((acc, d, i) => acc + (d - 1) * t.stride[i], t.offset)
}

/** _rebuild_parameter(data, requires_grad, hooks[, state]) and _rebuild_from_type_v2(func, type, args, state) */
function rebuildParameter(args: unknown[]): unknown {
  if (!(args[0] instanceof TensorRef)) throw new CheckpointError(`the checkpoint is corrupt: a parameter wraps ${describe(args[0])} instead of a tensor`)
  return args[0]
}

function rebuildFromType(args: unknown[]): unknown {
  const [fn, , fnArgs] = args
  // only tensor rebuild functions are accepted here; the subclass (Parameter, Tensor) is just a tag
  if (!(fn instanceof PyCallable) || !fn.name.startsWith('torch._utils._rebuild_') || !(fnArgs instanceof PyTuple)) {
    throw new CheckpointError(`the checkpoint is corrupt: _rebuild_from_type_v2 is given ${describe(fn)}`)
  }
  return fn.call(fnArgs.items)
}

const typeTag = (name: string) =>
  new PyCallable(name, () => {
    throw new CheckpointError(`refused to load: the checkpoint constructs a '${name}' object directly; only tensors and dictionaries are allowed`)
  })

const callables = [
  new PyCallable('collections.OrderedDict', (args) => {
    if (args.length) throw new CheckpointError('the checkpoint is corrupt: OrderedDict is built with arguments')
    return new Map()
  }),
  new PyCallable('torch._utils._rebuild_tensor', rebuildTensor),
  new PyCallable('torch._utils._rebuild_tensor_v2', rebuildTensor),
  new PyCallable('torch._utils._rebuild_parameter', rebuildParameter),
  new PyCallable('torch._utils._rebuild_parameter_with_state', rebuildParameter),
  new PyCallable('torch._tensor._rebuild_from_type_v2', rebuildFromType),
  typeTag('torch.Tensor'),
  typeTag('torch.nn.parameter.Parameter'),
]

/** Everything a torch.save pickle of tensors and dicts may reference. Nothing here runs Python code. */
export const TORCH_GLOBALS: ReadonlyMap<string, unknown> = new Map<string, unknown>([
  ...callables.map((c): [string, unknown] => [c.name, c]),
  ...STORAGE_TYPES.map(([n, d]): [string, unknown] => [`torch.${n}`, new StorageType(n, d)]),
])

/**
 * Parses a persistent id ('storage', storage_type, key, location, numel[, view_metadata]) into the
 * storage it names, creating it on first sight. `viewMetadata` (legacy only) is (view_key, offset, numel).
 */
export function storageFromPid(pid: unknown, storages: Map<string, StorageRef>): StorageRef | StorageView {
  const items = pid instanceof PyTuple ? pid.items : undefined
  if (!items || items[0] !== 'storage' || items.length < 5) throw new CheckpointError(`the checkpoint is corrupt: unexpected persistent id (${describe(pid)})`)
  const [, type, key, , numelArg, viewMetadata] = items
  if (!(type instanceof StorageType)) throw new CheckpointError(`the checkpoint is corrupt: a storage has type ${describe(type)}`)
  if (typeof key !== 'string') throw new CheckpointError(`the checkpoint is corrupt: a storage key is ${describe(key)}`)
  const numel = asIndex(numelArg, `the size of storage '${key}'`)
  let root = storages.get(key)
  if (!root) storages.set(key, (root = new StorageRef(key, type, numel)))
  else if (root.type !== type || root.numel !== numel) throw new CheckpointError(`the checkpoint is corrupt: storage '${key}' is described in two different ways`)
  if (viewMetadata === undefined || viewMetadata === null) return root
  const view = viewMetadata instanceof PyTuple ? viewMetadata.items : []
  if (view.length !== 3) throw new CheckpointError(`the checkpoint is corrupt: storage '${key}' has malformed view metadata`)
  const offset = asIndex(view[1], 'a storage view offset'),
    size = asIndex(view[2], 'a storage view size')
  if (offset + size > numel) throw new CheckpointError(`the checkpoint is corrupt: a view of storage '${key}' reaches past its end`)
  return new StorageView(root, offset, size)
}
