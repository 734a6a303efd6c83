// Debian's Chromium as the benchmark and the browser tests launch it, and a free localhost port
// to serve pages on. One list of flags, so the bench and the tests run the same browser.

import { createServer } from 'node:net'

export const CHROMIUM = '/usr/bin/chromium' // never a downloaded browser (FINDINGS.md)

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu', // without it navigator.gpu has no adapter; here it is SwiftShader's
  '--enable-unsafe-swiftshader', // silences WebGL's software-fallback warning
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking', // the rest keep a headless run quiet and offline
  '--disable-component-update',
  '--disable-sync',
]

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer()
    s.unref()
    s.on('error', rej)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => res(port))
    })
  })
}
