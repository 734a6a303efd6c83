// The streaming .tar.gz reader against archives written by the system's GNU tar (ustar, GNU long
// names, pax), and its refusal of truncated or damaged input.

import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { readTarGz, tarEntries } from '../../../scripts/assets/tar'
import { removeTempDirs, tempDir } from '../helpers'

afterAll(removeTempDirs)

const longName = `deep/${'d'.repeat(60)}/${'n'.repeat(90)}.bin` // over 100 bytes: needs a long-name record
const files: Record<string, Uint8Array> = {
  'a.txt': Buffer.from('hello tar\n'),
  'empty.bin': new Uint8Array(0),
  'exact512.bin': Uint8Array.from({ length: 512 }, (_, i) => (i * 7) & 255),
  [longName]: Uint8Array.from({ length: 70_001 }, (_, i) => (i * 31 + 3) & 255),
}

/** Writes `files` to a folder and archives it with GNU tar in the given format; returns .tar bytes. */
function makeTar(format: 'gnu' | 'pax' | 'ustar'): Uint8Array {
  const dir = tempDir('tar-src')
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true })
    writeFileSync(join(dir, name), data)
  }
  // ustar cannot hold this long name unless it splits at a '/', which it can here (prefix + name).
  return execFileSync('tar', ['-c', `--format=${format}`, '-C', dir, ...Object.keys(files)], { maxBuffer: 1 << 24 })
}

async function collect(chunks: AsyncIterable<Uint8Array>, want: (n: string) => boolean = () => true) {
  const got: Record<string, Uint8Array> = {}
  for await (const e of tarEntries(chunks, want)) got[e.name] = e.data
  return got
}

/** The bytes as an async stream of uneven chunks, to exercise every boundary case. */
async function* chunked(bytes: Uint8Array, sizes = [1, 7, 511, 513, 4096, 100_000]): AsyncGenerator<Uint8Array> {
  let at = 0
  for (let i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length]
    yield bytes.subarray(at, at + n)
    at += n
  }
}

describe('tarEntries', () => {
  for (const format of ['gnu', 'pax', 'ustar'] as const)
    it(`reads every file of a ${format} archive, in uneven chunks`, async () => {
      const got = await collect(chunked(makeTar(format)))
      expect(Object.keys(got).sort()).toEqual(Object.keys(files).sort())
      for (const [name, data] of Object.entries(files)) expect(Buffer.compare(got[name], data), name).toBe(0)
    })

  it('hands out only the wanted entries', async () => {
    const got = await collect(chunked(makeTar('gnu')), (n) => n.endsWith('.txt'))
    expect(Object.keys(got)).toEqual(['a.txt'])
  })

  it('refuses an archive cut inside a file', async () => {
    const tar = makeTar('gnu')
    await expect(collect(chunked(tar.subarray(0, 2000)))).rejects.toThrow(/truncated/)
  })

  it('refuses an archive cut inside a header', async () => {
    await expect(collect(chunked(makeTar('gnu').subarray(0, 300)))).rejects.toThrow(/inside a tar header.*truncated/)
  })

  it('refuses a header whose checksum does not match', async () => {
    const tar = Uint8Array.from(makeTar('gnu'))
    tar[10] ^= 0x01 // a byte of the first file name
    await expect(collect(chunked(tar))).rejects.toThrow(/checksum mismatch/)
  })
})

describe('readTarGz', () => {
  it('reads a gzipped archive from disk', async () => {
    const path = join(tempDir('tgz'), 'x.tar.gz')
    writeFileSync(path, gzipSync(makeTar('gnu')))
    const got: string[] = []
    for await (const e of readTarGz(path, () => true)) got.push(e.name)
    expect(got.sort()).toEqual(Object.keys(files).sort())
  })

  it('refuses a truncated .tar.gz, naming the file', async () => {
    const path = join(tempDir('tgz'), 'cut.tar.gz')
    const gz = gzipSync(makeTar('gnu'))
    writeFileSync(path, gz.subarray(0, gz.length - 9)) // loses the gzip trailer (CRC and length)
    const read = async () => {
      for await (const e of readTarGz(path, () => true)) void e
    }
    await expect(read()).rejects.toThrow(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not a readable .tar.gz archive: .*unexpected end of file`))
  })

  it('refuses a .tar.gz whose compressed bytes were damaged', async () => {
    const path = join(tempDir('tgz'), 'bad.tar.gz')
    const gz = Uint8Array.from(gzipSync(makeTar('gnu')))
    gz[gz.length >> 1] ^= 0xff
    writeFileSync(path, gz)
    const read = async () => {
      for await (const e of readTarGz(path, () => true)) void e
    }
    await expect(read()).rejects.toThrow(/is not a readable .tar.gz archive/)
  })
})
