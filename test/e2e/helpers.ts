// Shared by the end-to-end tests: builds the app into a temporary folder, serves it with
// `vite preview` (the COOP/COEP headers of vite.config.ts), drives Debian's Chromium with WebGPU
// enabled through playwright-core, and records every console error and uncaught page error.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { build, preview } from 'vite'
import { CHROMIUM, CHROMIUM_ARGS, freePort } from '../../scripts/lib/chromium'

export const REPO = resolve(import.meta.dirname, '../..')
/**
 * Where the tests save their screenshots: the README's (docs/screenshots) with
 * UPDATE_SCREENSHOTS=1, else git-ignored test-results/, so a test run leaves the tree clean.
 */
export const SCREENSHOTS = join(REPO, process.env.UPDATE_SCREENSHOTS ? 'docs/screenshots' : 'test-results/e2e-screenshots')
mkdirSync(SCREENSHOTS, { recursive: true })

export interface App {
  url: string // origin with a trailing '/'
  close(): Promise<void>
}

/** `vite build` of the working tree (public/ data and weights included), then `vite preview` of it. */
export async function buildAndServe(): Promise<App> {
  const outDir = mkdtempSync(join(tmpdir(), 'advtune-e2e-dist-'))
  const common = { configFile: join(REPO, 'vite.config.ts'), root: REPO, logLevel: 'warn' as const, clearScreen: false }
  await build({ ...common, build: { outDir, emptyOutDir: true, reportCompressedSize: false, chunkSizeWarningLimit: 4000, rolldownOptions: { checks: { bundlerTimings: false } } } })
  const port = await freePort()
  const server = await preview({ ...common, build: { outDir }, preview: { port, strictPort: true, host: '127.0.0.1' } })
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      await new Promise<void>((r) => server.httpServer.close(() => r()))
      rmSync(outDir, { recursive: true, force: true })
    },
  }
}

export interface Browser {
  context: BrowserContext
  close(): Promise<void>
}

/** Chromium with a fresh profile that lives until close(), so IndexedDB survives reloads. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'advtune-e2e-profile-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, // never download a browser
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    acceptDownloads: true,
  })
  return {
    context,
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

/** Records console errors and uncaught exceptions of a page (and of its workers). */
export function watchErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()} (${m.location().url}:${m.location().lineNumber})`)
  })
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`))
  page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && errors.push(`worker console.error: ${m.text()}`)))
  page.on('crash', () => errors.push('the page crashed'))
  return errors
}

/** The app store's state (window.advtune.store), evaluated in the page with `f`. */
export async function storeState<T>(page: Page, f: string): Promise<T> {
  return page.evaluate(`(() => { const s = window.advtune.store.getState(); return (${f})(s) })()`) as Promise<T>
}
