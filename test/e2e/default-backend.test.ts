// The app as most people open it: no URL switches, so the worker picks the backend itself. On a
// machine whose only WebGPU adapter is a software one (this one: SwiftShader) that is WASM, and
// the badge must say why WebGPU was passed over. A tiny PGD run trains to the end on it, with no
// console error; on WASM it runs XNNPACK threads from the production bundle (tfjs #4107 broke
// them after minification; scripts/vite/tfjs-wasm-threads.ts), and with more threads asked for,
// threaded helper workers share its training attack. A run cut off by a reload resumes from its
// last snapshot and ends with the weights of the same run never interrupted, bit for bit.
// Production build, headless Chromium.

import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG, type RunConfig } from '../../src/core/config'
import { PRESETS } from '../../src/core/schedule'
import { encodeShareHash } from '../../src/store/share'
import type { Run } from '../../src/store/types'
import { cpuPlan, describeThreads } from '../../src/worker/cpuPlan'
import { buildAndServe, launchBrowser, SCREENSHOTS, storeState, watchErrors, type App, type Browser } from './helpers'

let app: App
let browser: Browser
let page: Page
let errors: string[]

beforeAll(async () => {
  app = await buildAndServe()
  browser = await launchBrowser()
  page = await browser.context.newPage()
  errors = watchErrors(page)
})

afterAll(async () => {
  await browser?.close()
  await app?.close()
})

describe('advtune on the backend it picks by itself (production build)', () => {
  it('names the backend and why, and trains a tiny PGD-2 run to the end', async () => {
    // From a share link: a PGD training attack (the default is FGSM-RS) and a PGD-2 evaluation on 8
    // images, which keeps the baseline quick.
    await page.goto(`${app.url}#v=1&trainAttack.kind=pgd&evalAttack.steps=2&evalSize=8`)
    const badge = page.locator('[data-testid=backend-badge][data-backend]')
    await badge.waitFor({ timeout: 120_000 })
    const w = await storeState<{ backend: string; adapter: string; fallbackReason: string | null }>(page, '(s) => s.worker')
    const adapter = await page.evaluate(async () => {
      const a = await (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: { isFallbackAdapter?: boolean } } | null> } }).gpu?.requestAdapter()
      return a ? { software: a.info?.isFallbackAdapter === true } : null
    })
    if (adapter && !adapter.software)
      expect(w.backend).toBe('webgpu') // a real GPU is used
    else {
      // No hardware WebGPU: a CPU backend, and the badge says so and why.
      expect(['wasm', 'webgl']).toContain(w.backend)
      expect(w.fallbackReason).toMatch(/WebGPU/)
      expect(await badge.textContent()).toContain(`Fallback: ${w.fallbackReason!.split('; ')[0]}`)
      expect(await badge.getAttribute('title')).toContain(w.fallbackReason!)
    }
    // On WASM every core trains: the badge names the threads the backend really got (2 here).
    const cores = await page.evaluate(() => navigator.hardwareConcurrency)
    if (w.backend === 'wasm') {
      const plan = cpuPlan(cores, true)
      expect(w.adapter).toContain(describeThreads(Array(plan.workers).fill(plan.threadsPerWorker)))
    }
    await page.waitForSelector('[data-testid=baseline][data-status=ready]', { timeout: 300_000 })
    await page.click('[data-testid=notice-info] button')
    await page.locator('header').screenshot({ path: join(SCREENSHOTS, '8-header-fallback.png') })

    await page.fill('[data-testid=cfg-epochs]', '1')
    await page.fill('[data-testid=cfg-trainSize]', '64')
    await page.fill('[data-testid=cfg-batchSize]', '16')
    await page.fill('[data-testid=cfg-trainSteps]', '2')
    await page.fill('[data-testid=cfg-evalEvery]', '2')
    await page.click('[data-testid=start-run]')
    await page.waitForSelector('[data-testid=run-row][data-status=done]', { timeout: 300_000 })
    const [r] = await storeState<Run[]>(page, '(s) => Object.values(s.runs)')
    expect(r.config.trainAttack).toMatchObject({ kind: 'pgd', steps: 2 })
    expect(r.steps.map((s) => s.step)).toEqual([1, 2, 3, 4])
    for (const s of r.steps) expect(Number.isFinite(s.loss)).toBe(true)
    expect(r.evals.map((e) => e.step)).toEqual([0, 2, 4])
    expect(r.weights).not.toBe('none')
    expect(await page.getAttribute('[data-testid=run-progress]', 'aria-valuenow')).toBe('100')
    expect(await page.locator('[data-testid=example-grid] [data-testid=example-card]').count()).toBe(8)
    expect(await page.locator('[data-testid=worker-crashed]').count()).toBe(0)
    expect(errors).toEqual([])
  })

  it('with ?threads=5 on WASM, a threaded helper worker shares the training attack', async (ctx) => {
    const w = await storeState<{ backend: string | null }>(page, '(s) => s.worker')
    expect(w.backend).not.toBeNull() // the first page's worker started
    if (w.backend !== 'wasm') ctx.skip() // a machine with a real GPU trains there instead
    const threaded = await browser.context.newPage()
    const threadedErrors = watchErrors(threaded)
    await threaded.goto(`${app.url}?threads=5#v=1&trainAttack.kind=pgd&evalAttack.steps=2&evalSize=8`)
    await threaded.waitForSelector('[data-testid=baseline][data-status=ready]', { timeout: 300_000 })
    const adapter = await storeState<string>(threaded, '(s) => s.worker.adapter')
    // 2 workers × 2 XNNPACK threads, whatever this machine has (5 threads asked for).
    expect(adapter).toContain('4 threads: training worker + 1 attack helper, 2 threads each')
    await threaded.fill('[data-testid=cfg-epochs]', '1')
    await threaded.fill('[data-testid=cfg-trainSize]', '32')
    await threaded.fill('[data-testid=cfg-batchSize]', '16')
    await threaded.fill('[data-testid=cfg-trainSteps]', '2')
    await threaded.click('[data-testid=start-run]')
    // The profile still holds the first test's run: wait for this one.
    const ours = '(s) => Object.values(s.runs).find((r) => r.config.trainSize === 32)'
    await threaded.waitForFunction(`(${ours})(window.advtune.store.getState())?.status === 'done'`, null, { timeout: 300_000, polling: 500 })
    const r = await storeState<Run>(threaded, ours)
    expect(r.steps.map((s) => s.step)).toEqual([1, 2])
    for (const s of r.steps) expect(Number.isFinite(s.loss)).toBe(true)
    expect(threadedErrors).toEqual([])
    await threaded.close()
  })

  it('resumes a run cut off by a reload from its last snapshot, ending with the weights of the run never interrupted', async () => {
    // 16 steps of 8 images (augmentation, FGSM with random start, the ε ramp), evaluated every 4
    // steps on 8 images: a snapshot follows every evaluation, so one exists early in the run.
    const config: RunConfig = { ...DEFAULT_CONFIG, trainSize: 128, batchSize: 8, epochs: 1, evalEvery: 4, evalSize: 8, evalAttack: { ...DEFAULT_CONFIG.evalAttack, steps: 2 }, seed: 5 }
    const p = await browser.context.newPage()
    const pageErrors = watchErrors(p)
    await p.goto(app.url + encodeShareHash(config, PRESETS['slow-start-fast-decay'].points))
    await p.waitForSelector('[data-testid=baseline][data-status=ready]', { timeout: 300_000 })
    const ours = '(s) => Object.values(s.runs).find((r) => r.config.seed === 5 && r.config.trainSize === 128)'
    await p.click('[data-testid=start-run]')
    await p.waitForFunction(`(${ours})(window.advtune.store.getState())?.snapshot?.step >= 4`, null, { timeout: 300_000, polling: 50 })
    await p.reload()
    await p.waitForSelector('[data-testid=baseline][data-status=ready]', { timeout: 300_000 })
    const cut = await storeState<Run>(p, ours)
    expect(cut.status).toBe('interrupted')
    expect(cut.snapshot!.step).toBeGreaterThanOrEqual(4)
    expect(cut.snapshot!.step).toBeLessThan(16)
    expect(await p.locator(`[data-run=${cut.id}] [data-testid=run-snapshot]`).textContent()).toContain(`resumable from step ${cut.snapshot!.step}`)
    await p.click(`[data-run=${cut.id}] [data-testid=continue-run]`)
    await p.waitForFunction(`(${ours})(window.advtune.store.getState())?.status === 'done'`, null, { timeout: 300_000, polling: 500 })
    // The snapshot goes after the final weights are stored, a moment after the run shows as done.
    await p.waitForFunction(`(${ours})(window.advtune.store.getState())?.snapshot === null`, null, { timeout: 30_000, polling: 100 })
    const resumed = await storeState<Run>(p, ours)
    expect(resumed.snapshot).toBeNull() // dropped once finished
    expect(resumed.resumeNote ?? null).toBeNull() // same backend: nothing to say

    // The same configuration again, uninterrupted, in the same page.
    expect(await storeState<RunConfig>(p, '(s) => s.config')).toEqual(resumed.config)
    await p.click('[data-testid=start-run]')
    const other = `(s) => Object.values(s.runs).find((r) => r.config.seed === 5 && r.config.trainSize === 128 && r.id !== '${resumed.id}')`
    await p.waitForFunction(`(${other})(window.advtune.store.getState())?.status === 'done'`, null, { timeout: 300_000, polling: 500 })
    const whole = await storeState<Run>(p, other)
    // The tensors of the safetensors file (after its header, which names the run), hashed in the page.
    const digest = (id: string) =>
      p.evaluate(async (runId) => {
        const bytes = new Uint8Array(
          (await (window as unknown as { advtune: { store: { getState(): { actions: { getWeights(id: string): Promise<ArrayBuffer | null> } } } } }).advtune.store
            .getState()
            .actions.getWeights(runId))!,
        )
        const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true))
        const hash = await crypto.subtle.digest('SHA-256', bytes.slice(8 + headerLength))
        return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, '0')).join('')
      }, id)
    expect(await digest(resumed.id)).toBe(await digest(whole.id))
    const clockless = (r: Run) => r.evals.map(({ elapsedMs: _, ...e }) => e)
    expect(clockless(resumed)).toEqual(clockless(whole))
    expect(resumed.steps.map((s) => [s.step, s.loss])).toEqual(whole.steps.map((s) => [s.step, s.loss]))
    expect(pageErrors).toEqual([])
    await p.close()
  })
})
