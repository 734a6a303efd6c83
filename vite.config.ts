import { defineConfig } from 'vitest/config'
import react from '@vitejs/plugin-react'
import { studyReport } from './scripts/vite/study-report.ts'
import { tfjsWasmThreads } from './scripts/vite/tfjs-wasm-threads.ts'

// COOP/COEP make the page cross-origin isolated, which the tfjs WASM backend needs for threads.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
}

export default defineConfig({
  // studyReport: docs/study/README.md rendered at /study/ (dev server and build alike).
  plugins: [react(), tfjsWasmThreads(), studyReport()],
  // Workers are bundled with their own plugin list: the WASM threads fix must reach them too.
  worker: { format: 'es', plugins: () => [tfjsWasmThreads()] },
  server: { headers: isolation },
  preview: { headers: isolation },
  test: {
    dir: 'test',
    environment: 'node',
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // tfjs keeps one global engine per process: isolate test files in their own forks.
    pool: 'forks',
    fileParallelism: false,
  },
})
