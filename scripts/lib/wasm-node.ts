// Node-only (reads the file system): where tfjs-backend-wasm's .wasm files are on disk, for Node
// callers that want explicit paths and for servers (the headless runner) that serve the files.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { initWasmBackend } from '../../src/core/backend/wasm/init'
import type { WinogradSources } from '../../src/core/backend/wasm/winograd'

/** Absolute folder of the installed tfjs-backend-wasm .wasm files, with a trailing '/'. */
export function nodeWasmDir(): string {
  const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')
  return join(dirname(main), '/') // main is dist/tf-backend-wasm.node.js
}

/**
 * advtune's convolution modules as `npm run setup` built them (src/core/backend/wasm/native/out).
 * Node 20 runs the plain builds: its engine has relaxed SIMD only behind a flag.
 */
export function nodeWinogradSources(): WinogradSources {
  const file = (name: string) => {
    const path = fileURLToPath(new URL(`../../src/core/backend/wasm/native/out/${name}`, import.meta.url))
    try {
      return readFileSync(path)
    } catch {
      throw new Error(`${path} is missing: run \`npm run setup\` (it builds advtune's WASM kernels)`)
    }
  }
  return { single: file('winograd.wasm'), threaded: file('winograd-mt.wasm'), fma: { single: file('winograd-fma.wasm'), threaded: file('winograd-fma-mt.wasm') } }
}

/**
 * initWasmBackend with the .wasm files taken from node_modules and advtune's convolution kernels
 * (Node never runs threaded).
 */
export function initWasmBackendNode(): Promise<void> {
  return initWasmBackend({ wasmPaths: nodeWasmDir(), winograd: nodeWinogradSources() })
}
