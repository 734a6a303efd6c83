// The README's pictures from a real run: builds the app, serves the production build, and drives
// Debian's Chromium (headless, the app's own backend choice: WASM threads on a CPU) through the
// default configuration's run from the page's first load to the end, then a schedule comparison on
// a small budget. Saves the screenshots, the run's history and tuned weights, and how long it took.
// Not part of the test suite (it takes as long as a real run).
//
//   npx tsx scripts/screenshots/real-run.ts [--out docs/screenshots/real] [--data study-out/default/runs/app]
//       [--compare-images 1000] [--timeout-min 30]
//
// --data gets app-run.json (config, wall times from the page's load, evaluation points) and the
// run's weights.safetensors, which scripts/study/oracle_eval.py then re-evaluates in PyTorch.

import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { buildAndServe, launchBrowser, storeState, watchErrors } from '../../test/e2e/helpers'
import { REPO } from '../lib/node-env'

interface Args {
  out: string
  data: string
  compareImages: number
  timeoutMin: number
}

function parseArgs(argv: string[]): Args {
  const a: Args = { out: join(REPO, 'docs/screenshots/real'), data: join(REPO, 'study-out/default/runs/app'), compareImages: 1000, timeoutMin: 30 }
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]]
    if (k === '--out') a.out = resolve(v)
    else if (k === '--data') a.data = resolve(v)
    else if (k === '--compare-images') a.compareImages = Number(v)
    else if (k === '--timeout-min') a.timeoutMin = Number(v)
    else throw new Error(`unknown option ${k}`)
  }
  return a
}

const log = (s: string) => process.stderr.write(`[real-run ${new Date().toISOString().slice(11, 19)}] ${s}\n`)

interface RunView {
  id: string
  status: string
  totalSteps: number
  evals: { step: number; clean: number; robust: number }[]
  wallMs: number | null
  config: unknown
  schedule: unknown
}

const runs = (page: Page) =>
  storeState<RunView[]>(
    page,
    `(s) => s.runOrder.map((id) => s.runs[id]).map((r) => ({ id: r.id, status: r.status, totalSteps: r.totalSteps, evals: r.evals.map((e) => ({ step: e.step, clean: e.clean, robust: e.robust })), wallMs: r.wallMs, config: r.config, schedule: r.schedule }))`,
  )

async function main() {
  const a = parseArgs(process.argv.slice(2))
  mkdirSync(a.out, { recursive: true })
  mkdirSync(a.data, { recursive: true })
  log('building and serving the production build')
  const app = await buildAndServe()
  const browser = await launchBrowser()
  const page = await browser.context.newPage()
  const errors = watchErrors(page)
  // The page's top: header, curves and the live charts (Start scrolls the page down).
  const shot = async (name: string) => {
    await page.evaluate(() => window.scrollTo(0, 0))
    await page.screenshot({ path: join(a.out, name) })
  }
  try {
    const t0 = Date.now()
    await page.goto(app.url)
    await page.waitForSelector('[data-testid=baseline][data-status=ready]', { timeout: 15 * 60_000 })
    const baselineS = (Date.now() - t0) / 1000
    const backend = await page.locator('[data-testid=backend-badge]').innerText()
    log(`baseline after ${baselineS.toFixed(1)} s on ${backend.replace(/\s+/g, ' ')}`)
    await shot('1-loaded.png')

    await page.click('[data-testid=start-run]')
    const started = Date.now()
    const deadline = started + a.timeoutMin * 60_000
    let halfway = false
    for (;;) {
      const [r] = await runs(page)
      if (r && !halfway && r.evals.length >= 3) {
        halfway = true
        await shot('2-robust-rising.png')
        log(`mid-run screenshot at step ${r.evals.at(-1)!.step}/${r.totalSteps}`)
      }
      if (r && ['done', 'stopped', 'diverged', 'error', 'interrupted'].includes(r.status)) break
      if (Date.now() > deadline) throw new Error(`the run did not finish in ${a.timeoutMin} minutes`)
      await page.waitForTimeout(2000)
    }
    const wallS = (Date.now() - t0) / 1000
    const [run] = await runs(page)
    log(`run ${run.status} after ${((Date.now() - started) / 1000).toFixed(1)} s of training and evaluation; ${wallS.toFixed(1)} s from the page's load`)
    await page.waitForTimeout(600)
    await shot('3-run-finished.png')
    await page.locator('section.previews-card').screenshot({ path: join(a.out, '4-examples.png') })

    const download = page.waitForEvent('download')
    await page.click(`[data-testid=run-row][data-run="${run.id}"]`)
    await page.click('[data-testid=download-safetensors]')
    await (await download).saveAs(join(a.data, 'weights.safetensors'))
    writeFileSync(
      join(a.data, 'app-run.json'),
      JSON.stringify(
        {
          measuredAt: new Date().toISOString(),
          backend,
          baselineSeconds: baselineS,
          wallSecondsFromLoad: wallS,
          trainingWallMs: run.wallMs,
          status: run.status,
          config: run.config,
          schedule: run.schedule,
          evals: run.evals,
          userAgent: await page.evaluate(() => navigator.userAgent),
          cores: await page.evaluate(() => navigator.hardwareConcurrency),
        },
        null,
        1,
      ),
    )

    // A schedule comparison on a small budget: one run per preset, same configuration otherwise.
    if (a.compareImages > 0) {
      log(`schedule comparison on ${a.compareImages} images`)
      await page.evaluate((n) => {
        type Config = { trainSize: number; epochs: number; evalEvery: number; evalSize: number }
        const s = (window as unknown as { advtune: { store: { getState(): { actions: { setConfig(f: (c: Config) => Config): void } } } } }).advtune.store.getState()
        s.actions.setConfig((c) => ({ ...c, trainSize: n, epochs: 1, evalEvery: 4, evalSize: 200 }))
      }, a.compareImages)
      await page.click('[data-testid=compare-schedules] summary')
      for (const p of ['slow-start-fast-decay', 'constant', 'step-decay', 'cyclic']) {
        const box = page.locator(`[data-testid=compare-preset-${p}]`)
        if (!(await box.isChecked())) await box.check()
      }
      for (const p of ['cosine', 'one-cycle']) {
        const box = page.locator(`[data-testid=compare-preset-${p}]`)
        if (await box.isChecked()) await box.uncheck()
      }
      await page.click('[data-testid=queue-comparison]')
      await page.waitForFunction(
        () => {
          const rs = Object.values((window as unknown as { advtune: { store: { getState(): { runs: Record<string, { status: string }> } } } }).advtune.store.getState().runs)
          return rs.length >= 5 && rs.every((r) => ['done', 'stopped', 'diverged', 'error', 'interrupted'].includes(r.status))
        },
        undefined,
        { timeout: a.timeoutMin * 60_000, polling: 2000 },
      )
      await page.waitForTimeout(600)
      await page.locator('[data-testid=compare]').screenshot({ path: join(a.out, '5-schedule-comparison.png') })
    }
    if (errors.length) log(`page errors:\n  ${errors.join('\n  ')}`)
  } finally {
    await browser.close()
    await app.close()
  }
}

main().catch((e) => {
  process.stderr.write(`real-run failed: ${(e as Error).stack}\n`)
  process.exit(1)
})
