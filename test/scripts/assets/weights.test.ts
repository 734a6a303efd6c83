// The checkpoint setup against the real local mirror: verified copies, license and manifest in a
// temp destination, idempotence, and refusal of a damaged or missing mirror file.

import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silent } from '../../../scripts/assets/errors'
import { CHECKPOINTS, LICENSE_FILE, LICENSE_SHA256, LICENSE_TEXT, MIRROR_SUBDIR } from '../../../scripts/assets/known'
import { MANIFEST_FILE, resolvePretrainedDir, setupWeights } from '../../../scripts/assets/weights'
import { listFiles, mtimes, removeTempDirs, repoRoot, setupError, tempDir } from '../helpers'

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
let mirror: string

beforeAll(() => {
  const dir = resolvePretrainedDir(repoRoot, process.env)
  if (!dir) throw new Error('these tests need the checkpoint mirror: set ADVTUNE_PRETRAINED_DIR or provide ../shared/pretrained')
  mirror = dir
})
afterAll(removeTempDirs)

/** A mirror holding copies of the real checkpoints, one of them damaged. */
function damagedMirror(file: string, how: 'flip' | 'truncate'): string {
  const dir = tempDir('mirror')
  mkdirSync(join(dir, MIRROR_SUBDIR), { recursive: true })
  for (const c of CHECKPOINTS) copyFileSync(join(mirror, MIRROR_SUBDIR, c.file), join(dir, MIRROR_SUBDIR, c.file))
  const path = join(dir, MIRROR_SUBDIR, file)
  const b = readFileSync(path)
  b[b.length >> 1] ^= 0x01
  writeFileSync(path, how === 'flip' ? b : readFileSync(path).subarray(0, b.length - 100))
  return dir
}

describe('setupWeights', () => {
  it('installs the four verified checkpoints, the license and the manifest; a second run rewrites nothing', async () => {
    const pub = tempDir('pub')
    const first = await setupWeights({ publicDir: pub, pretrainedDir: mirror, offline: true, log: silent })
    const dir = join(pub, 'weights')
    const names = [...CHECKPOINTS.map((c) => c.file), LICENSE_FILE, MANIFEST_FILE].sort()
    expect(listFiles(dir)).toEqual(names)
    expect(first.written.sort()).toEqual(names)
    for (const c of CHECKPOINTS) expect(sha256(readFileSync(join(dir, c.file))), c.file).toBe(c.sha256)
    expect(readFileSync(join(dir, LICENSE_FILE))).toEqual(readFileSync(join(mirror, 'licenses', LICENSE_FILE)))

    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8'))
    expect(manifest[0]).toEqual({ model: 'resnet20', file: 'resnet20-12fca82f.th', sha256: CHECKPOINTS[0].sha256, testAccuracy: 91.73, params: 269_722, bytes: 1_099_231 })
    expect(manifest.map((m: { model: string }) => m.model)).toEqual(['resnet20', 'resnet32', 'resnet44', 'resnet56'])

    const before = mtimes(dir, names)
    await new Promise((r) => setTimeout(r, 20)) // a rewrite would then show in the mtime
    const second = await setupWeights({ publicDir: pub, pretrainedDir: mirror, offline: true, log: silent })
    expect(second.written).toEqual([])
    expect(mtimes(dir, names)).toEqual(before)
  })

  it('replaces a damaged checkpoint in the destination', async () => {
    const pub = tempDir('pub')
    await setupWeights({ publicDir: pub, pretrainedDir: mirror, offline: true, log: silent })
    const path = join(pub, 'weights', CHECKPOINTS[2].file)
    writeFileSync(path, 'not a checkpoint')
    const r = await setupWeights({ publicDir: pub, pretrainedDir: mirror, offline: true, log: silent })
    expect(r.written).toEqual([CHECKPOINTS[2].file])
    expect(sha256(readFileSync(path))).toBe(CHECKPOINTS[2].sha256)
  })

  for (const how of ['flip', 'truncate'] as const)
    it(`refuses a mirror checkpoint with one byte ${how === 'flip' ? 'flipped' : 'cut short'}, and writes nothing`, async () => {
      const c = CHECKPOINTS[1]
      const pub = tempDir('pub')
      const e = await setupError(setupWeights({ publicDir: pub, pretrainedDir: damagedMirror(c.file, how), offline: true, log: silent }))
      expect(e.message).toContain(c.file)
      expect(e.message).toContain(`expected ${c.sha256}`)
      expect(e.message).toContain('ADVTUNE_OFFLINE=1')
      expect(e.hint).toContain('ADVTUNE_PRETRAINED_DIR')
      expect(listFiles(pub)).toEqual([]) // all-or-nothing: not even the three good checkpoints
    })

  it('names every missing checkpoint when there is no mirror and no network', async () => {
    const pub = tempDir('pub')
    const e = await setupError(setupWeights({ publicDir: pub, pretrainedDir: null, offline: true, log: silent }))
    for (const c of CHECKPOINTS) expect(e.message).toContain(c.file)
    expect(e.message).toContain('no local mirror')
    expect(listFiles(pub)).toEqual([])
  })
})

describe('resolvePretrainedDir', () => {
  it('prefers ADVTUNE_PRETRAINED_DIR, else ../shared/pretrained when it exists', () => {
    expect(resolvePretrainedDir(repoRoot, { ADVTUNE_PRETRAINED_DIR: '/somewhere/else' })).toBe('/somewhere/else')
    const shared = join(repoRoot, '..', 'shared', 'pretrained')
    expect(resolvePretrainedDir(repoRoot, {})).toBe(existsSync(shared) ? shared : null)
  })
})

describe('LICENSE_TEXT', () => {
  it('is byte for byte the license shipped with the mirror', () => {
    const bytes = Buffer.from(LICENSE_TEXT, 'utf8')
    expect(sha256(bytes)).toBe(LICENSE_SHA256)
    expect(sha256(readFileSync(join(mirror, 'licenses', LICENSE_FILE)))).toBe(LICENSE_SHA256)
  })
})
