// Makes tfjs-backend-wasm's threaded build survive minification (tfjs issue #4107).
//
// tfjs starts XNNPACK's pthreads from a Blob holding `factory.toString()`, so that function must
// be self-contained. Emscripten's glue declares `_scriptDir` in a closure around the factory and
// the factory reads it behind `typeof _scriptDir !== "undefined"`. In a bundle the minifier sees
// the variable is declared, drops the typeof guard and renames it; inside the Blob the name is
// free, and every pthread throws "ReferenceError: e is not defined". Declaring `_scriptDir`
// inside the factory keeps the stringified function closed. The value is the same: module
// scripts and workers have no `document.currentScript`, so it was undefined at load time too.
import type { Plugin } from 'vite'

const FILE = /tfjs-backend-wasm-threaded-simd\.js$/
const CLOSURE = `var WasmBackendModuleThreadedSimd = (() => {
  var _scriptDir = typeof document !== 'undefined' && document.currentScript ? document.currentScript.src : undefined;
  if (typeof __filename !== 'undefined') _scriptDir = _scriptDir || __filename;
  return (
function(WasmBackendModuleThreadedSimd) {
`
const SELF_CONTAINED = `var WasmBackendModuleThreadedSimd = (() => {
  return (
function(WasmBackendModuleThreadedSimd) {
  var _scriptDir = typeof document !== 'undefined' && document.currentScript ? document.currentScript.src : undefined;
  if (typeof __filename !== 'undefined') _scriptDir = _scriptDir || __filename;
`

export function tfjsWasmThreads(): Plugin {
  return {
    name: 'advtune:tfjs-wasm-threads',
    enforce: 'pre',
    transform(code, id) {
      if (!FILE.test(id.split('?')[0])) return null
      const at = code.indexOf(CLOSURE)
      // A different tfjs version: fail the build loudly rather than ship threads that crash.
      if (at < 0) this.error(`${id}: Emscripten's prologue changed; update scripts/vite/tfjs-wasm-threads.ts`)
      return { code: code.slice(0, at) + SELF_CONTAINED + code.slice(at + CLOSURE.length), map: null }
    },
  }
}
