// Which tfjs kernels a PGD-7 training step spends its time in (the measuring itself is
// bench/tasks/kernel-profile.ts, shared with the GPU script): on Node's WASM backend, or with
// --page on a backend of the bench page in headless Chromium (e.g. 'wasm' with XNNPACK threads,
// which Node cannot run, so what does not split across threads shows).
//   npx tsx bench/node/profile.ts --batch 128 --out profile.json
//   npx tsx bench/node/profile.ts --page wasm --threads 2

import { writeFileSync } from 'node:fs'
import { initWasmBackendNode } from '../../scripts/lib/wasm-node'
import { disposeModel } from '../../src/core/model/resnet'
import { modelFromStateDict } from '../../src/core/model/weights'
import { formatProfile, profilePgdStep, type StepProfile } from '../tasks/kernel-profile'
import { firstBatch } from '../tasks/workloads'
import { num, parseArgs, str } from './args'
import { loadStateDict, loadTestSet } from './assets'
import { launchChromium, runBenchPage, serveDev } from './browser'

async function inNode(batch: number): Promise<StepProfile> {
  await initWasmBackendNode()
  const model = modelFromStateDict(loadStateDict())
  const p = await profilePgdStep(model, firstBatch(loadTestSet(), batch))
  disposeModel(model)
  return p
}

async function inPage(backend: string, threads: number, batch: number): Promise<StepProfile> {
  const served = await serveDev()
  const browser = await launchChromium()
  try {
    const log = (s: string) => process.stderr.write(`${s}\n`)
    return await runBenchPage<StepProfile>(browser, served, { task: 'profile', backend, threads, batch }, { timeoutMs: 900_000, log })
  } finally {
    await browser.close()
    await served.close()
  }
}

async function main() {
  const a = parseArgs(process.argv.slice(2))
  const batch = num(a, 'batch', 128)
  const page = str(a, 'page', '')
  const p = page ? await inPage(page, num(a, 'threads', 1), batch) : await inNode(batch)
  const out = str(a, 'out', '')
  if (out) writeFileSync(out, JSON.stringify(p, null, 2))
  for (const line of formatProfile(p)) process.stderr.write(`[profile] ${line}\n`)
  if (!out) console.log(JSON.stringify(p, null, 2))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
