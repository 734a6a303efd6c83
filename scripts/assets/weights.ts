// Puts the four pretrained CIFAR ResNet checkpoints under <public>/weights with their original
// hashed names, their BSD-2 license, and manifest.json for the app. Each checkpoint comes from a
// local mirror or the official URL and must match its hard-coded sha256 before anything is written.

import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { sweepStaleTemps, writeFileAtomic } from './atomic'
import { downloadBytes } from './download'
import { type Log, SetupError, errorText } from './errors'
import { hashBytes } from './hash'
import { CHECKPOINTS, type Checkpoint, LICENSE_FILE, LICENSE_TEXT, MIRROR_SUBDIR, WEIGHTS_BASE_URL, WEIGHTS_SUBDIR } from './known'

export const MANIFEST_FILE = 'manifest.json'

export interface WeightsOptions {
  publicDir: string // the files go to <publicDir>/weights
  pretrainedDir: string | null // local mirror (ADVTUNE_PRETRAINED_DIR or ../shared/pretrained); null: none
  offline: boolean // ADVTUNE_OFFLINE=1: never try the official URLs
  log: Log
}

/** One line of public/weights/manifest.json (the file is a JSON array of these). */
export interface ManifestEntry {
  model: string // 'resnet20' …
  file: string // name under public/weights
  sha256: string
  testAccuracy: number // % on the 10,000 CIFAR-10 test images, standard (non-adversarial) training
  params: number
  bytes: number
}

export interface WeightsResult {
  dir: string
  written: string[]
  kept: string[]
}

export function manifestEntries(): ManifestEntry[] {
  return CHECKPOINTS.map(({ model, file, sha256, testAccuracy, params, bytes }) => ({ model, file, sha256, testAccuracy, params, bytes }))
}

/** ADVTUNE_PRETRAINED_DIR when set, else ../shared/pretrained beside the repo when it exists. */
export function resolvePretrainedDir(repoRoot: string, env: NodeJS.ProcessEnv): string | null {
  if (env.ADVTUNE_PRETRAINED_DIR) return resolve(env.ADVTUNE_PRETRAINED_DIR)
  const shared = resolve(repoRoot, '..', 'shared', 'pretrained')
  return existsSync(shared) ? shared : null
}

export function weightsUrl(c: Checkpoint): string {
  return WEIGHTS_BASE_URL + c.file
}

/** Why `bytes` is not checkpoint `c`, or null when it is. */
export function checkpointProblem(c: Checkpoint, bytes: Uint8Array, from: string): string | null {
  const sha = hashBytes(bytes, 'sha256')
  if (sha === c.sha256) return null
  return `${from} has sha256 ${sha} (${bytes.length} bytes), expected ${c.sha256} (${c.bytes} bytes)`
}

async function readIfExists(path: string): Promise<Uint8Array | null> {
  try {
    return await readFile(path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw e
  }
}

/** The verified bytes of `c` from the mirror or the official URL, or the reasons it failed. */
async function obtainCheckpoint(c: Checkpoint, o: WeightsOptions): Promise<{ bytes: Uint8Array; from: string } | { problems: string[] }> {
  const problems: string[] = []
  if (o.pretrainedDir) {
    const candidates = [join(o.pretrainedDir, MIRROR_SUBDIR, c.file), join(o.pretrainedDir, c.file)]
    let found = false
    for (const path of candidates) {
      const bytes = await readIfExists(path)
      if (!bytes) continue
      found = true
      const problem = checkpointProblem(c, bytes, path)
      if (!problem) return { bytes, from: path }
      problems.push(problem)
      break // a damaged mirror file is reported, not papered over by a second copy beside it
    }
    if (!found) problems.push(`not in the local mirror (looked for ${candidates.join(' and ')})`)
  } else problems.push('no local mirror (ADVTUNE_PRETRAINED_DIR unset and ../shared/pretrained absent)')
  const url = weightsUrl(c)
  if (o.offline) {
    problems.push(`download of ${url} skipped (ADVTUNE_OFFLINE=1)`)
    return { problems }
  }
  o.log(`  downloading ${url}…`)
  try {
    return { bytes: await downloadBytes(url, { algo: 'sha256', hex: c.sha256, bytes: c.bytes }), from: url }
  } catch (e) {
    problems.push(errorText(e))
    return { problems }
  }
}

async function writeIfChanged(path: string, bytes: Uint8Array, written: string[], kept: string[], name: string): Promise<void> {
  const old = await readIfExists(path)
  if (old && Buffer.compare(old, bytes) === 0) kept.push(name)
  else {
    await writeFileAtomic(path, bytes)
    written.push(name)
  }
}

export async function setupWeights(o: WeightsOptions): Promise<WeightsResult> {
  const dir = join(o.publicDir, WEIGHTS_SUBDIR)
  await sweepStaleTemps(dir)
  const result: WeightsResult = { dir, written: [], kept: [] }
  const need: Checkpoint[] = []
  for (const c of CHECKPOINTS) {
    const have = await readIfExists(join(dir, c.file))
    if (have && !checkpointProblem(c, have, c.file)) result.kept.push(c.file)
    else need.push(c)
  }

  // All-or-nothing: every missing checkpoint is obtained and checked before any is written.
  const ready: { c: Checkpoint; bytes: Uint8Array; from: string }[] = []
  const failed: string[] = []
  for (const c of need) {
    const got = await obtainCheckpoint(c, o)
    if ('bytes' in got) ready.push({ c, ...got })
    else failed.push(`${c.file}:\n    - ${got.problems.join('\n    - ')}`)
  }
  if (failed.length)
    throw new SetupError(
      `pretrained weights: ${failed.length} checkpoint(s) could not be obtained with the expected sha256:\n  ${failed.join('\n  ')}`,
      `point ADVTUNE_PRETRAINED_DIR at a folder holding ${MIRROR_SUBDIR}/<file> with the original checkpoints ` +
        `(a damaged copy must be replaced: get it from ${WEIGHTS_BASE_URL}<file>), or run with network access${o.offline ? ' (unset ADVTUNE_OFFLINE)' : ''} so setup downloads them`,
    )
  for (const { c, bytes, from } of ready) {
    await writeFileAtomic(join(dir, c.file), bytes)
    result.written.push(c.file)
    o.log(`  ${c.file} ← ${from}`)
  }
  await writeIfChanged(join(dir, LICENSE_FILE), Buffer.from(LICENSE_TEXT, 'utf8'), result.written, result.kept, LICENSE_FILE)
  await writeIfChanged(join(dir, MANIFEST_FILE), Buffer.from(JSON.stringify(manifestEntries(), null, 2) + '\n'), result.written, result.kept, MANIFEST_FILE)
  o.log(`weights: ${result.written.length ? `wrote ${result.written.join(', ')}` : 'all checkpoints present and verified'} in ${dir}`)
  return result
}
