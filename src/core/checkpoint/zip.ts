// Minimal zip reader for torch.save archives: reads the central directory (zip64 included) and hands
// out entries without copying. torch stores entries uncompressed; deflated ones are inflated by fflate,
// a slice at a time, never beyond what is asked for or what the entry declares.

import { Inflate } from 'fflate'
import { CheckpointError, truncated } from './errors'

export interface ZipEntry {
  name: string
  method: number
  compressedSize: number
  size: number
  localHeaderOffset: number
}

// Deflate cannot compress better than about 1032 to 1 (a 258-byte match in 2 bits); an entry that
// declares more is corrupt or a decompression bomb.
const MAX_DEFLATE_RATIO = 1032
const INFLATE_SLICE = 1 << 12

const EOCD = 0x06054b50,
  ZIP64_LOCATOR = 0x07064b50,
  ZIP64_EOCD = 0x06064b50,
  CENTRAL = 0x02014b50,
  LOCAL = 0x04034b50
const latin1 = new TextDecoder('latin1')
const utf8 = new TextDecoder('utf-8')

/** Entry name → entry, from the archive's central directory. */
export function readZipDirectory(bytes: Uint8Array): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const u16 = (p: number) => view.getUint16(p, true)
  const u32 = (p: number) => view.getUint32(p, true)
  const u64 = (p: number) => {
    const v = view.getBigUint64(p, true)
    if (v > BigInt(bytes.length)) throw corrupt(`a size or offset (${v}) exceeds the file size`)
    return Number(v)
  }
  const inside = (p: number, n: number, what: string) => {
    if (p < 0 || p + n > bytes.length) throw corrupt(`${what} lies outside the file`)
  }

  // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
  let eocd = -1
  for (let p = bytes.length - 22; p >= Math.max(0, bytes.length - 22 - 0xffff); p--) {
    if (u32(p) === EOCD) {
      eocd = p
      break
    }
  }
  if (eocd < 0) throw truncated('the zip archive has no end-of-central-directory record (a cut download?)')
  let count = u16(eocd + 10),
    dirOffset = u32(eocd + 16)
  if (count === 0xffff || dirOffset === 0xffffffff) {
    inside(eocd - 20, 20, 'the zip64 locator')
    if (u32(eocd - 20) !== ZIP64_LOCATOR) throw corrupt('the zip64 locator is missing')
    const z = u64(eocd - 12)
    inside(z, 56, 'the zip64 end record')
    if (u32(z) !== ZIP64_EOCD) throw corrupt('the zip64 end record is missing')
    count = u64(z + 32)
    dirOffset = u64(z + 48)
  }

  const entries = new Map<string, ZipEntry>()
  let p = dirOffset
  for (let i = 0; i < count; i++) {
    inside(p, 46, 'a central directory entry')
    if (u32(p) !== CENTRAL) throw corrupt('a central directory entry has a bad signature')
    const flags = u16(p + 8),
      nameLen = u16(p + 28),
      extraLen = u16(p + 30),
      commentLen = u16(p + 32)
    inside(p + 46, nameLen + extraLen, 'an entry name')
    const rawName = bytes.subarray(p + 46, p + 46 + nameLen)
    const name = flags & 0x800 ? utf8.decode(rawName) : latin1.decode(rawName)
    let size = u32(p + 24),
      compressedSize = u32(p + 20),
      localHeaderOffset = u32(p + 42)
    // zip64 extra field: 64-bit values for exactly those fields saturated at 0xffffffff, in this order
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; e += 4 + u16(e + 2)) {
      if (u16(e) !== 0x0001) continue
      let q = e + 4
      if (size === 0xffffffff) {
        size = u64(q)
        q += 8
      }
      if (compressedSize === 0xffffffff) {
        compressedSize = u64(q)
        q += 8
      }
      if (localHeaderOffset === 0xffffffff) localHeaderOffset = u64(q)
    }
    const method = u16(p + 10)
    if (method === 0 && size !== compressedSize) throw corrupt(`the stored entry '${name}' declares ${size} bytes but holds ${compressedSize}`)
    if (method === 8 && size > compressedSize * MAX_DEFLATE_RATIO + 1024) {
      throw corrupt(`entry '${name}' claims to inflate from ${compressedSize} to ${size} bytes, more than deflate can compress (a decompression bomb?)`)
    }
    entries.set(name, { name, method, compressedSize, size, localHeaderOffset })
    p += 46 + nameLen + extraLen + commentLen
  }
  return entries
}

/**
 * The entry's whole (decompressed) bytes, refused without reading if it declares more than `maxBytes`;
 * a view into `bytes` for stored entries.
 */
export function zipEntryData(bytes: Uint8Array, entry: ZipEntry, maxBytes: number): Uint8Array {
  if (entry.size > maxBytes) throw new CheckpointError(`refused to load: zip entry '${entry.name}' is ${entry.size} bytes, more than the ${maxBytes} a checkpoint needs there`)
  return zipEntryPrefix(bytes, entry, entry.size)
}

/** The first n (≤ entry.size) decompressed bytes of the entry; only those are inflated. */
export function zipEntryPrefix(bytes: Uint8Array, entry: ZipEntry, n: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const h = entry.localHeaderOffset
  if (h + 30 > bytes.length || view.getUint32(h, true) !== LOCAL) throw corrupt(`the local header of '${entry.name}' is missing`)
  const start = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true)
  if (start + entry.compressedSize > bytes.length) throw truncated(`zip entry '${entry.name}' reaches past the end of the file`)
  if (n > entry.size) throw corrupt(`entry '${entry.name}' holds ${entry.size} bytes, ${n} are needed from it`)
  const raw = bytes.subarray(start, start + entry.compressedSize)
  if (entry.method === 0) return raw.subarray(0, n)
  if (entry.method !== 8) throw new CheckpointError(`zip entry '${entry.name}' uses compression method ${entry.method}; only stored and deflated entries are supported`)
  return inflatePrefix(raw, n, entry)
}

/**
 * Inflates a slice of the input at a time into a buffer of n bytes, so memory stays at n plus one
 * slice's output whatever the data inflates to. A whole-entry read also checks the declared size.
 */
function inflatePrefix(raw: Uint8Array, n: number, entry: ZipEntry): Uint8Array {
  const out = new Uint8Array(n)
  const whole = n === entry.size
  let got = 0,
    produced = 0,
    ended = false
  const inflate = new Inflate((chunk, final) => {
    produced += chunk.length
    if (produced > entry.size) throw corrupt(`entry '${entry.name}' inflates to more than the ${entry.size} bytes it declares`)
    const take = Math.min(chunk.length, n - got)
    out.set(chunk.subarray(0, take), got)
    got += take
    ended ||= final
  })
  try {
    for (let p = 0; p < raw.length && (got < n || whole); p += INFLATE_SLICE) {
      inflate.push(raw.subarray(p, p + INFLATE_SLICE), p + INFLATE_SLICE >= raw.length)
    }
  } catch (e) {
    if (e instanceof CheckpointError) throw e
    throw corrupt(`entry '${entry.name}' does not inflate (${(e as Error).message})`)
  }
  if (got < n || (whole && !ended && n > 0)) throw corrupt(`entry '${entry.name}' inflates to ${produced} bytes, not ${entry.size}`)
  return out
}

function corrupt(why: string): CheckpointError {
  return new CheckpointError(`the checkpoint is truncated or corrupt: ${why}`)
}
