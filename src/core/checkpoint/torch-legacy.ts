// Reader for the legacy (non-zip) torch.save format, e.g. the akamaster CIFAR ResNet .th files:
// magic-number, protocol and sys-info pickles, the object pickle, a list of storage keys, then
// each storage as an 8-byte little-endian element count followed by its raw little-endian bytes.

import { CheckpointError, truncated } from './errors'
import { ITEM_SIZE } from './dtypes'
import { unpickle } from './pickle'
import { StorageRef, storageFromPid, TORCH_GLOBALS } from './torch-objects'

export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn
const PROTOCOL_VERSION = 1001
const NO_GLOBALS: ReadonlyMap<string, unknown> = new Map()

/** Unpickles a legacy checkpoint; tensors in the result are TensorRefs whose storages know where their bytes are. */
export function loadTorchLegacy(bytes: Uint8Array): unknown {
  const magic = unpickle(bytes, 0, { globals: NO_GLOBALS, what: 'the magic-number pickle' })
  if (magic.value !== LEGACY_MAGIC) throw new CheckpointError('not a legacy torch.save file: its first pickle is not the torch magic number')
  const protocol = unpickle(bytes, magic.end, { globals: NO_GLOBALS, what: 'the protocol-version pickle' })
  if (protocol.value !== PROTOCOL_VERSION) throw new CheckpointError(`unsupported legacy torch.save protocol version ${String(protocol.value)} (expected ${PROTOCOL_VERSION})`)
  const sysInfo = unpickle(bytes, protocol.end, { globals: NO_GLOBALS, what: 'the sys-info pickle' })
  if (!(sysInfo.value instanceof Map) || sysInfo.value.get('little_endian') !== true) {
    throw new CheckpointError('unsupported checkpoint: it was saved on a big-endian machine (or its sys-info is damaged)')
  }

  const storages = new Map<string, StorageRef>()
  const object = unpickle(bytes, sysInfo.end, {
    globals: TORCH_GLOBALS,
    persistentLoad: (pid) => storageFromPid(pid, storages),
    what: 'the object pickle',
  })
  const keyList = unpickle(bytes, object.end, { globals: NO_GLOBALS, what: 'the storage-key pickle' })
  if (!Array.isArray(keyList.value) || !keyList.value.every((k) => typeof k === 'string')) {
    throw new CheckpointError('the checkpoint is corrupt: the storage-key pickle is not a list of strings')
  }

  // Storages follow in the order of the key list, each as <u64 numel><numel * item size bytes>.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let pos = keyList.end
  for (const key of keyList.value as string[]) {
    const s = storages.get(key)
    if (!s) throw new CheckpointError(`the checkpoint is corrupt: it stores data for storage '${key}', which no tensor uses`)
    if (pos + 8 > bytes.length) throw truncated(`the data of storage '${key}' is missing at byte ${pos} of ${bytes.length}`)
    const count = view.getBigUint64(pos, true)
    if (count !== BigInt(s.numel)) throw new CheckpointError(`the checkpoint is corrupt: storage '${key}' should hold ${s.numel} elements but its data says ${count}`)
    const nbytes = s.numel * ITEM_SIZE[s.type.dtype]
    pos += 8
    if (pos + nbytes > bytes.length) throw truncated(`storage '${key}' needs ${nbytes} bytes at byte ${pos} but the file ends at ${bytes.length}`)
    const stored = bytes.subarray(pos, pos + nbytes)
    s.data = { byteLength: nbytes, read: (n) => stored.subarray(0, n) }
    pos += nbytes
  }
  for (const s of storages.values()) {
    if (!s.data) throw new CheckpointError(`the checkpoint is corrupt: storage '${s.key}' has no data`)
  }
  return object.value
}
