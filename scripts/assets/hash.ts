// Hashing helpers: whole buffers in memory, or files streamed from disk (large tarballs).

import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

export type HashAlgo = 'md5' | 'sha1' | 'sha256' | 'sha512'

export function hashBytes(bytes: Uint8Array, algo: HashAlgo): string {
  return createHash(algo).update(bytes).digest('hex')
}

/** Hex digests of one file for several algorithms, in a single read. */
export async function hashFile<A extends HashAlgo>(path: string, algos: readonly A[]): Promise<Record<A, string>> {
  const hashes = algos.map((a) => createHash(a))
  for await (const chunk of createReadStream(path)) for (const h of hashes) h.update(chunk as Buffer)
  return Object.fromEntries(algos.map((a, i) => [a, hashes[i].digest('hex')])) as Record<A, string>
}

/** npm's `sha512-<base64>` integrity string for a hex sha512 digest. */
export function integrityOf(sha512Hex: string): string {
  return `sha512-${Buffer.from(sha512Hex, 'hex').toString('base64')}`
}
