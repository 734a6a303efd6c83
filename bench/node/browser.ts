// Serving the pages and driving headless Chromium, for the benchmark and the browser tests: a Vite
// dev server (or a preview of a build) with the COOP/COEP headers of vite.config.ts on a free
// localhost port, and Debian's Chromium through playwright-core with a fresh profile.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { createServer, preview, type InlineConfig } from 'vite'
import { CHROMIUM, CHROMIUM_ARGS, freePort } from '../../scripts/lib/chromium'
import { REPO } from './assets'

export interface Served {
  url: string // origin with a trailing '/'
  close(): Promise<void>
}

const base = (port: number): InlineConfig => ({
  configFile: join(REPO, 'vite.config.ts'),
  root: REPO,
  logLevel: 'warn',
  clearScreen: false,
  server: { port, strictPort: true, host: '127.0.0.1', hmr: false, watch: null },
  preview: { port, strictPort: true, host: '127.0.0.1' },
  // Pre-bundle the bench page's dependencies up front: a discovery mid-run would reload the page.
  optimizeDeps: { entries: ['bench/page/index.html', 'index.html'] },
})

/** Vite's dev server over the working tree (no build step; pages transform on first request). */
export async function serveDev(): Promise<Served> {
  const port = await freePort()
  const server = await createServer(base(port))
  await server.listen()
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() }
}

/** `vite preview` of an existing build in `outDir` (see build.ts). */
export async function servePreview(outDir: string): Promise<Served> {
  const port = await freePort()
  const server = await preview({ ...base(port), build: { outDir } })
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise<void>((res) => server.httpServer.close(() => res())) }
}

export interface Browser {
  context: BrowserContext
  close(): Promise<void>
}

/** Headless Chromium with a throw-away profile; never downloads a browser. */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'advtune-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  })
  return {
    context,
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

/** Forwards a page's console and errors to `log`, prefixed with `tag`. */
export function pipeConsole(page: Page, tag: string, log: (s: string) => void): void {
  page.on('console', (m) => log(`[${tag}] ${m.text()}`))
  page.on('pageerror', (e) => log(`[${tag}] page error: ${e.message}`))
}

interface BenchState {
  status: 'running' | 'done' | 'error'
  result?: unknown
  error?: string
}

/** Opens the bench page (bench/page/index.html) with `params` and waits for its result (throws the page's error). */
export async function runBenchPage<T>(browser: Browser, served: Served, params: Record<string, string | number>, opts: { timeoutMs: number; log?: (s: string) => void; tag?: string }): Promise<T> {
  const page = await browser.context.newPage()
  if (opts.log) pipeConsole(page, opts.tag ?? String(params.backend ?? 'page'), opts.log)
  try {
    const qs = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]))
    await page.goto(`${served.url}bench/page/index.html?${qs}`, { timeout: 120_000 })
    await page.waitForFunction(
      () => {
        const s = (window as unknown as { advtuneBench?: BenchState }).advtuneBench
        return s !== undefined && s.status !== 'running'
      },
      null,
      {
        timeout: opts.timeoutMs,
        polling: 500,
      },
    )
    const state = await page.evaluate(() => (window as unknown as { advtuneBench: BenchState }).advtuneBench)
    if (state.status === 'error') throw new Error(`bench page (${qs}): ${state.error}`)
    return state.result as T
  } finally {
    await page.close()
  }
}
