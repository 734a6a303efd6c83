// Reader for the zip format torch.save writes since PyTorch 1.6 (.pt/.pth): <folder>/data.pkl holds
// the object pickle, <folder>/data/<key> the raw little-endian bytes of each storage.

import { CheckpointError } from './errors'
import { unpickle } from './pickle'
import { StorageRef, storageFromPid, TORCH_GLOBALS } from './torch-objects'
import { readZipDirectory, zipEntryData, zipEntryPrefix } from './zip'

// An object pickle grows with the number of objects saved (about a hundred bytes per tensor), so a
// checkpoint's stays far below this; a larger one is refused before it is inflated.
export const MAX_PICKLE_BYTES = 16 << 20

/**
 * Unpickles a zip checkpoint; tensors in the result are TensorRefs whose storages know their zip
 * entries. Storage entries are not read here: only building a tensor inflates (part of) one.
 */
export function loadTorchZip(bytes: Uint8Array): unknown {
  const entries = readZipDirectory(bytes)
  // The folder is named after the file torch saved to (archive/, resnet20/, ...): find it by data.pkl.
  const pkl = [...entries.keys()].filter((n) => n === 'data.pkl' || n.endsWith('/data.pkl')).sort((a, b) => a.length - b.length)[0]
  if (!pkl) throw new CheckpointError('this zip archive is not a PyTorch checkpoint: it has no data.pkl')
  const folder = pkl.slice(0, -'data.pkl'.length)

  const order = entries.get(`${folder}byteorder`)
  if (order) {
    const text = new TextDecoder().decode(zipEntryData(bytes, order, 64)).trim()
    if (text !== 'little') throw new CheckpointError(`unsupported checkpoint: its storages are stored in '${text}' byte order`)
  }

  const storages = new Map<string, StorageRef>()
  const persistentLoad = (pid: unknown) => {
    const s = storageFromPid(pid, storages)
    if (s instanceof StorageRef && !s.data) {
      const entry = entries.get(`${folder}data/${s.key}`)
      if (!entry) throw new CheckpointError(`the checkpoint is truncated or corrupt: the data of storage '${s.key}' is missing from the archive`)
      s.data = { byteLength: entry.size, read: (n) => zipEntryPrefix(bytes, entry, n) }
    }
    return s
  }
  return unpickle(zipEntryData(bytes, entries.get(pkl)!, MAX_PICKLE_BYTES), 0, { globals: TORCH_GLOBALS, persistentLoad, what: pkl }).value
}
