// The training worker's handler driven in Node with the real assets and the WASM backend:
// the same code the browser worker runs, with a file-system environment instead of fetch.

import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseSafetensors } from '../../src/core/checkpoint'
import { DEFAULT_CONFIG, type RunConfig } from '../../src/core/config'
import { epsAt, EPS_PRESETS, PRESETS } from '../../src/core/schedule'
import { createHandler } from '../../src/worker/handler'
import { inbox, nodeEnv } from '../../scripts/lib/node-env'
import { checkpointPath } from '../helpers/engine'

const box = inbox()
const handler = createHandler(box.post, nodeEnv())
const evalAttack = { kind: 'pgd' as const, eps255: 8, stepSize255: 2, steps: 2, randomStart: false, restarts: 1 }
const config: RunConfig = {
  ...DEFAULT_CONFIG,
  epsCurve: EPS_PRESETS.constant.points, // full ε from the first step
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
const bufferOf = (b: Buffer) => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer

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

  it('evaluates given weights a chunk at a time, reporting progress: the pretrained checkpoint scores its baseline', async () => {
    await handler.handle({ type: 'baseline', requestId: 'b110', evalAttack, evalSize: 110 })
    const b = await box.next('baseline', (m) => m.requestId === 'b110')
    const n = box.messages.length
    await handler.handle({ type: 'evaluateWeights', requestId: 'e1', weights: bufferOf(readFileSync(checkpointPath('resnet20'))), evalAttack, evalSize: 110 })
    const e = await box.next('evaluation', (m) => m.requestId === 'e1')
    const progress = box.messages.slice(n).flatMap((m) => (m.type === 'evaluationProgress' && m.requestId === 'e1' ? [[m.done, m.total]] : []))
    expect(progress).toEqual([
      [100, 110],
      [110, 110],
    ])
    // PGD without a random start is deterministic: chunks add up to the one-piece evaluation.
    const { clean, robust, perClassClean, perClassRobust } = b.point
    expect(e.point).toMatchObject({ clean, robust, perClassClean, perClassRobust, evalSize: 110 })
  })

  it('evaluates given weights with APGD-CE: same clean accuracy, robust accuracy at most the clean', async () => {
    await handler.handle({ type: 'baseline', requestId: 'b20', evalAttack, evalSize: 20 })
    const b = await box.next('baseline', (m) => m.requestId === 'b20')
    const apgd = { ...evalAttack, kind: 'apgd-ce' as const, steps: 5, randomStart: true }
    await handler.handle({ type: 'evaluateWeights', requestId: 'e-apgd', weights: bufferOf(readFileSync(checkpointPath('resnet20'))), evalAttack: apgd, evalSize: 20 })
    const e = await box.next('evaluation', (m) => m.requestId === 'e-apgd')
    expect(e.point.clean).toBe(b.point.clean)
    expect(e.point.robust).toBeLessThanOrEqual(e.point.clean)
    expect(e.point.evalSize).toBe(20)
  })

  it('answers weights it cannot read, or a bad subset, with an error for that request', async () => {
    const n = box.messages.length
    await handler.handle({ type: 'evaluateWeights', requestId: 'e2', weights: new TextEncoder().encode('not weights').buffer as ArrayBuffer, evalAttack, evalSize: 10 })
    await handler.handle({ type: 'evaluateWeights', requestId: 'e3', weights: bufferOf(readFileSync(checkpointPath('resnet20'))), evalAttack, evalSize: 0 })
    const errors = errorsSince(n) as { message: string; requestId?: string }[]
    expect(errors.map((m) => m.requestId)).toEqual(['e2', 'e3'])
    expect(errors[0].message).toMatch(/not a PyTorch checkpoint or safetensors file/)
    expect(errors[1].message).toMatch(/evaluation subset/)
    expect(box.messages.slice(n).some((m) => m.type === 'evaluation')).toBe(false)
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

  it('runs a tiny fine-tuning run to the end, posting steps (with the ε of the ε curve), evaluations, examples and weights', async () => {
    const epsCurve = EPS_PRESETS['ramp-50'].points
    await handler.handle({ type: 'start', runId: 'r1', config: { ...config, epsCurve }, schedule })
    const end = await box.next('runEnded', (m) => m.runId === 'r1')
    expect(end.status).toBe('done')
    const steps = box.messages.filter((m) => m.type === 'step' && m.runId === 'r1')
    const evals = box.messages.filter((m) => m.type === 'eval' && m.runId === 'r1')
    expect(steps).toHaveLength(4)
    for (const m of steps) if (m.type === 'step') expect(m.info.eps255).toBeCloseTo(epsAt(epsCurve, 8, m.info.step - 1, 4), 12)
    expect(evals.map((m) => (m as { point: { step: number } }).point.step)).toEqual([0, 2, 4])
    expect(box.messages.some((m) => m.type === 'examples' && m.runId === 'r1')).toBe(true)
    const weights = parseSafetensors(new Uint8Array(end.weights!))
    expect(weights.get('linear.weight')!.shape).toEqual([10, 64])
    expect(weights.get('bn1.num_batches_tracked')!.data[0]).toBe(4n)
  })

  it('continues a run from the snapshot it posted: the weights of the run never interrupted, bit for bit', async () => {
    const epsCurve = EPS_PRESETS['ramp-50'].points
    const n = box.messages.length
    await handler.handle({ type: 'start', runId: 'r1a', config: { ...config, epsCurve }, schedule })
    const whole = await box.next('runEnded', (m) => m.runId === 'r1a')
    const snap = box.messages.slice(n).find((m) => m.type === 'snapshot' && m.runId === 'r1a')
    if (snap?.type !== 'snapshot') throw new Error('no snapshot posted')
    expect(snap).toMatchObject({ backend: 'wasm', snapshot: { step: 2 } }) // after the evaluation at step 2
    await handler.handle({ type: 'continue', runId: 'r1b', config: { ...config, epsCurve }, schedule, base: 'resnet20', snapshot: structuredClone(snap.snapshot) })
    const resumed = await box.next('runEnded', (m) => m.runId === 'r1b')
    expect(resumed.status).toBe('done')
    expect(box.messages.filter((m) => m.type === 'step' && m.runId === 'r1b').map((m) => (m as { info: { step: number } }).info.step)).toEqual([3, 4])
    const [a, b] = [parseSafetensors(new Uint8Array(whole.weights!)), parseSafetensors(new Uint8Array(resumed.weights!))]
    for (const [name, t] of a) expect(b.get(name)!.data, name).toEqual(t.data)
    // A snapshot of another run length is refused with that run's error.
    await handler.handle({ type: 'continue', runId: 'r1c', config: { ...config, epochs: 2 }, schedule, base: 'resnet20', snapshot: structuredClone(snap.snapshot) })
    expect(box.messages.at(-1)).toMatchObject({ type: 'error', runId: 'r1c', message: expect.stringMatching(/cannot resume.*4 steps, not 8/) })
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

  it('refuses an invalid configuration or an unusable ε curve with an error of that run, naming the problem', async () => {
    const n = box.messages.length
    await handler.handle({ type: 'start', runId: 'bad', config: { ...config, batchSize: 0 }, schedule })
    await handler.handle({
      type: 'start',
      runId: 'bad-eps',
      config: {
        ...config,
        epsCurve: [
          { t: 0, y: 0 },
          { t: 1, y: 2 },
        ],
      },
      schedule,
    })
    await handler.handle({ type: 'start', runId: 'one-point', config: { ...config, epsCurve: [{ t: 0, y: 1 }] }, schedule })
    const errors = errorsSince(n) as { message: string; runId?: string }[]
    expect(errors.map((m) => m.runId)).toEqual(['bad', 'bad-eps', 'one-point'])
    expect(errors[0].message).toMatch(/Batch size/)
    expect(errors[1].message).toMatch(/ε cannot exceed ε_max/)
    expect(errors[2].message).toMatch(/An ε curve needs at least two control points/)
    expect(box.messages.slice(n).some((m) => m.type === 'runStarted' || m.type === 'runEnded')).toBe(false)
    expect(handler.state().run).toBeNull()
  })
})
