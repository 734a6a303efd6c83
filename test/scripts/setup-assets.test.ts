// The `npm run setup` command itself: a re-run over the installed assets is quick and rewrites
// nothing; a damaged checkpoint mirror makes it exit 1 with what to do and no file written.

import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CHECKPOINTS, CIFAR_BATCHES, MIRROR_SUBDIR } from '../../scripts/assets/known'
import { resolvePretrainedDir } from '../../scripts/assets/weights'
import { listFiles, mtimes, removeTempDirs, repoRoot, tempDir } from './helpers'

afterAll(removeTempDirs)

function setup(args: string[], env: Record<string, string> = {}) {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/setup-assets.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 300_000,
  })
  return { ...r, ms: performance.now() - t0 }
}

describe('scripts/setup-assets.ts', () => {
  it('installs everything (or finds it installed), then re-runs without rewriting a file', () => {
    const first = setup([])
    expect(first.status, first.stderr).toBe(0)
    const cifar = join(repoRoot, 'public', 'data', 'cifar10')
    const weights = join(repoRoot, 'public', 'weights')
    const cifarFiles = ['.verified.json', ...CIFAR_BATCHES.map((b) => b.file)] // the stamp too
    const weightFiles = listFiles(weights)
    expect(weightFiles).toEqual(expect.arrayContaining([...CHECKPOINTS.map((c) => c.file), 'manifest.json', 'LICENSE.akamaster_pytorch_resnet_cifar10.txt']))
    const before = [...mtimes(cifar, cifarFiles), ...mtimes(weights, weightFiles)]

    const second = setup([], { ADVTUNE_OFFLINE: '1' })
    expect(second.status, second.stderr).toBe(0)
    expect(second.stdout).toContain('all 6 batch files')
    expect(second.stdout).toContain('all checkpoints present and verified')
    expect([...mtimes(cifar, cifarFiles), ...mtimes(weights, weightFiles)]).toEqual(before)
  })

  it('exits 1 naming the damaged mirror file and what to do, writing nothing', () => {
    const mirror = resolvePretrainedDir(repoRoot, process.env)
    if (!mirror) throw new Error('needs the checkpoint mirror (ADVTUNE_PRETRAINED_DIR or ../shared/pretrained)')
    const bad = tempDir('mirror')
    mkdirSync(join(bad, MIRROR_SUBDIR), { recursive: true })
    for (const c of CHECKPOINTS) copyFileSync(join(mirror, MIRROR_SUBDIR, c.file), join(bad, MIRROR_SUBDIR, c.file))
    const victim = join(bad, MIRROR_SUBDIR, CHECKPOINTS[0].file)
    const bytes = readFileSync(victim)
    bytes[4096] ^= 0x10
    writeFileSync(victim, bytes)

    const pub = tempDir('pub')
    const r = setup(['--only', 'weights', '--public-dir', pub], { ADVTUNE_PRETRAINED_DIR: bad, ADVTUNE_OFFLINE: '1' })
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('setup FAILED')
    expect(r.stderr).toContain(`${victim} has sha256`)
    expect(r.stderr).toContain(`expected ${CHECKPOINTS[0].sha256}`)
    expect(r.stderr).toMatch(/what to do: .*ADVTUNE_PRETRAINED_DIR/)
    expect(listFiles(pub)).toEqual([])
  })

  it('rejects an unknown --only value', () => {
    const r = setup(['--only', 'everything'])
    expect(r.status).toBe(2)
    expect(r.stderr).toContain("--only takes 'cifar' or 'weights'")
  })
})
