// Which tfjs kernels a PGD-7 training step spends its time in, on Node's WASM backend (the
// measuring itself is src/bench/kernel-profile.ts, shared with the GPU script).
//   npx tsx scripts/bench/profile.ts --batch 128 --out profile.json

import { writeFileSync } from 'node:fs'
import { initWasmBackendNode } from '../../src/core/backend/wasm-node'
import { disposeModel } from '../../src/core/model/resnet'
import { modelFromStateDict } from '../../src/core/model/weights'
import { formatProfile, profilePgdStep } from '../../src/bench/kernel-profile'
import { firstBatch } from '../../src/bench/workloads'
import { num, parseArgs, str } from './args'
import { loadStateDict, loadTestSet } from './assets'

async function main() {
  const a = parseArgs(process.argv.slice(2))
  await initWasmBackendNode()
  const model = modelFromStateDict(loadStateDict())
  const p = await profilePgdStep(model, firstBatch(loadTestSet(), num(a, 'batch', 128)))
  disposeModel(model)
  const out = str(a, 'out', '')
  if (out) writeFileSync(out, JSON.stringify(p, null, 2))
  for (const line of formatProfile(p)) process.stderr.write(`[profile] ${line}\n`)
  if (!out) console.log(JSON.stringify(p, null, 2))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
