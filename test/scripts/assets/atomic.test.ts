// Atomic writes: the target is either the old file or the complete new one, never a partial
// file, and temps left by dead runs are swept while a living run's temps are left alone.

import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sweepStaleTemps, withTempFile, writeFileAtomic } from '../../../scripts/assets/atomic'
import { listFiles, removeTempDirs, tempDir } from '../helpers'

afterAll(removeTempDirs)

describe('writeFileAtomic / withTempFile', () => {
  it('creates folders and replaces the target with the complete bytes', async () => {
    const dir = tempDir('atomic')
    const target = join(dir, 'a', 'b', 'x.bin')
    await writeFileAtomic(target, Buffer.from('one'))
    await writeFileAtomic(target, Buffer.from('two'))
    expect(readFileSync(target, 'utf8')).toBe('two')
    expect(listFiles(dir)).toEqual(['a/b/x.bin'])
  })

  it('leaves the old target and no temp behind when writing fails halfway', async () => {
    const dir = tempDir('atomic')
    const target = join(dir, 'x.bin')
    writeFileSync(target, 'old')
    const failing = withTempFile(target, async (tmp) => {
      writeFileSync(tmp, 'half of the new fi')
      throw new Error('disk on fire')
    })
    await expect(failing).rejects.toThrow('disk on fire')
    expect(readFileSync(target, 'utf8')).toBe('old')
    expect(listFiles(dir)).toEqual(['x.bin'])
  })
})

describe('sweepStaleTemps', () => {
  it('removes temps of dead processes and keeps those of living ones', async () => {
    const dir = tempDir('sweep')
    const deadPid = spawnSync('true').pid! // exited by the time spawnSync returns
    const dead = `.data_batch_1.bin.tmp-${deadPid}-0123abcd`
    const alive = `.data_batch_2.bin.tmp-${process.ppid}-89abcdef`
    for (const n of [dead, alive, 'data_batch_3.bin', '.verified.json']) writeFileSync(join(dir, n), 'x')
    expect(await sweepStaleTemps(dir)).toEqual([dead])
    expect(listFiles(dir)).toEqual([alive, '.verified.json', 'data_batch_3.bin'].sort())
  })

  it('does nothing for a folder that does not exist', async () => {
    expect(await sweepStaleTemps(join(tempDir('sweep'), 'nope'))).toEqual([])
  })
})
