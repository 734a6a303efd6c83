// The app end to end in headless Chromium, against the production build, on the WebGPU backend
// (`?backend=webgpu` forces it; here the adapter is SwiftShader's, elsewhere a GPU): load, drag
// the LR schedule and the ε curve, train two tiny runs, compare, download, reload, import a
// broken checkpoint, open the study report, with no console error anywhere. The steps share one page and run in order; they also take the
// README's screenshots (written to docs/screenshots/ with UPDATE_SCREENSHOTS=1, see helpers.ts).
//
// Workloads are tiny because WebGPU on a software adapter is ~100x slower than on a GPU: ResNet-20,
// 8 and 4 training images in batches of 2 (4 and 2 steps), FGSM on 8 evaluation images.

import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Download, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseSafetensors, parseSafetensorsFile, readCheckpoint } from '../../src/core/checkpoint'
import { curveAt, epsAt, EPS_PRESETS, lrAt, lrMultiplier, PRESETS, type ControlPoint } from '../../src/core/schedule'
import type { HostTensor, StateDict } from '../../src/core/tensors'
import { epsCurveLabel } from '../../src/store/describe'
import type { Run } from '../../src/store/types'
import { buildAndServe, launchBrowser, REPO, SCREENSHOTS, storeState, watchErrors, type App, type Browser } from './helpers'

// A share link a user could open: FGSM on the first 8 test images keeps the baseline cheap.
const EVAL_SIZE = 8
const LINK = `#v=1&evalAttack.kind=fgsm&evalSize=${EVAL_SIZE}`
const PRETRAINED = join(REPO, 'public/weights/resnet20-12fca82f.th')

let app: App
let browser: Browser
let page: Page
let errors: string[]
const runIds: string[] = []
let draggedSchedule: ControlPoint[] = []
let draggedEps: ControlPoint[] = []
let run1Weights: Buffer | null = null

beforeAll(async () => {
  app = await buildAndServe()
  browser = await launchBrowser()
  page = await browser.context.newPage()
  errors = watchErrors(page)
  // Remembers whether the loading indicator was ever on screen (it may be gone before we look).
  await page.addInitScript(() => {
    const w = window as unknown as { __sawLoading: boolean }
    w.__sawLoading = false
    new MutationObserver(() => {
      if (document.querySelector('[data-testid=loading]')) w.__sawLoading = true
    }).observe(document, { childList: true, subtree: true })
  })
})

afterAll(async () => {
  await browser?.close()
  await app?.close()
})

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, name) })
const runs = () => storeState<Run[]>(page, '(s) => s.runOrder.map((id) => s.runs[id])')
const run = async (id: string) => (await runs()).find((r) => r.id === id)!

/** Fills a config field as a user types into it. */
async function fill(testId: string, value: string) {
  await page.fill(`[data-testid=${testId}]`, value)
  await expect.poll(() => page.inputValue(`[data-testid=${testId}]`)).toBe(value)
}

async function waitForRun(id: string, timeout: number) {
  await page.waitForSelector(`[data-testid=run-row][data-run="${id}"][data-status=done]`, { timeout })
}

/** Clicks Start and returns the new run's id. */
async function startRun(): Promise<string> {
  const before = new Set((await runs()).map((r) => r.id))
  await page.click('[data-testid=start-run]')
  await expect.poll(async () => (await runs()).length).toBe(before.size + 1)
  const id = (await runs()).find((r) => !before.has(r.id))!.id
  runIds.push(id)
  return id
}

/** Clicks a download button and returns every file it saves (the tfjs export saves two). */
async function download(selector: string, files: number): Promise<{ name: string; bytes: Buffer }[]> {
  const got: Download[] = []
  const onDownload = (d: Download) => got.push(d)
  page.on('download', onDownload)
  try {
    await page.click(selector)
    await expect.poll(() => got.length, { timeout: 30_000 }).toBe(files)
  } finally {
    page.off('download', onDownload)
  }
  return Promise.all(got.map(async (d) => ({ name: d.suggestedFilename(), bytes: readFileSync((await d.path())!) })))
}

/** The bytes of a run's tuned weights as the page holds them (memory or IndexedDB). */
async function pageWeights(id: string): Promise<Buffer> {
  const b64 = await page.evaluate(async (runId) => {
    const bytes = await (window as unknown as { advtune: { store: { getState(): { actions: { getWeights(id: string): Promise<ArrayBuffer | null> } } } } }).advtune.store
      .getState()
      .actions.getWeights(runId)
    if (!bytes) return null
    let s = ''
    const u = new Uint8Array(bytes)
    for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000))
    return btoa(s)
  }, id)
  expect(b64, `weights of run ${id}`).not.toBeNull()
  return Buffer.from(b64!, 'base64')
}

/** Run records as IndexedDB holds them right now (what a reload will read). */
const savedRuns = () =>
  page.evaluate(
    () =>
      new Promise<{ id: string; status: string; weights: string; steps: number }[]>((resolve, reject) => {
        const open = indexedDB.open('advtune')
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const req = open.result.transaction('runs').objectStore('runs').getAll()
          req.onsuccess = () => {
            resolve((req.result as Run[]).map((r) => ({ id: r.id, status: r.status, weights: r.weights, steps: r.steps.length })))
            open.result.close()
          }
          req.onerror = () => reject(req.error)
        }
      }),
  )

function expectSameTensors(a: StateDict, b: StateDict) {
  expect([...a.keys()]).toEqual([...b.keys()])
  for (const [name, t] of a) {
    const u = b.get(name)!
    expect(u.dtype, name).toBe(t.dtype)
    expect(u.shape, name).toEqual(t.shape)
    expect(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), `${name} bytes`).toBe(true)
  }
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

/** The (t, y) of every vertex of an editor's drawn curve ('schedule' or 'eps'), from its SVG path and the plot rectangle. */
async function drawnCurve(editor = 'schedule'): Promise<{ d: string; pts: ControlPoint[] }> {
  return page.evaluate((id) => {
    const path = document.querySelector(`[data-testid=${id}-curve]`)!
    const rect = document.querySelector(`[data-testid=${id}-editor] .plot-bg`)!
    const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((k) => Number(rect.getAttribute(k)))
    const d = path.getAttribute('d')!
    const nums = (d.match(/-?\d+(\.\d+)?(e-?\d+)?/g) ?? []).map(Number)
    const pts = []
    for (let i = 0; i + 1 < nums.length; i += 2) pts.push({ t: (nums[i] - x) / w, y: 1 - (nums[i + 1] - y) / h })
    return { d, pts }
  }, editor)
}

/** A real mouse drag of control point `i` of an editor to plot coordinates (t, y) (may lie outside the plot). */
async function dragPoint(editor: string, i: number, to: ControlPoint, before?: () => Promise<unknown>) {
  const plot = (await page.locator(`[data-testid=${editor}-editor] .plot-bg`).boundingBox())!
  const dot = (await page.locator(`[data-testid=${editor}-point-${i}] .cp-dot`).boundingBox())!
  const target = { x: plot.x + to.t * plot.width, y: plot.y + (1 - to.y) * plot.height }
  await page.mouse.move(dot.x + dot.width / 2, dot.y + dot.height / 2)
  await page.mouse.down()
  await page.mouse.move((dot.x + target.x) / 2, (dot.y + target.y) / 2, { steps: 8 })
  await page.mouse.move(target.x, target.y, { steps: 8 })
  await before?.()
  await page.mouse.up()
}

const epsCurve = () => storeState<ControlPoint[]>(page, '(s) => s.config.epsCurve')

describe('advtune in headless Chromium on WebGPU (production build)', () => {
  it('loads with a progress indicator, names the backend and shows the pretrained baseline point', async () => {
    await page.goto(`${app.url}?backend=webgpu${LINK}`)
    const badge = page.locator('[data-testid=backend-badge][data-backend]')
    await badge.waitFor({ timeout: 120_000 })
    expect(await badge.getAttribute('data-backend')).toBe('webgpu')
    expect(await badge.textContent()).toContain('WebGPU')

    await page.waitForSelector('[data-testid=baseline][data-status=ready]', { timeout: 300_000 })
    expect(await page.evaluate(() => (window as unknown as { __sawLoading: boolean }).__sawLoading)).toBe(true)
    const base = await storeState<{ clean: number; robust: number; evalSize: number }>(page, '(s) => Object.values(s.baselines).find((b) => b.status === "ready").point')
    expect(base.evalSize).toBe(EVAL_SIZE)
    expect(await page.textContent('[data-testid=baseline-clean]')).toBe(`${(base.clean * 100).toFixed(1)} %`)
    expect(await page.textContent('[data-testid=baseline-robust]')).toBe(`${(base.robust * 100).toFixed(1)} %`)
    // The pretrained net classifies these test images and FGSM at 8/255 fools it on most.
    expect(base.clean).toBeGreaterThanOrEqual(0.75)
    expect(base.robust).toBeLessThan(base.clean)

    // The baseline is the chart's starting point: two dots (clean, robust) at step 0.
    const chart = page.locator('[data-testid=accuracy-chart]')
    expect(await chart.getAttribute('data-baseline')).toBe('1')
    await expect.poll(() => chart.locator('.recharts-dot').count()).toBeGreaterThanOrEqual(2)
    expect(await page.locator('[data-testid=example-card]').count()).toBe(EVAL_SIZE)
    await page.click('[data-testid=notice-info] button') // "Settings loaded from the shared link."
    await shot('1-loaded.png')
  })

  it('a mouse drag of a control point reshapes the drawn curve, which is the schedule the next run uses', async () => {
    // A tiny run, configured in the form: 1 epoch of 8 images in batches of 2, FGSM-RS.
    await fill('cfg-epochs', '1')
    await fill('cfg-trainSize', '8')
    await fill('cfg-batchSize', '2')
    await page.selectOption('[data-testid=cfg-trainAttack]', 'fgsm-rs')
    await fill('cfg-evalEvery', '2')
    expect(await page.getAttribute('[data-testid=preset-slow-start-fast-decay]', 'aria-pressed')).toBe('true')

    const before = await drawnCurve()
    await page.evaluate(() => window.scrollTo(0, 0)) // the form scrolled the page; the editor is at the top
    const target = { t: 0.3, y: 0.7 } // from the default (0.5, 1)
    await dragPoint('schedule', 1, target, () => page.locator('[data-testid=schedule-card]').screenshot({ path: join(SCREENSHOTS, '2-schedule-drag.png') }))

    const schedule = await storeState<ControlPoint[]>(page, '(s) => s.schedule')
    expect(schedule).toHaveLength(4)
    expect(schedule[1].t).toBeCloseTo(target.t, 2)
    expect(schedule[1].y).toBeCloseTo(target.y, 2)
    expect(schedule.filter((_, i) => i !== 1)).toEqual(PRESETS['slow-start-fast-decay'].points.filter((_, i) => i !== 1))
    expect(await page.getAttribute('[data-testid=preset-slow-start-fast-decay]', 'aria-pressed')).toBe('false')

    // The curve on screen changed and is lrMultiplier of the dragged points at every vertex.
    const after = await drawnCurve()
    expect(after.d).not.toBe(before.d)
    expect(after.pts.length).toBeGreaterThan(100)
    for (const p of after.pts) expect(p.y).toBeCloseTo(lrMultiplier(schedule, p.t), 3)
    expect(after.pts.some((p) => Math.abs(p.t - schedule[1].t) < 1e-3 && Math.abs(p.y - schedule[1].y) < 1e-3)).toBe(true)
    draggedSchedule = schedule
  })

  it('the ε editor: a drag reshapes the ε curve; a point never rises above ε_max and the curve keeps two points', async () => {
    await page.evaluate(() => window.scrollTo(0, 0))
    // The default ε curve is a ramp; this test starts from full ε throughout.
    await page.click('[data-testid=eps-preset-constant]')
    expect(await epsCurve()).toEqual(EPS_PRESETS.constant.points)
    expect(await page.getAttribute('[data-testid=eps-preset-constant]', 'aria-pressed')).toBe('true')
    const before = await drawnCurve('eps')

    // The start (pinned at t = 0) dragged down to a quarter of ε_max: ε ramps from 2/255 to 8/255.
    await dragPoint('eps', 0, { t: 0.2, y: 0.25 })
    let curve = await epsCurve()
    expect(curve).toHaveLength(2)
    expect(curve[0].t).toBe(0)
    expect(curve[0].y).toBeCloseTo(0.25, 2)
    expect(curve[1]).toEqual({ t: 1, y: 1 })

    // A point added by double-click and dragged far above the plot stops at ε_max.
    const plot = (await page.locator('[data-testid=eps-editor] .plot-bg').boundingBox())!
    await page.mouse.dblclick(plot.x + 0.5 * plot.width, plot.y + 0.8 * plot.height)
    expect(await epsCurve()).toHaveLength(3)
    await dragPoint('eps', 1, { t: 0.5, y: 1.6 })
    curve = await epsCurve()
    expect(curve[1].y).toBe(1)
    expect(await page.getAttribute('[data-testid=eps-point-1]', 'aria-valuenow')).toBe('8')
    expect(await page.textContent('[data-testid=eps-readout]')).toMatch(/^Point 2: ε 8\/255 \(100 % of ε_max\)/)
    // Delete removes it; the pinned ends stay, so the curve never has fewer than two points.
    await page.focus('[data-testid=eps-point-1]')
    await page.keyboard.press('Delete')
    expect(await epsCurve()).toHaveLength(2)
    for (const i of [0, 1]) {
      await page.focus(`[data-testid=eps-point-${i}]`)
      await page.keyboard.press('Delete')
      expect(await epsCurve()).toHaveLength(2)
      expect(await page.isDisabled('[data-testid=eps-remove-point]')).toBe(true)
    }
    await page.locator('[data-testid=eps-card]').screenshot({ path: join(SCREENSHOTS, '2b-eps-curve.png') })

    // The drawn curve is the trainer's curveAt of the points at every vertex.
    draggedEps = await epsCurve()
    const after = await drawnCurve('eps')
    expect(after.d).not.toBe(before.d)
    for (const p of after.pts) expect(p.y).toBeCloseTo(curveAt(draggedEps, p.t), 3)
    expect(await page.getAttribute('[data-testid=eps-preset-constant]', 'aria-pressed')).toBe('false')
  })

  it('a tiny run trains to the end on WebGPU: chart points arrive, previews render, progress reaches 100 %', async () => {
    const id = await startRun()
    // The run froze the curve at Start: switching the editor to Constant now must not touch it.
    // (The screenshots below show both: the editor's new curve, the run's LR chart the dragged one.)
    await page.click('[data-testid=preset-constant]')
    await page.click('[data-testid=eps-preset-constant]')
    expect(await storeState<ControlPoint[]>(page, '(s) => s.schedule')).toEqual(PRESETS.constant.points)
    expect(await epsCurve()).toEqual(EPS_PRESETS.constant.points)
    expect((await run(id)).schedule).toEqual(draggedSchedule)
    expect((await run(id)).config.epsCurve).toEqual(draggedEps)

    // Mid-run (on a software adapter steps take seconds; a GPU may already be done): the step-2
    // evaluation and previews are in.
    await page.waitForFunction(
      (rid) => {
        const r = (window as unknown as { advtune: { store: { getState(): { runs: Record<string, Run> } } } }).advtune.store.getState().runs[rid]
        return r.evals.some((e) => e.step === 2) && (r.examples?.step ?? 0) >= 2
      },
      id,
      { timeout: 300_000, polling: 250 },
    )
    expect(Number(await page.getAttribute('[data-testid=run-progress]', 'aria-valuenow'))).toBeGreaterThanOrEqual(50)
    await page.waitForTimeout(400) // the charts redraw at most every 250 ms
    await shot('3-run-in-progress.png')

    await waitForRun(id, 300_000)
    const r = await run(id)
    expect(r.status).toBe('done')
    expect(r.totalSteps).toBe(4)
    expect(await page.getAttribute('[data-testid=backend-badge]', 'data-backend')).toBe('webgpu')
    expect(await page.getAttribute('[data-testid=run-progress]', 'aria-valuenow')).toBe('100')

    // The LR of every step is the dragged curve's, frozen at the start (not Constant's).
    expect(r.schedule).toEqual(draggedSchedule)
    expect(r.steps.map((s) => s.step)).toEqual([1, 2, 3, 4])
    for (const s of r.steps) expect(s.lr).toBeCloseTo(lrAt(draggedSchedule, r.config.peakLr, s.step - 1, 4), 12)
    const presetLrs = r.steps.map((s) => lrAt(PRESETS['slow-start-fast-decay'].points, r.config.peakLr, s.step - 1, 4))
    expect(r.steps.some((s, k) => Math.abs(s.lr - presetLrs[k]) > 1e-3)).toBe(true)
    // Likewise the ε of every step is the dragged ε curve's (ε_max 8/255), not the constant one's.
    expect(r.config.epsCurve).toEqual(draggedEps)
    for (const s of r.steps) expect(s.eps255).toBeCloseTo(epsAt(draggedEps, 8, s.step - 1, 4), 12)
    expect(r.steps[0].eps255).toBeLessThan(8 - 1)

    // Charts: accuracy at steps 0, 2, 4; loss and LR at every step (the LR line also at 0).
    expect(r.evals.map((e) => e.step)).toEqual([0, 2, 4])
    await expect.poll(() => page.getAttribute('[data-testid=accuracy-chart]', 'data-points')).toBe('3')
    expect(await page.getAttribute('[data-testid=loss-chart]', 'data-points')).toBe('4')
    expect(await page.getAttribute('[data-testid=lr-chart]', 'data-points')).toBe('5')
    expect(await page.getAttribute('[data-testid=eps255-chart]', 'data-points')).toBe('5')
    for (const [chart, curve] of [
      ['accuracy-chart', 'recharts-line-curve'],
      ['loss-chart', 'line-curve'],
      ['lr-chart', 'line-curve'],
      ['eps255-chart', 'line-curve'],
    ]) {
      const lens = await page.locator(`[data-testid=${chart}] path.${curve}`).evaluateAll((ps) => ps.map((p) => (p as SVGPathElement).getTotalLength()))
      expect(Math.max(...lens), chart).toBeGreaterThan(50)
    }

    // Previews of the final model: 8 images, each with clean / perturbation / adversarial
    // canvases actually drawn, and the before / now predictions.
    expect(await page.textContent('[data-testid=previews-caption]')).toContain('at step 4')
    const cards = page.locator('[data-testid=example-grid] [data-testid=example-card]')
    expect(await cards.count()).toBe(EVAL_SIZE)
    expect(await cards.first().locator('.pred').count()).toBe(3)
    const drawn = await page.locator('[data-testid=example-grid] canvas').evaluateAll((cs) =>
      cs.map((c) => {
        const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 32, 32).data
        const values = new Set<number>()
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] === 255) values.add(d[i] * 65536 + d[i + 1] * 256 + d[i + 2])
        return values.size
      }),
    )
    // Per card: clean, perturbation, adversarial. Photos have hundreds of colours; the amplified
    // FGSM perturbation (±ε per channel, clipped at the pixel range) a handful, but not one flat grey.
    expect(drawn).toHaveLength(3 * EVAL_SIZE)
    for (let k = 0; k < drawn.length; k += 3) {
      expect(drawn[k]).toBeGreaterThan(100)
      expect(drawn[k + 1]).toBeGreaterThan(3)
      expect(drawn[k + 2]).toBeGreaterThan(100)
    }
    await shot('4-run-finished.png')
    await page.locator('section.previews-card').screenshot({ path: join(SCREENSHOTS, '5-previews.png') })
  })

  it('a second run with another schedule appears with the first in the comparison; downloads read back identical', async () => {
    // The editor already shows Constant (clicked during run 1); a shorter PGD-1 run.
    await fill('cfg-trainSize', '4')
    await page.selectOption('[data-testid=cfg-trainAttack]', 'pgd')
    await fill('cfg-trainSteps', '1')
    await fill('cfg-evalEvery', '1')
    const id = await startRun()
    await waitForRun(id, 300_000)
    const [r1, r2] = await Promise.all(runIds.map(run))
    expect(r2.schedule).toEqual(PRESETS.constant.points)
    for (const s of r2.steps) expect(s.lr).toBe(r2.config.peakLr)
    for (const s of r2.steps) expect(s.eps255).toBe(8)

    // Both runs are ticked for the charts and the comparison.
    const rows = page.locator('[data-testid=compare-table] [data-testid=compare-row]')
    await expect.poll(() => rows.count()).toBe(2)
    expect(await rows.evaluateAll((rs) => rs.map((x) => x.getAttribute('data-run')))).toEqual(runIds)
    // The thumbnails draw run 1's ε curve (dashed) beside its LR schedule; run 2 trained at full ε.
    expect(await rows.evaluateAll((rs) => rs.map((x) => x.querySelectorAll('[data-testid=eps-thumb]').length))).toEqual([1, 0])
    expect(await rows.first().textContent()).toContain(epsCurveLabel(r1.config)!)
    expect(await page.locator('[data-testid=chart-legend] .legend-item').count()).toBe(2)
    // Overlaid on one step axis: run 1 evaluated at steps 0, 2, 4 and run 2 at 0, 1, 2.
    await expect.poll(() => page.getAttribute('[data-testid=accuracy-chart]', 'data-points')).toBe('4')
    const winner = page.locator('[data-testid=compare-row]:has([data-testid=winner])')
    expect(await winner.count()).toBe(1)
    const best = [r1, r2].reduce((a, b) => {
      const fa = a.evals.at(-1)!
      const fb = b.evals.at(-1)!
      return fb.robust > fa.robust || (fb.robust === fa.robust && fb.clean > fa.clean) ? b : a
    })
    expect(await winner.getAttribute('data-run')).toBe(best.id)
    await page.locator('[data-testid=compare]').screenshot({ path: join(SCREENSHOTS, '6-comparison.png') })

    // safetensors: the downloaded file is the run's weights, read by the project's parser.
    const row1 = `[data-testid=run-row][data-run="${r1.id}"]`
    const [st] = await download(`${row1} [data-testid=download-safetensors]`, 1)
    expect(st.name).toMatch(/^advtune-run-1-resnet20-clean\d+\.\d-robust\d+\.\d\.safetensors$/)
    run1Weights = await pageWeights(r1.id)
    const file = parseSafetensorsFile(new Uint8Array(st.bytes))
    expect(file.metadata.run).toBe(r1.id)
    const tuned = parseSafetensors(new Uint8Array(st.bytes))
    expectSameTensors(tuned, parseSafetensors(new Uint8Array(run1Weights)))

    // Same names and shapes as the pretrained checkpoint, and fine-tuning moved the weights.
    const pretrained = readCheckpoint(new Uint8Array(readFileSync(PRETRAINED)))
    // (plus BatchNorm's num_batches_tracked, which this older checkpoint does not carry).
    expect([...tuned.keys()].filter((k) => !k.endsWith('.num_batches_tracked')).sort()).toEqual([...pretrained.keys()].sort())
    for (const [name, t] of pretrained) expect(tuned.get(name)!.shape, name).toEqual(t.shape)
    const conv = 'layer1.0.conv1.weight'
    const moved = (tuned.get(conv)!.data as Float32Array).some((v, i) => v !== (pretrained.get(conv)!.data as Float32Array)[i])
    expect(moved).toBe(true)
    expect((tuned.get('bn1.num_batches_tracked')!.data as BigInt64Array)[0]).toBe(4n) // one BN update per step

    // tfjs format: model.json + weights.bin, decoded by tfjs itself, equal to the same tensors
    // in tfjs layout (conv OIHW → HWIO, linear [out, in] → [in, out]).
    const tfjsFiles = await download(`${row1} [data-testid=download-tfjs]`, 2)
    const json = tfjsFiles.find((f) => f.name.endsWith('.model.json'))!
    const bin = tfjsFiles.find((f) => f.name.endsWith('.weights.bin'))!
    expect(json.name.replace('.model.json', '')).toBe(st.name.replace('.safetensors', ''))
    const manifest = JSON.parse(json.bytes.toString('utf8')) as { weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[] }
    expect(manifest.weightsManifest[0].paths).toEqual([bin.name])
    const tf = await import('@tensorflow/tfjs-core')
    await import('@tensorflow/tfjs-backend-cpu')
    await tf.setBackend('cpu')
    const decoded = tf.io.decodeWeights(new Uint8Array(bin.bytes).buffer, manifest.weightsManifest[0].weights as Parameters<typeof tf.io.decodeWeights>[1])
    expect(Object.keys(decoded).sort()).toEqual([...tuned.keys()].sort())
    for (const [name, t] of tuned) {
      const got = decoded[name]
      expect(got.shape, name).toEqual(tfjsShape(t))
      expect(Array.from(got.dataSync()), name).toEqual(Array.from(tfjsLayout(t)))
    }
    tf.dispose(Object.values(decoded))

    // The history as JSON carries the frozen schedule and the LR of every step.
    const [hist] = await download(`${row1} [data-testid=download-json]`, 1)
    const doc = JSON.parse(hist.bytes.toString('utf8')) as { schedule: ControlPoint[]; steps: { step: number; lr: number }[]; evals: { step: number }[] }
    expect(doc.schedule).toEqual(draggedSchedule)
    expect(doc.steps.map((s) => s.lr)).toEqual(r1.steps.map((s) => s.lr))
    expect(doc.evals.map((e) => e.step)).toEqual([0, 2, 4])
  })

  it('a reload keeps both runs, their histories and weights; a corrupt checkpoint import changes nothing', async () => {
    // Wait until IndexedDB holds both finished runs with their weights.
    await expect.poll(async () => (await savedRuns()).filter((r) => r.status === 'done' && r.weights === 'saved').length, { timeout: 30_000 }).toBe(2)
    const beforeRuns = await runs()
    await page.reload()
    await page.waitForSelector('[data-testid=baseline][data-status=ready]', { timeout: 300_000 })
    expect(await page.getAttribute('[data-testid=backend-badge]', 'data-backend')).toBe('webgpu')
    const after = await runs()
    expect(after.map((r) => [r.id, r.name, r.status, r.weights])).toEqual(beforeRuns.map((r) => [r.id, r.name, 'done', 'saved']))
    for (const [k, r] of after.entries()) {
      expect(r.steps).toEqual(beforeRuns[k].steps)
      expect(r.evals).toEqual(beforeRuns[k].evals)
      expect(r.schedule).toEqual(beforeRuns[k].schedule)
    }
    expect(await page.locator('[data-testid=run-row]').count()).toBe(2)
    await expect.poll(() => page.locator('[data-testid=compare-row]').count()).toBe(2)
    expect(sha(await pageWeights(runIds[0]))).toBe(sha(run1Weights!))

    // A truncated checkpoint: the message names the file and the problem; nothing changes.
    const model = await storeState<unknown>(page, '(s) => ({ base: s.baseModel, gen: s.modelGen, config: s.config })')
    const broken = readFileSync(PRETRAINED).subarray(0, 500_000)
    await page.setInputFiles('[data-testid=import-input]', { name: 'resnet20-broken.th', mimeType: 'application/octet-stream', buffer: broken })
    const message = page.locator('[data-testid=import-error]')
    await message.waitFor({ timeout: 60_000 })
    const text = (await message.textContent())!
    expect(text).toContain('resnet20-broken.th')
    expect(text).toMatch(/truncated or corrupt/)
    expect(text).toContain('unchanged')
    await expect.poll(() => storeState<string | null>(page, '(s) => s.modelOp && s.modelOp.kind')).toBeNull()
    expect(await storeState<unknown>(page, '(s) => ({ base: s.baseModel, gen: s.modelGen, config: s.config })')).toEqual(model)
    expect((await runs()).map((r) => [r.id, r.status, r.weights])).toEqual(after.map((r) => [r.id, r.status, r.weights]))
    expect(await page.inputValue('[data-testid=model-select]')).toBe('resnet20')
    expect(await page.locator('[data-testid=run-row]').count()).toBe(2)
    await page.evaluate(() => window.scrollTo(0, 0))
    await shot('7-import-error.png')
  })

  it('links to the study report, which the production build serves at /study/', async () => {
    const href = (await page.getAttribute('[data-testid=study-link]', 'href'))!
    expect(href).toBe('/study/')
    const report = await browser.context.newPage()
    const reportErrors = watchErrors(report)
    const res = await report.goto(new URL(href, app.url).href)
    expect(res?.status()).toBe(200)
    const state = await report.getAttribute('main', 'data-report')
    if (existsSync(join(REPO, 'docs/study/README.md'))) {
      expect(state).toBe('ready')
      expect(await report.locator('h1').count()).toBeGreaterThan(0)
      // Every chart of the report loads from beside it.
      const images = await report.locator('main img').evaluateAll((imgs) =>
        Promise.all(
          imgs.map((i) =>
            (i as HTMLImageElement).decode().then(
              () => (i as HTMLImageElement).naturalWidth,
              () => 0,
            ),
          ),
        ),
      )
      for (const w of images) expect(w).toBeGreaterThan(0)
    } else expect(state).toBe('missing')
    // Its way back is the app's page (not followed: a second app would start a second worker).
    expect(new URL((await report.getAttribute('nav a', 'href'))!, report.url()).href).toBe(app.url)
    await report.close()
    expect(reportErrors).toEqual([])
  })

  it('logged no console error and no uncaught exception throughout', async () => {
    expect(await page.locator('[data-testid=worker-crashed]').count()).toBe(0)
    expect(await page.locator('[data-testid=notice-error]').count()).toBe(0)
    expect(errors).toEqual([])
  })
})

/** tfjs layout of a PyTorch tensor, written out independently of src/core/export. */
function tfjsShape(t: HostTensor): number[] {
  if (t.shape.length === 4) return [t.shape[2], t.shape[3], t.shape[1], t.shape[0]]
  if (t.shape.length === 2) return [t.shape[1], t.shape[0]]
  return t.shape
}

function tfjsLayout(t: HostTensor): Float32Array | Int32Array {
  const src = t.dtype === 'I64' ? Int32Array.from(t.data as BigInt64Array, Number) : (t.data as Float32Array)
  const out = new (src instanceof Int32Array ? Int32Array : Float32Array)(src.length)
  if (t.shape.length === 4) {
    const [O, I, H, W] = t.shape
    for (let o = 0; o < O; o++)
      for (let i = 0; i < I; i++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) out[h * W * I * O + w * I * O + i * O + o] = src[o * I * H * W + i * H * W + h * W + w]
    return out
  }
  if (t.shape.length === 2) {
    const [O, I] = t.shape
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) out[i * O + o] = src[o * I + i]
    return out
  }
  out.set(src)
  return out
}
