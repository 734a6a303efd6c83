// Shared bits for the setup tests: temp folders that clean up after themselves, and file listings.

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SetupError } from '../../scripts/assets/errors'

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)))

const made: string[] = []

export function tempDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `advtune-${tag}-`))
  made.push(d)
  return d
}

export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true })
}

/** Every file under `dir` (hidden ones included), relative paths, sorted; [] if `dir` is absent. */
export function listFiles(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), rel + e.name + '/')
      else out.push(rel + e.name)
    }
  }
  try {
    statSync(dir)
  } catch {
    return out
  }
  walk(dir, '')
  return out.sort()
}

export function mtimes(dir: string, files: readonly string[]): number[] {
  return files.map((f) => statSync(join(dir, f)).mtimeMs)
}

/** The SetupError a setup step fails with; anything else (or success) fails the test. */
export async function setupError(run: Promise<unknown>): Promise<SetupError> {
  try {
    await run
  } catch (e) {
    if (e instanceof SetupError) return e
    throw e
  }
  throw new Error('expected a SetupError')
}
