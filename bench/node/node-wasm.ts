// The benchmark's Node side: ResNet-20 on tfjs-backend-wasm (with the project's training
// kernels) in this Node process, which never runs XNNPACK threaded. Writes one BackendRun as JSON.
//   npx tsx bench/node/node-wasm.ts --batch 128 --warmup 1 --reps 3 --reps-pgd20 2 --workloads forward,pgd7 --out r.json

import { writeFileSync } from 'node:fs'
import * as tf from '@tensorflow/tfjs-core'
import { initWasmBackendNode } from '../../scripts/lib/wasm-node'
import { wasmBackendInfo } from '../../src/core/backend/wasm/init'
import { disposeModel } from '../../src/core/model/resnet'
import { modelFromStateDict } from '../../src/core/model/weights'
import type { BackendRun } from '../tasks/result'
import { runWorkloads, WORKLOADS, type WorkloadName, type WorkloadPlan } from '../tasks/workloads'
import { list, num, parseArgs, str } from './args'
import { loadStateDict, loadTestSet } from './assets'

/** This process's CPU time in ms: single-threaded WASM's own work, whatever else loads the machine. */
export function cpuNow(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

async function main() {
  const a = parseArgs(process.argv.slice(2))
  const reps = num(a, 'reps', 3)
  const plan: WorkloadPlan = {
    batch: num(a, 'batch', 128),
    warmup: num(a, 'warmup', 1),
    reps,
    workloads: list(a, 'workloads', WORKLOADS) as WorkloadName[],
    repsFor: { pgd20: num(a, 'reps-pgd20', reps) },
  }
  const t0 = performance.now()
  await initWasmBackendNode()
  const model = modelFromStateDict(loadStateDict())
  const set = loadTestSet()
  const setupMs = performance.now() - t0
  const log = (s: string) => process.stderr.write(`[node-wasm] ${s}\n`)
  const r = await runWorkloads(model, set, plan, { log, cpuNow })
  disposeModel(model)
  const run: BackendRun = {
    id: 'node-wasm',
    env: 'node',
    backend: tf.getBackend(),
    threads: wasmBackendInfo().threads,
    plan,
    ...r,
    setupMs,
    versions: { node: process.versions.node, tfjs: tf.version_core, simd: String(wasmBackendInfo().simd) },
  }
  const out = str(a, 'out', '')
  if (out) writeFileSync(out, JSON.stringify(run, null, 2))
  else console.log(JSON.stringify(run, null, 2))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
