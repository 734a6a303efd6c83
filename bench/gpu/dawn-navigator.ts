// Gives Node a browser-like `navigator.gpu` from Dawn (the `webgpu` npm package) before
// @tensorflow/tfjs-backend-webgpu is evaluated: it registers its backend only if navigator.gpu
// exists at import time. Import this module first. Dawn options: env ADVTUNE_DAWN_FLAGS
// (comma-separated, e.g. 'backend=vulkan').

import { create, globals } from 'webgpu'

const flags = (process.env.ADVTUNE_DAWN_FLAGS ?? '').split(',').filter(Boolean)
Object.assign(globalThis, globals) // GPUBufferUsage, GPUMapMode, GPUShaderStage, … as in a page
Object.defineProperty(globalThis, 'navigator', {
  value: { gpu: create(flags), userAgent: `node/${process.versions.node}`, hardwareConcurrency: 1 },
  configurable: true,
  writable: true,
})
