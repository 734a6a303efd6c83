// One run of the worker's engine outside a browser: the worker's own message handler driven in
// this process, from a config and a schedule, on the environment given (WASM or Dawn's WebGPU).
// Used by the headless runner (npm run runner) and the study (npm run study).

import { DEFAULT_CONFIG, type RunConfig } from '../../src/core/config'
import type { ControlPoint } from '../../src/core/schedule'
import type { EvalPoint, StepInfo } from '../../src/core/train/types'
import { createHandler, type WorkerEnv } from '../../src/worker/handler'
import type { BackendName } from '../../src/worker/protocol'
import { inbox } from './node-env'

/** A partial config merged over the defaults (nested attacks merged field by field). */
export const mergeConfig = (c: Partial<RunConfig> = {}): RunConfig => ({
  ...DEFAULT_CONFIG,
  ...c,
  trainAttack: { ...DEFAULT_CONFIG.trainAttack, ...c.trainAttack },
  evalAttack: { ...DEFAULT_CONFIG.evalAttack, ...c.evalAttack },
})

export interface HeadlessResult {
  config: RunConfig
  schedule: ControlPoint[]
  backend: string // the backend and adapter the handler reported
  status: string
  reason: string | null
  wallMs: number // training time, evaluations excluded
  totalMs: number // everything: loading, evaluations, training
  medianImagesPerSec: number | null
  evals: EvalPoint[]
  steps: StepInfo[]
}

export async function runHeadless(
  config: RunConfig,
  schedule: ControlPoint[],
  env: WorkerEnv,
  backend: BackendName,
  log: (s: string) => void,
): Promise<{ result: HeadlessResult; weights: Uint8Array | null }> {
  const box = inbox()
  let adapter = ''
  const handler = createHandler((m) => {
    box.post(m)
    if (m.type === 'ready') log(`backend: ${(adapter = `${m.backend} — ${m.adapter}`)}`)
    if (m.type === 'error') log(`error: ${m.message}`)
    if (m.type === 'step') {
      const i = m.info
      log(`step ${i.step}/${i.totalSteps}  epoch ${i.epoch.toFixed(2)}  lr ${i.lr.toFixed(4)}  ε ${i.eps255.toFixed(2)}/255  loss ${i.loss.toFixed(4)}  ${i.imagesPerSec.toFixed(1)} img/s`)
    }
    if (m.type === 'eval') log(`eval @${m.point.step}: clean ${(100 * m.point.clean).toFixed(2)} %  robust ${(100 * m.point.robust).toFixed(2)} %`)
  }, env)

  const started = Date.now()
  await handler.handle({ type: 'init', assetBase: '', prefer: [backend] })
  await handler.handle({ type: 'loadModel', model: config.model })
  const setupError = box.messages.find((m) => m.type === 'error')
  if (setupError && setupError.type === 'error') throw new Error(setupError.message)
  await handler.handle({ type: 'start', runId: 'headless', config, schedule })
  const end = await Promise.race([box.next('runEnded'), box.next('error', (m) => m.runId === 'headless').then((m) => Promise.reject(new Error(m.message)))])
  const steps = box.messages.flatMap((m) => (m.type === 'step' ? [m.info] : []))
  const speeds = steps.map((s) => s.imagesPerSec).sort((a, b) => a - b)
  const result: HeadlessResult = {
    config,
    schedule,
    backend: adapter,
    status: end.status,
    reason: end.reason,
    wallMs: end.wallMs,
    totalMs: Date.now() - started,
    medianImagesPerSec: speeds.length ? speeds[Math.floor(speeds.length / 2)] : null,
    evals: box.messages.flatMap((m) => (m.type === 'eval' ? [m.point] : [])),
    steps,
  }
  return { result, weights: end.weights ? new Uint8Array(end.weights) : null }
}
