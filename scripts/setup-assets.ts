// `npm run setup`: obtains, verifies and installs what the app serves from public/: the full
// CIFAR-10 (official binary batches) and the pretrained ResNet checkpoints. Idempotent; exits 1
// with what to do when a source is missing or a checksum is wrong.
//
//   tsx scripts/setup-assets.ts [--only cifar|weights] [--verify] [--public-dir DIR] [--cache-dir DIR]
//   env: ADVTUNE_CIFAR_DIR, ADVTUNE_PRETRAINED_DIR, ADVTUNE_OFFLINE=1

import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { removeLiveTemps } from './assets/atomic'
import { setupCifar } from './assets/cifar'
import { SetupError, errorText } from './assets/errors'
import { resolvePretrainedDir, setupWeights } from './assets/weights'

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)))

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    verify: { type: 'boolean', default: false }, // re-hash every CIFAR file, ignoring the stamp
    'public-dir': { type: 'string', default: resolve(repoRoot, 'public') },
    'cache-dir': { type: 'string', default: resolve(repoRoot, '.cache') },
    help: { type: 'boolean', default: false },
  },
})

if (args.help) {
  console.log('usage: tsx scripts/setup-assets.ts [--only cifar|weights] [--verify] [--public-dir DIR] [--cache-dir DIR]')
  console.log('env: ADVTUNE_CIFAR_DIR (local official CIFAR-10 files), ADVTUNE_PRETRAINED_DIR (checkpoint mirror), ADVTUNE_OFFLINE=1')
  process.exit(0)
}
if (args.only !== undefined && args.only !== 'cifar' && args.only !== 'weights') {
  console.error(`setup: --only takes 'cifar' or 'weights', not '${args.only}'`)
  process.exit(2)
}

// Ctrl-C mid-write: drop the temp files so nothing half-written stays under public/.
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    removeLiveTemps()
    console.error(`\nsetup: interrupted (${sig}); nothing half-written was left behind. Run \`npm run setup\` again to finish.`)
    process.exit(130)
  })

const env = process.env
const offline = env.ADVTUNE_OFFLINE === '1' || env.ADVTUNE_OFFLINE === 'true'
const publicDir = resolve(args['public-dir'])
const log = (line: string) => console.log(line)

async function main(): Promise<number> {
  const t0 = performance.now()
  const failures: SetupError[] = []
  const step = async (what: () => Promise<unknown>) => {
    try {
      await what()
    } catch (e) {
      if (e instanceof SetupError) failures.push(e)
      else
        failures.push(
          new SetupError(`unexpected failure: ${e instanceof Error ? (e.stack ?? e.message) : errorText(e)}`, 'this is a bug in scripts/setup-assets.ts; please report it with the output above'),
        )
    }
  }
  if (args.only !== 'cifar') {
    const pretrainedDir = resolvePretrainedDir(repoRoot, env)
    log(`weights: checking ${resolve(publicDir, 'weights')} (mirror: ${pretrainedDir ?? 'none'})`)
    await step(() => setupWeights({ publicDir, pretrainedDir, offline, log }))
  }
  if (args.only !== 'weights') {
    const cifarDir = env.ADVTUNE_CIFAR_DIR ? resolve(env.ADVTUNE_CIFAR_DIR) : undefined
    await step(() => setupCifar({ publicDir, cacheDir: resolve(args['cache-dir']), cifarDir, offline, verify: args.verify, log }))
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1)
  if (failures.length === 0) {
    log(`setup: done in ${secs} s`)
    return 0
  }
  for (const f of failures) console.error(`\nsetup FAILED: ${f.message}\n  what to do: ${f.hint}`)
  console.error(`\nsetup: ${failures.length} problem(s) after ${secs} s; nothing half-written was left under ${publicDir}`)
  return 1
}

process.exitCode = await main()
