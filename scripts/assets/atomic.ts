// Writes that never leave a half-written file where the app reads: bytes go to a hidden temp
// file beside the target (same filesystem, so the rename is atomic) and are renamed over it
// only once complete and flushed. Interrupted runs leave at most a hidden temp, swept next run.

import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

const TEMP_RE = /^\..+\.tmp-(\d+)-[0-9a-f]{8}$/

// Temp files this process is writing right now, so a Ctrl-C handler can remove them.
const live = new Set<string>()

export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
}

/**
 * Runs `fill(tmp)` to produce the file at a temp path, then renames it to `target`. If `fill`
 * throws, the temp is removed and `target` is left exactly as it was.
 */
export async function withTempFile(target: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(target), { recursive: true })
  const tmp = tempPathFor(target)
  live.add(tmp)
  try {
    await fill(tmp)
    await rename(tmp, target)
  } finally {
    live.delete(tmp)
    await rm(tmp, { force: true })
  }
}

export async function writeFileAtomic(target: string, bytes: Uint8Array): Promise<void> {
  await withTempFile(target, async (tmp) => {
    const fh = await open(tmp, 'w')
    try {
      await fh.writeFile(bytes)
      await fh.sync() // so a crash right after the rename cannot expose an empty file
    } finally {
      await fh.close()
    }
  })
}

/** Synchronously removes the temps still being written (for signal handlers). */
export function removeLiveTemps(): void {
  for (const tmp of live) rmSync(tmp, { force: true })
  live.clear()
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Deletes temps left in `dir` by runs that died (a living process may still be writing its own). */
export async function sweepStaleTemps(dir: string): Promise<string[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return []
  }
  const stale = names.filter((n) => {
    const m = TEMP_RE.exec(n)
    return m !== null && (Number(m[1]) === process.pid ? !live.has(join(dir, n)) : !processAlive(Number(m[1])))
  })
  await Promise.all(stale.map((n) => rm(join(dir, n), { force: true })))
  return stale
}
