// One bench-page session (bench/page/index.html) per test file: a Vite dev server and headless Chromium for the file's
// tests, and a runner that adds the page's console log to any failure.

import { afterAll, beforeAll } from 'vitest'
import { launchChromium, runBenchPage, serveDev, type Browser, type Served } from '../../bench/node/browser'

export function benchPageSession() {
  let served: Served
  let browser: Browser
  const log: string[] = []
  beforeAll(async () => {
    served = await serveDev()
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await served?.close()
  })
  return {
    /** Runs the bench page with `params` and returns its result; a failure carries the page's log. */
    run<T>(params: Record<string, string | number>, timeoutMs: number): Promise<T> {
      return runBenchPage<T>(browser, served, params, { timeoutMs, log: (s) => log.push(s) }).catch((e: Error) => {
        throw new Error(`${e.message}\npage log:\n${log.join('\n')}`)
      })
    },
  }
}
