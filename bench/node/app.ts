// The real app in headless Chromium, from a production build: the JS it ships, start-up (navigation
// → backend ready → model ready → baseline evaluation shown), and main-thread responsiveness while
// a run trains in the worker (longest task via PerformanceObserver 'longtask', frames per second via
// requestAnimationFrame counting, while step messages stream into the live charts).

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { extname, join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'vite'
import type { RunConfig } from '../../src/core/config'
import { REPO } from './assets'
import { launchChromium, pipeConsole, servePreview } from './browser'

export interface ShippedFile {
  file: string
  bytes: number
  gzipBytes: number
}

export interface AppMetrics {
  search: string // the page's query string ('' for the defaults)
  buildMs: number
  shipped: { js: ShippedFile[]; jsBytes: number; jsGzipBytes: number; wasmBytes: number; cssBytes: number }
  pageJsTransferBytes: number // JS bytes sent to the page's main thread before the baseline (as served; the worker's own requests are not seen)
  backend: string
  adapter: string
  startup: { firstContentfulPaintMs: number | null; backendReadyMs: number; modelReadyMs: number; baselineMs: number }
  startupLongestTaskMs: number
  training: {
    config: Partial<RunConfig>
    windowMs: number
    steps: number // step messages received in the window
    longestTaskMs: number
    longTasks: number // tasks over 50 ms in the window
    tasks: { atMs: number; durationMs: number; updates: string[] }[] // each, with the store updates inside it
    fps: number
    worstFrameGapMs: number
  }
  idle: { windowMs: number; fps: number; longestTaskMs: number } // the same page before training, for context
}

/** Every file of the build under assets/, by kind (the worker and WASM files included). */
function shippedFiles(outDir: string): AppMetrics['shipped'] {
  const files: string[] = []
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f)
      if (statSync(p).isDirectory()) walk(p)
      else files.push(p)
    }
  }
  walk(join(outDir, 'assets'))
  const js = files
    .filter((f) => ['.js', '.mjs'].includes(extname(f)))
    .map((f) => {
      const b = readFileSync(f)
      return { file: relative(outDir, f), bytes: b.length, gzipBytes: gzipSync(b, { level: 9 }).length }
    })
    .sort((a, b) => b.bytes - a.bytes)
  const size = (ext: string) => files.filter((f) => extname(f) === ext).reduce((a, f) => a + statSync(f).size, 0)
  return { js, jsBytes: js.reduce((a, f) => a + f.bytes, 0), jsGzipBytes: js.reduce((a, f) => a + f.gzipBytes, 0), wasmBytes: size('.wasm'), cssBytes: size('.css') }
}

// Runs in the page before any of its scripts: collects long tasks, counts frames, and stamps the
// moments the store reaches each start-up stage (performance.now() counts from navigation start).
// A string, not a function: tsx's transform wraps inner functions in a helper the page lacks.
const PROBE = `(() => {
  const p = { marks: {}, longTasks: [], frames: [], updates: [] }
  window.__probe = p
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) p.longTasks.push({ start: e.startTime, duration: e.duration })
  }).observe({ type: 'longtask', buffered: true })
  const frame = (t) => { p.frames.push(t); requestAnimationFrame(frame) }
  requestAnimationFrame(frame)
  const mark = (k) => { if (p.marks[k] === undefined) p.marks[k] = performance.now() }
  let prev = null
  const check = (s) => {
    // Which parts of the state changed, so long tasks can be matched to the updates inside them.
    if (prev) for (const k of ['live', 'runs', 'baselines', 'notices']) if (s[k] !== prev[k]) p.updates.push({ t: performance.now(), what: k })
    prev = s
    if (s.worker.status === 'ready') mark('backendReady')
    if (s.baseModel) mark('modelReady')
    if (Object.values(s.baselines).some((b) => b.status === 'ready')) mark('baseline')
    if (s.worker.status === 'crashed') mark('crashed')
  }
  const watch = () => {
    const store = window.advtune && window.advtune.store
    if (!store) return setTimeout(watch, 5)
    check(store.getState())
    store.subscribe(check)
  }
  watch()
})()`

interface Probe {
  marks: Record<string, number>
  longTasks: { start: number; duration: number }[]
  frames: number[]
  updates: { t: number; what: string }[] // store changes: 'live' (step messages), 'runs' (evals, examples, status)…
}

/** Frames per second, worst gap between frames, and long tasks within [from, to) (page ms). */
function window_(p: Probe, from: number, to: number) {
  const frames = p.frames.filter((t) => t >= from && t < to)
  let gap = 0
  for (let i = 1; i < frames.length; i++) gap = Math.max(gap, frames[i] - frames[i - 1])
  const tasks = p.longTasks.filter((t) => t.start >= from && t.start < to)
  // Each long task with the store updates that happened inside it (what the page was rendering).
  const attributed = tasks.map((t) => ({
    atMs: t.start - from,
    durationMs: t.duration,
    updates: [...new Set(p.updates.filter((u) => u.t >= t.start && u.t <= t.start + t.duration).map((u) => u.what))],
  }))
  return { fps: (frames.length / (to - from)) * 1000, worstFrameGapMs: gap, longestTaskMs: Math.max(0, ...tasks.map((t) => t.duration)), longTasks: tasks.length, tasks: attributed }
}

// Steps of a few seconds on one WASM thread, so step messages and a small evaluation reach the
// charts inside the window; everything else as the app's defaults.
export const TRAINING: Partial<RunConfig> = { batchSize: 32, trainSize: 4096, epochs: 1, evalEvery: 8, evalSize: 100 }

/** `search` is the page's query string, e.g. '?threads=1' (one training thread, no attack helper). */
export async function measureApp(opts: { windowMs: number; log: (s: string) => void; timeoutMs?: number; search?: string }): Promise<AppMetrics> {
  const { log } = opts
  const outDir = mkdtempSync(join(tmpdir(), 'advtune-bench-dist-'))
  let served: Awaited<ReturnType<typeof servePreview>> | null = null
  let browser: Awaited<ReturnType<typeof launchChromium>> | null = null
  try {
    const t0 = performance.now()
    log('building the app (vite build)…')
    // The production build, as `npm run build` makes it. Vite's dev server (the Chromium part of
    // the same bench process) sets NODE_ENV=development, and a build inherits it: React's
    // development bundle, 250 KB more JS and slower renders, measured as if it were the app.
    const nodeEnv = process.env.NODE_ENV
    process.env.NODE_ENV = 'production'
    try {
      await build({
        configFile: join(REPO, 'vite.config.ts'),
        root: REPO,
        mode: 'production',
        logLevel: 'warn',
        clearScreen: false,
        build: { outDir, emptyOutDir: true, reportCompressedSize: false, chunkSizeWarningLimit: 10_000 },
      })
    } finally {
      if (nodeEnv === undefined) delete process.env.NODE_ENV
      else process.env.NODE_ENV = nodeEnv
    }
    const buildMs = performance.now() - t0
    const shipped = shippedFiles(outDir)
    served = await servePreview(outDir)
    browser = await launchChromium()
    const page = await browser.context.newPage()
    pipeConsole(page, 'app', (s) => log(s.slice(0, 300)))
    let pageJsTransferBytes = 0
    browser.context.on('requestfinished', (r) => {
      if (/\.m?js(\?|$)/.test(r.url())) void r.sizes().then((s) => (pageJsTransferBytes += s.responseBodySize))
    })
    await page.addInitScript({ content: PROBE })
    // An uncaught page error ends the measurement at once instead of at the timeout.
    const pageError = new Promise<never>((_, rej) => page.once('pageerror', (e) => rej(new Error(`the app threw: ${e.message}`))))
    pageError.catch(() => {})
    await page.goto(served.url + (opts.search ?? ''), { timeout: 120_000 })
    const timeout = opts.timeoutMs ?? 600_000
    log('waiting for the baseline evaluation…')
    await Promise.race([
      pageError,
      page.waitForFunction(
        () => {
          const m = (window as unknown as { __probe: Probe }).__probe.marks
          return m.baseline !== undefined || m.crashed !== undefined
        },
        null,
        { timeout, polling: 250 },
      ),
    ])
    const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null)
    const worker = await page.evaluate(() => {
      const s = (window as unknown as { advtune: { store: { getState(): { worker: { backend: string; adapter: string; error: string | null } } } } }).advtune.store.getState()
      return s.worker
    })
    let probe = await page.evaluate(() => (window as unknown as { __probe: Probe }).__probe)
    if (probe.marks.crashed !== undefined) throw new Error(`the app's worker crashed: ${worker.error}`)
    const startup = { firstContentfulPaintMs: fcp, backendReadyMs: probe.marks.backendReady, modelReadyMs: probe.marks.modelReady, baselineMs: probe.marks.baseline }
    const startupLongestTaskMs = Math.max(0, ...probe.longTasks.filter((t) => t.start <= probe.marks.baseline).map((t) => t.duration))
    log(`start-up: backend ${worker.backend} at ${startup.backendReadyMs.toFixed(0)} ms, model at ${startup.modelReadyMs.toFixed(0)} ms, baseline at ${startup.baselineMs.toFixed(0)} ms`)

    // Idle page for context, then a run; the window opens at the run's first step.
    const idleFrom = await page.evaluate(() => performance.now())
    await page.waitForTimeout(5000)
    const idleTo = await page.evaluate(() => performance.now())
    const runId = await page.evaluate((cfg) => {
      const { store } = (window as unknown as { advtune: { store: { getState(): { actions: { setConfig(f: (c: RunConfig) => RunConfig): void; startRun(): string | null } } } } }).advtune
      store.getState().actions.setConfig((c) => ({ ...c, ...cfg }))
      return store.getState().actions.startRun()
    }, TRAINING)
    if (!runId) throw new Error('the app would not start a run')
    log(`run ${runId} started; waiting for its first step…`)
    const stepsOf = () =>
      page.evaluate((id) => {
        const s = (
          window as unknown as { advtune: { store: { getState(): { live: Record<string, { step: number } | undefined>; runs: Record<string, { status: string }> } } } }
        ).advtune.store.getState()
        return { step: s.live[id]?.step ?? 0, status: s.runs[id]?.status ?? 'unknown' }
      }, runId)
    await page.waitForFunction(
      (id) => {
        const s = (window as unknown as { advtune: { store: { getState(): { live: Record<string, { step: number } | undefined> } } } }).advtune.store.getState()
        return (s.live[id]?.step ?? 0) >= 1
      },
      runId,
      { timeout, polling: 250 },
    )
    const first = await stepsOf()
    const from = await page.evaluate(() => performance.now())
    await page.waitForTimeout(opts.windowMs)
    const to = await page.evaluate(() => performance.now())
    const last = await stepsOf()
    probe = await page.evaluate(() => (window as unknown as { __probe: Probe }).__probe)
    await page.evaluate((id) => {
      ;(window as unknown as { advtune: { store: { getState(): { actions: { stopRun(id: string): void } } } } }).advtune.store.getState().actions.stopRun(id)
    }, runId)
    const idle = window_(probe, idleFrom, idleTo)
    const busy = window_(probe, from, to)
    return {
      search: opts.search ?? '',
      buildMs,
      shipped,
      pageJsTransferBytes,
      backend: worker.backend,
      adapter: worker.adapter,
      startup,
      startupLongestTaskMs,
      training: { config: TRAINING, windowMs: to - from, steps: last.step - first.step, ...busy },
      idle: { windowMs: idleTo - idleFrom, fps: idle.fps, longestTaskMs: idle.longestTaskMs },
    }
  } finally {
    await browser?.close()
    await served?.close()
    rmSync(outDir, { recursive: true, force: true })
  }
}
