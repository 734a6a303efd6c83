// Headless runner: the worker's engine in Node (WASM backend) from a JSON config, printing
// progress and writing a JSON log of every evaluation point (and optionally the weights).
//   npm run runner -- config.json
// config.json: { "config": {...partial RunConfig}, "schedule": "slow-start-fast-decay" | [{t,y}...],
//                "backend": "wasm" | "cpu", "log": "run-log.json", "weights": "tuned.safetensors" }

import { readFile, writeFile } from 'node:fs/promises'
import { DEFAULT_CONFIG, type RunConfig } from '../src/core/config'
import { PRESETS, type ControlPoint, type PresetName } from '../src/core/schedule'
import { createHandler } from '../src/worker/handler'
import type { BackendName } from '../src/worker/protocol'
import { inbox, nodeEnv } from './lib/node-env'

interface RunnerFile {
  config?: Partial<RunConfig>
  schedule?: PresetName | ControlPoint[]
  backend?: BackendName
  log?: string
  weights?: string
}

const mergeConfig = (c: Partial<RunConfig> = {}): RunConfig => ({
  ...DEFAULT_CONFIG,
  ...c,
  trainAttack: { ...DEFAULT_CONFIG.trainAttack, ...c.trainAttack },
  evalAttack: { ...DEFAULT_CONFIG.evalAttack, ...c.evalAttack },
})

async function main() {
  const path = process.argv[2]
  if (!path) throw new Error('usage: npm run runner -- <config.json>')
  const file = JSON.parse(await readFile(path, 'utf8')) as RunnerFile
  const config = mergeConfig(file.config)
  const schedule = Array.isArray(file.schedule) ? file.schedule : PRESETS[file.schedule ?? 'slow-start-fast-decay']?.points
  if (!schedule) throw new Error(`unknown schedule preset ${String(file.schedule)}; use one of ${Object.keys(PRESETS).join(', ')}`)

  const box = inbox()
  const log = (s: string) => process.stderr.write(s + '\n')
  const handler = createHandler((m) => {
    box.post(m)
    if (m.type === 'ready') log(`backend: ${m.backend} — ${m.adapter}`)
    if (m.type === 'error') log(`error: ${m.message}`)
    if (m.type === 'step') {
      const i = m.info
      log(`step ${i.step}/${i.totalSteps}  epoch ${i.epoch.toFixed(2)}  lr ${i.lr.toFixed(4)}  loss ${i.loss.toFixed(4)}  ${i.imagesPerSec.toFixed(1)} img/s`)
    }
    if (m.type === 'eval') log(`eval @${m.point.step}: clean ${(100 * m.point.clean).toFixed(2)} %  robust ${(100 * m.point.robust).toFixed(2)} %`)
  }, nodeEnv())

  await handler.handle({ type: 'init', assetBase: '', prefer: [file.backend ?? 'wasm'] })
  await handler.handle({ type: 'loadModel', model: config.model })
  if (box.messages.some((m) => m.type === 'error')) process.exit(1)
  const runId = 'headless'
  const started = Date.now()
  await handler.handle({ type: 'start', runId, config, schedule })
  const end = await box.next('runEnded')
  const steps = box.messages.filter((m) => m.type === 'step').map((m) => (m as { info: { imagesPerSec: number } }).info.imagesPerSec)
  const sorted = [...steps].sort((a, b) => a - b)
  const result = {
    config,
    schedule,
    status: end.status,
    reason: end.reason,
    wallMs: end.wallMs,
    totalMs: Date.now() - started,
    medianImagesPerSec: sorted.length ? sorted[Math.floor(sorted.length / 2)] : null,
    evals: box.messages.filter((m) => m.type === 'eval').map((m) => (m as { point: unknown }).point),
    steps: box.messages.filter((m) => m.type === 'step').map((m) => (m as { info: unknown }).info),
  }
  await writeFile(file.log ?? 'run-log.json', JSON.stringify(result, null, 1))
  if (file.weights && end.weights) await writeFile(file.weights, new Uint8Array(end.weights))
  log(`${end.status}${end.reason ? ` (${end.reason})` : ''}; log written to ${file.log ?? 'run-log.json'}`)
  process.exit(end.status === 'done' || end.status === 'stopped' ? 0 : 1)
}

main().catch((e) => {
  process.stderr.write(`runner failed: ${(e as Error).message}\n`)
  process.exit(1)
})
