import { defineConfig } from 'vitest/config'
import react from '@vitejs/plugin-react'

// COOP/COEP make the page cross-origin isolated, which the tfjs WASM backend needs for threads.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
}

export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
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
