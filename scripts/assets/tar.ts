// A small streaming reader for .tar.gz files (ustar, GNU long names, pax paths): it hands out
// the entries a caller wants, one at a time, and skips the rest without holding them, so a
// 170 MB archive never sits in memory whole. Truncation and header damage are errors.

import { createReadStream } from 'node:fs'
import { createGunzip } from 'node:zlib'
import { errorText } from './errors'

const BLOCK = 512

export interface TarFile {
  name: string
  data: Uint8Array
}

/** FIFO of byte chunks that can hand out exact-size pieces without re-concatenating everything. */
class ByteQueue {
  private chunks: Uint8Array[] = []
  private head = 0 // bytes already consumed from chunks[0]
  length = 0

  push(c: Uint8Array): void {
    if (c.length === 0) return
    this.chunks.push(c)
    this.length += c.length
  }

  /** Copies up to `out.length - at` bytes into `out` from `at`; returns how many. */
  readInto(out: Uint8Array | null, at: number, max: number): number {
    let done = 0
    while (done < max && this.chunks.length > 0) {
      const c = this.chunks[0]
      const n = Math.min(max - done, c.length - this.head)
      if (out) out.set(c.subarray(this.head, this.head + n), at + done)
      done += n
      this.head += n
      if (this.head === c.length) {
        this.chunks.shift()
        this.head = 0
      }
    }
    this.length -= done
    return done
  }
}

function readString(h: Uint8Array, off: number, len: number): string {
  let end = off
  while (end < off + len && h[end] !== 0) end++
  return Buffer.from(h.subarray(off, end)).toString('utf8')
}

function readOctal(h: Uint8Array, off: number, len: number, what: string): number {
  if (h[off] & 0x80) throw new Error(`${what}: base-256 sizes (files over 8 GB) are not supported`)
  const s = readString(h, off, len).trim()
  if (!/^[0-7]*$/.test(s)) throw new Error(`${what}: bad octal field ${JSON.stringify(s)}`)
  return s === '' ? 0 : parseInt(s, 8)
}

/** Parses one 512-byte header; null for the all-zero end-of-archive block. */
function parseHeader(h: Uint8Array): { name: string; size: number; type: string } | null {
  if (h.every((b) => b === 0)) return null
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i] // checksum field counts as spaces
  const stored = readOctal(h, 148, 8, 'tar header checksum')
  if (stored !== sum) throw new Error(`tar header checksum mismatch (stored ${stored}, computed ${sum}): the archive is damaged`)
  let name = readString(h, 0, 100)
  if (readString(h, 257, 5) === 'ustar') {
    const prefix = readString(h, 345, 155)
    if (prefix) name = `${prefix}/${name}`
  }
  return { name, size: readOctal(h, 124, 12, `size of ${name}`), type: String.fromCharCode(h[156] || 0x30) }
}

/** `path=` record of a pax extended header, if any. */
function paxPath(data: Uint8Array): string | undefined {
  const text = Buffer.from(data).toString('utf8')
  const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text)
  return m?.[1]
}

/**
 * Yields the regular files of an uncompressed tar stream whose (normalised) name `want` accepts.
 * Throws if the stream ends inside a header or a file.
 */
export async function* tarEntries(source: AsyncIterable<Uint8Array>, want: (name: string) => boolean): AsyncGenerator<TarFile> {
  const q = new ByteQueue()
  const header = new Uint8Array(BLOCK)
  let headerFill = 0
  // The current entry: bytes of data still to read, then padding to the next block.
  let cur: { name: string; type: string; data: Uint8Array | null; filled: number; size: number; pad: number } | null = null
  let longName: string | undefined // from a GNU 'L' or pax 'x' entry, for the next header
  let ended = false

  for await (const chunk of source) {
    if (ended) continue // bytes after the end-of-archive blocks are padding
    q.push(chunk)
    while (!ended) {
      if (!cur) {
        if (q.length === 0) break
        headerFill += q.readInto(header, headerFill, BLOCK - headerFill)
        if (headerFill < BLOCK) break
        headerFill = 0
        const h = parseHeader(header)
        if (!h) {
          ended = true
          break
        }
        const name = (longName ?? h.name).replace(/^\.\//, '')
        longName = undefined
        const meta = h.type === 'L' || h.type === 'x'
        const keep = meta || ((h.type === '0' || h.type === '7') && want(name))
        cur = { name, type: h.type, data: keep ? new Uint8Array(h.size) : null, filled: 0, size: h.size, pad: (BLOCK - (h.size % BLOCK)) % BLOCK }
      }
      if (cur.filled < cur.size) cur.filled += q.readInto(cur.data, cur.filled, cur.size - cur.filled)
      if (cur.filled < cur.size) break
      if (cur.pad > 0) cur.pad -= q.readInto(null, 0, cur.pad)
      if (cur.pad > 0) break
      const done = cur
      cur = null
      if (done.type === 'L') longName = readString(done.data!, 0, done.size)
      else if (done.type === 'x') longName = paxPath(done.data!)
      else if (done.data) yield { name: done.name, data: done.data }
    }
  }
  if (cur) throw new Error(`the archive ends inside ${cur.name} (${cur.filled} of ${cur.size} bytes): it is truncated`)
  if (headerFill > 0) throw new Error('the archive ends inside a tar header: it is truncated')
}

/** Streams the entries of a .tar.gz file (see tarEntries); any damage is an error naming the file. */
export async function* readTarGz(path: string, want: (name: string) => boolean): AsyncGenerator<TarFile> {
  const file = createReadStream(path)
  const gunzip = createGunzip()
  file.on('error', (e) => gunzip.destroy(e))
  file.pipe(gunzip)
  try {
    yield* tarEntries(gunzip, want)
  } catch (e) {
    throw new Error(`${path} is not a readable .tar.gz archive: ${errorText(e)}`)
  } finally {
    file.destroy()
    gunzip.destroy()
  }
}
