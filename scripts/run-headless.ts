// Headless runner: the worker's engine in Node (WASM backend) from a JSON config, printing
// progress and writing a JSON log of every evaluation point and step (and optionally the weights).
//   npm run runner -- config.json
// config.json: { "config": {...partial RunConfig}, "schedule": "slow-start-fast-decay" | [{t,y}...],
//                "backend": "wasm" | "cpu", "log": "run-log.json", "weights": "tuned.safetensors" }

import { readFile, writeFile } from 'node:fs/promises'
import type { RunConfig } from '../src/core/config'
import { PRESETS, type ControlPoint, type PresetName } from '../src/core/schedule'
import type { BackendName } from '../src/worker/protocol'
import { mergeConfig, runHeadless } from './lib/headless'
import { nodeEnv } from './lib/node-env'

interface RunnerFile {
  config?: Partial<RunConfig>
  schedule?: PresetName | ControlPoint[]
  backend?: BackendName
  log?: string
  weights?: string
}

async function main() {
  const path = process.argv[2]
  if (!path) throw new Error('usage: npm run runner -- <config.json>')
  const file = JSON.parse(await readFile(path, 'utf8')) as RunnerFile
  const config = mergeConfig(file.config)
  const schedule = Array.isArray(file.schedule) ? file.schedule : PRESETS[file.schedule ?? 'slow-start-fast-decay']?.points
  if (!schedule) throw new Error(`unknown schedule preset ${String(file.schedule)}; use one of ${Object.keys(PRESETS).join(', ')}`)
  const log = (s: string) => process.stderr.write(s + '\n')
  const { result, weights } = await runHeadless(config, schedule, nodeEnv(), file.backend ?? 'wasm', log)
  await writeFile(file.log ?? 'run-log.json', JSON.stringify(result, null, 1))
  if (file.weights && weights) await writeFile(file.weights, weights)
  log(`${result.status}${result.reason ? ` (${result.reason})` : ''}; log written to ${file.log ?? 'run-log.json'}`)
  process.exit(result.status === 'done' || result.status === 'stopped' ? 0 : 1)
}

main().catch((e) => {
  process.stderr.write(`runner failed: ${(e as Error).message}\n`)
  process.exit(1)
})
