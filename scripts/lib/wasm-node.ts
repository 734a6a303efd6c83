// Node-only (reads the file system): where tfjs-backend-wasm's .wasm files are on disk, for Node
// callers that want explicit paths and for servers (the headless runner) that serve the files.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { initWasmBackend } from '../../src/core/backend/wasm/init'

/** Absolute folder of the installed tfjs-backend-wasm .wasm files, with a trailing '/'. */
export function nodeWasmDir(): string {
  const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')
  return join(dirname(main), '/') // main is dist/tf-backend-wasm.node.js
}

/** initWasmBackend with the .wasm files taken from node_modules (Node never runs threaded). */
export function initWasmBackendNode(): Promise<void> {
  return initWasmBackend({ wasmPaths: nodeWasmDir() })
}
