// Entry point for loading weights: sniffs the file's format from its bytes (never its name), reads it
// with the matching pure-TS reader, and returns the bare state dict (no nesting, no `module.` prefix).

import { CheckpointError } from './errors'
import { checkBudget, loadPlan, metaOf, stripModulePrefix, type TensorMeta, type TensorPlan } from './plan'
import { planSafetensors } from './safetensors'
import { loadTorchLegacy } from './torch-legacy'
import { loadTorchZip } from './torch-zip'
import { planFromTorch } from './torch-tensors'
import type { StateDict } from '../tensors'

export { CheckpointError } from './errors'
export { MAX_ELEMENTS, type TensorMeta } from './plan'
export { parseSafetensors, parseSafetensorsFile, serializeSafetensors, type SafetensorsFile } from './safetensors'

export type CheckpointFormat = 'torch-zip' | 'torch-legacy' | 'safetensors'

/** The format the bytes are in, or undefined when they are none of the supported ones. */
export function detectCheckpointFormat(bytes: Uint8Array): CheckpointFormat | undefined {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b)
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'torch-zip'
  // PROTO 2, then LONG1 with 10 bytes: the start of torch's magic-number pickle
  if (starts(0x80, 0x02, 0x8a, 0x0a)) return 'torch-legacy'
  // a header length below 2^32 followed by '{' (random bytes pass this by chance about once in 2^40)
  const highWordZero = bytes[4] === 0 && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0
  if (bytes.length > 8 && highWordZero && bytes[8] === 0x7b) return 'safetensors'
  return undefined
}

export interface ReadOptions {
  /**
   * Runs on every tensor's name (no `module.` prefix), dtype and shape after the element budget and
   * before any tensor data is read or inflated; throw to refuse the file. Its errors pass through as
   * they are thrown.
   */
  check?: (tensors: ReadonlyMap<string, TensorMeta>) => void
}

/**
 * Reads a PyTorch checkpoint (zip or legacy torch.save) or a .safetensors file into a state dict.
 * `fileName` only labels error messages. The element budget, then `options.check` on names, dtypes
 * and shapes, run before any tensor data is built, so a small file claiming huge tensors costs no
 * memory. Throws CheckpointError, and nothing else (besides what `check` throws), on any bad input.
 */
export function readCheckpoint(bytes: Uint8Array, fileName?: string, options: ReadOptions = {}): StateDict {
  const label = fileName ? `'${fileName}'` : 'the file'
  const format = detectCheckpointFormat(bytes)
  if (!format) throw new CheckpointError(`${label} is not a PyTorch checkpoint or safetensors file: ${whatItIs(bytes)}`)
  const plan = guarded(label, format, () => {
    const p = stripModulePrefix(planOf(bytes, format, label))
    checkBudget(p, label)
    return p
  })
  options.check?.(metaOf(plan))
  return guarded(label, format, () => loadPlan(plan))
}

function planOf(bytes: Uint8Array, format: CheckpointFormat, label: string): TensorPlan {
  if (format === 'safetensors') return planSafetensors(bytes).plan
  return planFromTorch(format === 'torch-zip' ? loadTorchZip(bytes) : loadTorchLegacy(bytes), label)
}

function guarded<T>(label: string, format: CheckpointFormat, read: () => T): T {
  try {
    return read()
  } catch (e) {
    if (e instanceof CheckpointError) throw e
    // The readers bound-check their input; this net keeps the "only CheckpointError" promise if one slips.
    throw new CheckpointError(`${label} could not be read (${format}): ${(e as Error)?.message ?? String(e)}`)
  }
}

function whatItIs(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'it is empty (0 bytes)'
  const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ')
  if (bytes[0] === 0x80) return `it is a Python pickle without torch.save's magic number (starts ${head})`
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'it is gzip-compressed; decompress it first'
  if (bytes[0] === 0x3c) return 'it looks like an HTML or XML page (a failed download?)'
  return `unrecognised content (${bytes.length} bytes, starting ${head})`
}
