// HTTP(S) downloads that are checked before anyone can use them: the body streams to a temp
// file (hashing as it goes) and is renamed into place only when its size and hash are right.

import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { withTempFile } from './atomic'
import { type Log, errorText, mb } from './errors'
import type { HashAlgo } from './hash'

export interface Expected {
  algo: HashAlgo
  hex: string
  bytes?: number
}

const STALL_MS = 30_000 // abort when no byte arrives for this long

/** Why fetch failed, in words (undici hides the DNS/socket error in `cause`). */
function fetchFailure(url: string, e: unknown): Error {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause
  const why = cause ? (cause.code ?? cause.message) : errorText(e)
  return new Error(`could not download ${url}: ${why}`)
}

/** Streams `url` into `target` via a temp file; throws (leaving `target` untouched) on any mismatch. */
export async function downloadToFile(url: string, target: string, expect: Expected, log: Log): Promise<void> {
  const abort = new AbortController()
  let timer = setTimeout(() => abort.abort(), STALL_MS)
  const poke = () => {
    clearTimeout(timer)
    timer = setTimeout(() => abort.abort(), STALL_MS)
  }
  try {
    await withTempFile(target, async (tmp) => {
      let res: Response
      try {
        res = await fetch(url, { signal: abort.signal, redirect: 'follow' })
      } catch (e) {
        throw fetchFailure(url, e)
      }
      if (!res.ok || !res.body) throw new Error(`could not download ${url}: HTTP ${res.status} ${res.statusText}`)
      const total = expect.bytes ?? Number(res.headers.get('content-length') ?? 0)
      const hash = createHash(expect.algo)
      const fh = await open(tmp, 'w')
      let got = 0
      let nextReport = 0.1
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          poke()
          hash.update(chunk)
          await fh.write(chunk)
          got += chunk.length
          if (total > 0 && got / total >= nextReport) {
            log(`  ${url}: ${mb(got)} of ${mb(total)}`)
            nextReport += 0.1
          }
        }
        await fh.sync()
      } catch (e) {
        throw new Error(`download of ${url} broke off after ${mb(got)}: ${abort.signal.aborted ? `no data for ${STALL_MS / 1000} s` : errorText(e)}`)
      } finally {
        await fh.close()
      }
      if (expect.bytes !== undefined && got !== expect.bytes) throw new Error(`download of ${url} gave ${got} bytes, expected ${expect.bytes}: it is incomplete or a different file`)
      const hex = hash.digest('hex')
      if (hex !== expect.hex) throw new Error(`download of ${url} has ${expect.algo} ${hex}, expected ${expect.hex}`)
    })
  } finally {
    clearTimeout(timer)
  }
}

/** Small downloads straight into memory, with the same checks. */
export async function downloadBytes(url: string, expect: Expected): Promise<Uint8Array> {
  let res: Response
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(120_000), redirect: 'follow' })
  } catch (e) {
    throw fetchFailure(url, e)
  }
  if (!res.ok) throw new Error(`could not download ${url}: HTTP ${res.status} ${res.statusText}`)
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await res.arrayBuffer())
  } catch (e) {
    throw new Error(`download of ${url} broke off: ${errorText(e)}`)
  }
  if (expect.bytes !== undefined && bytes.length !== expect.bytes) throw new Error(`download of ${url} gave ${bytes.length} bytes, expected ${expect.bytes}`)
  const hex = createHash(expect.algo).update(bytes).digest('hex')
  if (hex !== expect.hex) throw new Error(`download of ${url} has ${expect.algo} ${hex}, expected ${expect.hex}`)
  return bytes
}
