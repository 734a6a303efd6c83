// The round trip in the page: the PyTorch script of a tiny run, run for real by Debian's PyTorch,
// writes a history and final weights; *Import history…* reads both into a read-only run that
// appears in the run list and the comparison, and downloads its own script again.

import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Download, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG, type RunConfig } from '../../src/core/config'
import { PRESETS } from '../../src/core/schedule'
import { runScript } from '../../src/store/scriptExport'
import type { Run } from '../../src/store/types'
import { buildAndServe, launchBrowser, REPO, storeState, watchErrors, type App, type Browser } from './helpers'

const tmp = mkdtempSync(join(tmpdir(), 'advtune-e2e-history-'))
const config: RunConfig = {
  ...DEFAULT_CONFIG,
  trainSize: 32,
  batchSize: 16,
  epochs: 1,
  evalAttack: { kind: 'fgsm', eps255: 8, stepSize255: 2, steps: 1, randomStart: false, restarts: 1 },
  evalSize: 20,
  evalEvery: 2,
}

/** Runs the exported script of a 2-step run; resolves with its output folder. */
function trainWithPyTorch(): Promise<string> {
  const s = runScript({ id: 'e2e', name: 'Cluster run', base: { model: 'resnet20', source: 'pretrained' }, config, schedule: PRESETS['slow-start-fast-decay'].points }, '0.1.0')
  const file = join(tmp, s.fileName)
  writeFileSync(file, s.text)
  const out = join(tmp, 'out')
  const args = [file, '--data', join(REPO, 'public/data/cifar10'), '--init', join(REPO, 'public/weights/resnet20-12fca82f.th'), '--out', out, '--threads', '1']
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/python3', args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    p.stderr.on('data', (d) => (err += d))
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`the script failed (${code}): ${err}`))))
  })
}

let app: App
let browser: Browser
let page: Page
let errors: string[]
let out: string

beforeAll(async () => {
  // The script trains while the app builds.
  ;[out, app] = await Promise.all([trainWithPyTorch(), buildAndServe()])
  browser = await launchBrowser()
  page = await browser.context.newPage()
  errors = watchErrors(page)
})

afterAll(async () => {
  await browser?.close()
  await app?.close()
})

describe('a run trained by the PyTorch script, back in the page', () => {
  it('imports with its weights as a read-only run, shows in the comparison and downloads its script', async () => {
    await page.goto(`${app.url}?backend=wasm`)
    await expect.poll(() => storeState<boolean>(page, '(s) => s.hydrated'), { timeout: 60_000 }).toBe(true)
    const history = join(out, 'advtune_cluster-run-pytorch.history.json')
    const written = JSON.parse(readFileSync(history, 'utf8'))
    const final = written.evals.at(-1)

    await page.setInputFiles('[data-testid=import-history-input]', [history, join(out, 'advtune_cluster-run-pytorch.safetensors')])
    // The run appears at once; its weights once they are stored.
    await expect.poll(() => storeState<string[]>(page, '(s) => s.runOrder.map((id) => s.runs[id].weights)')).toEqual(['saved'])
    const [run] = await storeState<Run[]>(page, '(s) => s.runOrder.map((id) => s.runs[id])')
    expect(run).toMatchObject({ name: 'Cluster run (PyTorch)', status: 'done', weights: 'saved', imported: { producer: expect.stringContaining('1 process (cpu)') } })
    expect(run.steps.map((s) => s.step)).toEqual([1, 2])

    const row = `[data-testid=run-row][data-run="${run.id}"]`
    await expect.poll(() => page.locator(`${row} [data-testid=run-imported]`).textContent()).toContain('imported (PyTorch')
    const compareRow = page.locator(`[data-testid=compare-row][data-run="${run.id}"]`)
    await expect.poll(() => compareRow.textContent()).toContain('Cluster run (PyTorch)')
    const cells = await compareRow.locator('td.num').allTextContents()
    expect(cells.slice(0, 2)).toEqual([(100 * final.clean).toFixed(1), (100 * final.robust).toFixed(1)])

    // The imported run's recipe goes out again as a script.
    const got: Download[] = []
    page.on('download', (d) => got.push(d))
    await page.click(`${row} [data-testid=download-script]`)
    await expect.poll(() => got.length, { timeout: 30_000 }).toBe(1)
    expect(got[0].suggestedFilename()).toBe('advtune_cluster-run-pytorch.py')
    expect(readFileSync((await got[0].path())!, 'utf8')).toContain('LR_CURVE = [(0, 0), (0.5, 1), (0.7, 0.1), (1, 0)]')
    expect(errors).toEqual([])
  })
})
