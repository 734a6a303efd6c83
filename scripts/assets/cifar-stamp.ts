// Which CIFAR-10 batch files are already in place and right. A small stamp file remembers the
// size and mtime of every file whose md5 was checked, so a re-run need not re-hash 184 MB;
// any change to a file (size or mtime) sends it back through the full md5 check.

import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from './atomic'
import { type Log, errorText } from './errors'
import { hashFile } from './hash'
import { CIFAR_BATCHES, CIFAR_BATCH_BYTES, type CifarBatch } from './known'

export const STAMP_FILE = '.verified.json'

export type Stamp = Record<string, { size: number; mtimeMs: number; md5: string }>

export async function loadStamp(dir: string): Promise<Stamp> {
  try {
    const v: unknown = JSON.parse(await readFile(join(dir, STAMP_FILE), 'utf8'))
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Stamp) : {}
  } catch {
    return {} // no stamp or an unreadable one: everything gets hashed
  }
}

export async function saveStamp(dir: string, stamp: Stamp): Promise<void> {
  await writeFileAtomic(join(dir, STAMP_FILE), Buffer.from(JSON.stringify(stamp, null, 2) + '\n'))
}

/** Records that `file` in `dir`, as it is on disk now, has the official md5. */
export async function stampFile(dir: string, stamp: Stamp, b: CifarBatch): Promise<void> {
  const s = await stat(join(dir, b.file))
  stamp[b.file] = { size: s.size, mtimeMs: s.mtimeMs, md5: b.md5 }
}

/**
 * Splits the six batches into those already right on disk and those to (re)build. With
 * `verify`, every present file is re-hashed whatever the stamp says.
 */
export async function checkExisting(dir: string, stamp: Stamp, verify: boolean, log: Log): Promise<{ ok: CifarBatch[]; need: CifarBatch[] }> {
  const ok: CifarBatch[] = []
  const need: CifarBatch[] = []
  for (const b of CIFAR_BATCHES) {
    const path = join(dir, b.file)
    let size: number, mtimeMs: number
    try {
      ;({ size, mtimeMs } = await stat(path))
    } catch {
      delete stamp[b.file]
      need.push(b)
      continue
    }
    const seen = stamp[b.file]
    if (!verify && seen && seen.size === size && seen.mtimeMs === mtimeMs && seen.md5 === b.md5) {
      ok.push(b)
      continue
    }
    delete stamp[b.file]
    let md5 = ''
    try {
      md5 = size === CIFAR_BATCH_BYTES ? (await hashFile(path, ['md5'] as const)).md5 : ''
    } catch (e) {
      log(`  ${path}: unreadable (${errorText(e)}); rebuilding it`)
    }
    if (md5 === b.md5) {
      await stampFile(dir, stamp, b)
      ok.push(b)
    } else {
      if (size !== CIFAR_BATCH_BYTES) log(`  ${path} has ${size} bytes, expected ${CIFAR_BATCH_BYTES}; rebuilding it`)
      else if (md5) log(`  ${path} has md5 ${md5}, expected ${b.md5}; rebuilding it`)
      need.push(b)
    }
  }
  return { ok, need }
}
