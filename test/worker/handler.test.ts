// The training worker's handler driven in Node with the real assets and the WASM backend:
// the same code the browser worker runs, with a file-system environment instead of fetch.

import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseSafetensors } from '../../src/core/checkpoint'
import { DEFAULT_CONFIG, type RunConfig } from '../../src/core/config'
import { PRESETS } from '../../src/core/schedule'
import { createHandler } from '../../src/worker/handler'
import { inbox, nodeEnv } from '../../scripts/lib/node-env'
import { checkpointPath } from '../helpers/engine'

const box = inbox()
const handler = createHandler(box.post, nodeEnv())
const evalAttack = { kind: 'pgd' as const, eps255: 8, stepSize255: 2, steps: 2, randomStart: false, restarts: 1 }
const config: RunConfig = {
  ...DEFAULT_CONFIG,
  trainSize: 32,
  batchSize: 8,
  epochs: 1,
  trainAttack: { kind: 'pgd', eps255: 8, stepSize255: 2, steps: 1 },
  evalAttack,
  evalSize: 8,
  evalEvery: 2,
}
const schedule = PRESETS['slow-start-fast-decay'].points
const errorsSince = (n: number) => box.messages.slice(n).filter((m) => m.type === 'error')

beforeAll(async () => {
  await handler.handle({ type: 'init', assetBase: '', prefer: ['wasm'] })
  await handler.handle({ type: 'loadModel', model: 'resnet20' })
})

describe('worker handler', () => {
  it('starts a backend, loads the data and the pretrained model', async () => {
    expect(box.messages.find((m) => m.type === 'ready')).toMatchObject({ backend: 'wasm' })
    expect(box.messages.find((m) => m.type === 'modelLoaded')).toMatchObject({ model: 'resnet20', params: 269_722 })
    expect(errorsSince(0)).toEqual([])
  })

  it('answers a baseline request with the pretrained point and examples', async () => {
    await handler.handle({ type: 'baseline', requestId: 'b1', evalAttack, evalSize: 20 })
    const b = await box.next('baseline', (m) => m.requestId === 'b1')
    expect(b.point.step).toBe(0)
    expect(b.point.clean).toBeGreaterThan(0.8)
    expect(b.point.robust).toBeLessThan(b.point.clean)
    expect(b.examples).toHaveLength(8)
    expect(b.examples[0].clean).toHaveLength(32 * 32 * 3)
  })

  it('refuses a corrupt or foreign checkpoint with a message and keeps the current model', async () => {
    const baseBefore = handler.state().base
    const n = box.messages.length
    const real = readFileSync(checkpointPath('resnet20'))
    await handler.handle({ type: 'importCheckpoint', fileName: 'cut.th', bytes: real.subarray(0, 50_000).buffer.slice(real.byteOffset, real.byteOffset + 50_000) as ArrayBuffer })
    await handler.handle({ type: 'importCheckpoint', fileName: 'notes.txt', bytes: new TextEncoder().encode('hello').buffer as ArrayBuffer })
    const errors = errorsSince(n).map((m) => (m as { message: string }).message)
    expect(errors).toHaveLength(2)
    expect(errors[0]).toMatch(/truncated or corrupt/)
    expect(errors[1]).toMatch(/not a PyTorch checkpoint or safetensors file/)
    expect(handler.state().base).toBe(baseBefore)
    expect(box.messages.slice(n).some((m) => m.type === 'modelLoaded')).toBe(false)
  })

  it('runs a tiny fine-tuning run to the end, posting steps, evaluations, examples and weights', async () => {
    await handler.handle({ type: 'start', runId: 'r1', config, schedule })
    const end = await box.next('runEnded', (m) => m.runId === 'r1')
    expect(end.status).toBe('done')
    const steps = box.messages.filter((m) => m.type === 'step' && m.runId === 'r1')
    const evals = box.messages.filter((m) => m.type === 'eval' && m.runId === 'r1')
    expect(steps).toHaveLength(4)
    expect(evals.map((m) => (m as { point: { step: number } }).point.step)).toEqual([0, 2, 4])
    expect(box.messages.some((m) => m.type === 'examples' && m.runId === 'r1')).toBe(true)
    const weights = parseSafetensors(new Uint8Array(end.weights!))
    expect(weights.get('linear.weight')!.shape).toEqual([10, 64])
    expect(weights.get('bn1.num_batches_tracked')!.data[0]).toBe(4n)
  })

  it('pauses, resumes and stops a run', async () => {
    const long = { ...config, trainSize: 400, evalEvery: 1000 }
    const done = handler.handle({ type: 'start', runId: 'r2', config: long, schedule })
    await box.next('step', (m) => m.runId === 'r2')
    await handler.handle({ type: 'pause', runId: 'r2' })
    await box.next('paused', (m) => m.runId === 'r2')
    const stepsAt = () => box.messages.filter((m) => m.type === 'step' && m.runId === 'r2').length
    const frozen = stepsAt()
    await new Promise((r) => setTimeout(r, 1500))
    expect(stepsAt()).toBeLessThanOrEqual(frozen + 1) // at most the step already in flight
    await handler.handle({ type: 'resume', runId: 'r2' })
    await box.next('step', (m) => m.runId === 'r2' && m.info.step > frozen + 1)
    await handler.handle({ type: 'stop', runId: 'r2' })
    await done
    const end = await box.next('runEnded', (m) => m.runId === 'r2')
    expect(end.status).toBe('stopped')
    expect(end.weights).not.toBeNull()
  })

  it('imports a user checkpoint of another depth as the new base model', async () => {
    const bytes = readFileSync(checkpointPath('resnet32'))
    await handler.handle({ type: 'importCheckpoint', fileName: 'resnet32-d509ac18.th', bytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer })
    expect(box.messages.at(-1)).toMatchObject({ type: 'modelLoaded', model: 'imported resnet32', params: 464_154 })
  })

  it('reports an invalid configuration as an error of that run', async () => {
    const n = box.messages.length
    await handler.handle({ type: 'start', runId: 'bad', config: { ...config, batchSize: 0 }, schedule })
    const end = await box.next('runEnded', (m) => m.runId === 'bad')
    expect(end.status).toBe('error')
    expect(end.reason).toMatch(/Batch size/)
    expect(errorsSince(n)).toEqual([])
  })
})
