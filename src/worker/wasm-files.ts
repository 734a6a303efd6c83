// The WASM files a browser bundle serves, as Vite URLs: tfjs's three builds of its backend and
// advtune's convolution kernels (built by `npm run setup` from src/core/backend/wasm/native).
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url'
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url'
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url'
import winogradSingle from '../core/backend/wasm/native/out/winograd.wasm?url'
import winogradThreaded from '../core/backend/wasm/native/out/winograd-mt.wasm?url'
import winogradFmaSingle from '../core/backend/wasm/native/out/winograd-fma.wasm?url'
import winogradFmaThreaded from '../core/backend/wasm/native/out/winograd-fma-mt.wasm?url'
import type { WasmInitOptions } from '../core/backend/wasm/init'

export const WASM_FILES: Required<Pick<WasmInitOptions, 'wasmPaths' | 'winograd'>> = {
  wasmPaths: { 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded },
  winograd: { single: winogradSingle, threaded: winogradThreaded, fma: { single: winogradFmaSingle, threaded: winogradFmaThreaded } },
}
