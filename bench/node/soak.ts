// Memory over many training steps on Node's WASM backend: PGD-7 steps on one small batch, tensor
// count, tensor bytes and the WASM heap sampled as it goes (they must stay flat).
//   npx tsx bench/node/soak.ts --steps 1000 --batch 8 --every 50 --out soak.json

import { writeFileSync } from 'node:fs'
import { initWasmBackendNode } from '../../scripts/lib/wasm-node'
import { disposeModel } from '../../src/core/model/resnet'
import { modelFromStateDict } from '../../src/core/model/weights'
import { memorySoak } from '../tasks/workloads'
import { num, parseArgs, str } from './args'
import { loadStateDict, loadTestSet } from './assets'

async function main() {
  const a = parseArgs(process.argv.slice(2))
  const o = { batch: num(a, 'batch', 8), steps: num(a, 'steps', 200), every: num(a, 'every', 25) }
  await initWasmBackendNode()
  const model = modelFromStateDict(loadStateDict())
  const t0 = performance.now()
  const samples = await memorySoak(model, loadTestSet(), o, { log: (s) => process.stderr.write(`[soak] ${s}\n`) })
  const result = { ...o, backend: 'wasm (Node)', wallMs: performance.now() - t0, samples }
  disposeModel(model)
  const out = str(a, 'out', '')
  if (out) writeFileSync(out, JSON.stringify(result, null, 2))
  else console.log(JSON.stringify(result, null, 2))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
