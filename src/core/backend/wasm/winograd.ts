// advtune's native kernels (native/winograd.c) inside the tfjs WASM backend: Winograd F(4x4, 3x3)
// convolutions, the elementwise passes fused into or after them, and train-mode BatchNorm's
// passes. The module imports tfjs's own memory and works on tensors where tfjs keeps them. With
// threaded tfjs (shared memory) helper workers share that memory and split the work (winograd-pool.ts).
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core'
import { HeapBlock, STACK_BYTES } from './heap-block'
import type { Heap } from './heap-block'
import { callKernel, WinogradPool } from './winograd-pool'
import type { PoolJob } from './winograd-pool'

/** A compiled module, its bytes, or where to fetch them (a URL, as Vite's `?url` imports give). */
export type KernelModuleSource = WebAssembly.Module | BufferSource | string | URL

/**
 * The builds of native/winograd.c: for tfjs's single-threaded and threaded WASM builds, and
 * optionally the same two with relaxed SIMD's fused multiply-add in the matrix products, which run
 * where the engine has relaxed SIMD (relaxedSimd()).
 */
export interface WinogradSources {
  single: KernelModuleSource
  threaded: KernelModuleSource
  fma?: { single: KernelModuleSource; threaded: KernelModuleSource }
}

/**
 * (v128, v128, v128) -> v128 returning f32x4.relaxed_madd of its arguments: a module that only
 * validates where the engine has relaxed SIMD (Chromium since 114; Node 20 only behind a flag).
 */
// prettier-ignore
const RELAXED_MADD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // types: (v128 v128 v128) -> v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // its body
])

/** Whether this engine runs relaxed SIMD, so the -fma builds of the kernels can load. */
export function relaxedSimd(): boolean {
  return WebAssembly.validate(RELAXED_MADD_PROBE)
}

export interface WinogradExports {
  winograd_filter(w: number, u: number, cin: number, cout: number, flip: number): void
  winograd_conv(
    x: number,
    u: number,
    y: number,
    scratch: number,
    h: number,
    w: number,
    cin: number,
    cout: number,
    block: number,
    bias: number,
    res: number,
    gate: number,
    relu: number,
    t0: number,
    t1: number,
  ): void
  advtune_epilogue(x: number, out: number, c: number, scratch: number, bias: number, res: number, gate: number, relu: number, r0: number, r1: number): void
  bn_sums(a: number, b: number, out: number, scratch: number, c: number, rows: number, divisorBits: number, mode: number, mean: number, rstd: number, g0: number, g1: number): void
  bn_rstd(variance: number, rstd: number, c: number, eps: number): void
  bn_relu(x: number, out: number, c: number, scratch: number, mean: number, rstd: number, gamma: number, beta: number, res: number, r0: number, r1: number): void
  bn_dx_coeffs(gamma: number, rstd: number, dgamma: number, dbeta: number, coef: number, c: number, n: number): void
  bn_dx(dy: number, out: number, c: number, scratch: number, x: number, mean: number, rstd: number, coef: number, r0: number, r1: number): void
  winograd_wgrad(x: number, dy: number, partial: number, scratch: number, h: number, w: number, cin: number, cout: number, block: number, chunk: number, tiles: number, k0: number, k1: number): void
  winograd_wgrad_reduce(partial: number, dw: number, chunks: number, scratch: number, cin: number, cout: number, i0: number, i1: number): void
  __stack_pointer: WebAssembly.Global
}

/**
 * What follows a convolution in the same pass over its output (native/winograd.c), in this order:
 * + bias (per channel), + res (same shape), ReLU, · step(gate) (same shape). Each as tfjs's own
 * kernel computes it, so the result is bit-identical to running those kernels.
 */
export interface Epilogue {
  bias?: TensorInfo
  res?: TensorInfo
  gate?: TensorInfo
  relu?: boolean
}

/** The parts of tfjs's Emscripten module and backend this file uses. */
interface WasmBackendLike {
  wasm: Heap
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined }
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo
}

/** Tiles per block: v [36][block][cin] and m [36][block][cout] floats stay within ~256 KiB (L2). */
export function blockFor(cin: number, cout: number): number {
  return Math.max(4, Math.min(64, Math.floor(65536 / (36 * (cin + cout))) & ~3))
}

/**
 * How a weight gradient's sum over tiles is cut: `count` chunks of `chunk` tiles, a number set by
 * the shape alone (never by the threads, so results are identical for any thread count): at least
 * 4 chunks for the threads to share, at most 32, and partial sums of ~1 MiB in all where that allows.
 */
export function wgradChunks(tiles: number, cin: number, cout: number): { chunk: number; count: number } {
  const want = Math.max(4, Math.min(32, Math.round(262144 / (36 * cin * cout))))
  const chunk = Math.max(1, Math.ceil(tiles / want))
  return { chunk, count: Math.ceil(tiles / chunk) }
}

async function compile(src: KernelModuleSource): Promise<WebAssembly.Module> {
  if (src instanceof WebAssembly.Module) return src
  if (typeof src === 'string' || src instanceof URL) {
    const res = await fetch(src)
    if (!res.ok) throw new Error(`${String(src)}: HTTP ${res.status}`)
    return WebAssembly.compile(await res.arrayBuffer())
  }
  return WebAssembly.compile(src)
}

const sizeOf = (t: TensorInfo) => t.shape.reduce((a, b) => a * b, 1)
const bits = new DataView(new ArrayBuffer(4))
/** A float32's bits as an int32: the pool passes int32 arguments only. */
const floatBits = (v: number) => (bits.setFloat32(0, v), bits.getInt32(0))

let active: Winograd | null = null
let enabled = true

/**
 * Which kernels run on WASM: 'winograd' (default: advtune's native ones, Winograd convolutions
 * where the shape fits) or 'xnnpack' (tfjs's own everywhere, and train-mode BatchNorm op by op),
 * for side-by-side benchmarks and tests. Takes effect on the next kernel call.
 */
export function setWasmConvKernels(which: 'winograd' | 'xnnpack'): void {
  enabled = which === 'winograd'
  changed()
}

const listeners: (() => void)[] = []

/** Calls `f` whenever the native kernels start, fail to, or are switched on or off (nativeKernels()). */
export function onNativeKernelsChange(f: () => void): void {
  if (!listeners.includes(f)) listeners.push(f)
}

function changed(): void {
  for (const f of listeners) f()
}

/** The running Winograd engine and its threads, or null when convolutions go to XNNPACK. */
export function winogradInfo(): { threads: number; fma: boolean } | null {
  const native = nativeKernels()
  return native ? { threads: native.threads, fma: native.fma } : null
}

/** Grains of work each Winograd thread (the caller first) has computed since the start: [] without helpers. */
export function winogradGrains(): number[] {
  return active?.grainsTaken() ?? []
}

/**
 * Loads the module into the running tfjs WASM backend, which must have started (`memory` is its
 * heap). `threads` > 1 with a shared memory starts threads − 1 helper workers. Failure is returned
 * as a message, never thrown, and training goes on, slower: without the module, on XNNPACK;
 * without the helpers, on one thread of Winograd. `fma` (default true) loads the fused
 * multiply-add builds where there are some and the engine has relaxed SIMD; false keeps the plain
 * ones, for side-by-side benchmarks.
 */
export async function startWinograd(backend: object, memory: WebAssembly.Memory, sources: WinogradSources, threads: number, fma = true): Promise<string | null> {
  try {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer
    const fused = fma && sources.fma != null && relaxedSimd()
    const builds = fused ? sources.fma! : sources
    const module = await compile(shared ? builds.threaded : builds.single)
    const b = backend as WasmBackendLike
    const instance = await WebAssembly.instantiate(module, { env: { memory } })
    const ex = instance.exports as unknown as WinogradExports
    const stack = b.wasm._malloc(STACK_BYTES)
    ex.__stack_pointer.value = stack + STACK_BYTES
    let problem: string | null = null
    const pool =
      shared && threads > 1
        ? await WinogradPool.start(module, memory, b.wasm, threads - 1).catch((e: Error) => {
            problem = `advtune's convolution helper threads could not start (${e.message}); its convolutions run on one thread`
            return null
          })
        : null
    active?.dispose()
    active = new Winograd(b, ex, pool, stack, fused)
    changed()
    return problem
  } catch (e) {
    active = null
    changed()
    return `advtune's WASM convolution kernels could not start (${(e as Error).message}); XNNPACK's run instead`
  }
}

/** Whether a conv of this geometry runs as Winograd: 3x3, stride 1, one pixel of zero padding all round. */
function fits(info: backend_util.Conv2DInfo, cin: number, cout: number): boolean {
  const p = info.padInfo
  return (
    info.filterHeight === 3 &&
    info.filterWidth === 3 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    p.top === 1 &&
    p.bottom === 1 &&
    p.left === 1 &&
    p.right === 1 &&
    info.inHeight % 4 === 0 &&
    info.inWidth % 4 === 0 &&
    cin % 4 === 0 &&
    cout % 8 === 0
  )
}

/** The running engine of advtune's native kernels, or null (not loaded, or switched off for an A/B). */
export function nativeKernels(): Winograd | null {
  return enabled ? active : null
}

/** The engine for the kernels: null where the conv (in NHWC) is not one Winograd takes. */
export function winogradFor(info: backend_util.Conv2DInfo, cin: number, cout: number): Winograd | null {
  const native = nativeKernels()
  return native != null && info.dataFormat === 'channelsLast' && fits(info, cin, cout) ? native : null
}

export class Winograd {
  private readonly u: HeapBlock
  private readonly scratch: HeapBlock
  private readonly partial: HeapBlock
  private readonly coef: HeapBlock
  constructor(
    private readonly b: WasmBackendLike,
    private readonly ex: WinogradExports,
    private readonly pool: WinogradPool | null,
    private readonly stack: number,
    /** Whether the module is a fused multiply-add build. */
    readonly fma: boolean,
  ) {
    this.u = new HeapBlock(b.wasm)
    this.scratch = new HeapBlock(b.wasm)
    this.partial = new HeapBlock(b.wasm)
    this.coef = new HeapBlock(b.wasm)
  }

  get threads(): number {
    return 1 + (this.pool?.helpers ?? 0)
  }

  grainsTaken(): number[] {
    return this.pool?.grainsTaken() ?? []
  }

  private ptr(t: TensorInfo): number {
    return this.b.dataIdMap.get(t.dataId)!.memoryOffset
  }

  /** Runs a kernel over all its items: split over the threads when `split`, else on this one. */
  private dispatch(job: PoolJob, split: boolean): void {
    const own = this.scratch.at(job.scratchBytes)
    if (this.pool != null && split) this.pool.run(job, this.ex, own)
    else callKernel(this.ex, job.kernel, [...job.args.slice(0, 3), own, ...job.args.slice(4)], 0, job.items)
  }

  private opt(t: TensorInfo | undefined): number {
    return t == null ? 0 : this.ptr(t)
  }

  /**
   * y = epilogue(conv(x, w)) with "same" padding, x [n, h, w, cin] → [n, h, w, cout]. With
   * `flip`, w is the filter [3, 3, cout, cin] of the forward convolution whose input gradient (x
   * being dy) this is.
   */
  conv(x: TensorInfo, filter: TensorInfo, cout: number, flip: boolean, epi: Epilogue = {}): TensorInfo {
    const [n, h, w, cin] = x.shape
    const y = this.b.makeOutput([n, h, w, cout], 'float32')
    const u = this.u.at(36 * cin * cout * 4)
    this.ex.winograd_filter(this.ptr(filter), u, cin, cout, flip ? 1 : 0)
    const block = blockFor(cin, cout)
    const tiles = n * (h / 4) * (w / 4)
    const scratchBytes = 36 * block * (cin + cout) * 4
    const args = [this.ptr(x), u, this.ptr(y), 0, h, w, cin, cout, block, this.opt(epi.bias), this.opt(epi.res), this.opt(epi.gate), epi.relu ? 1 : 0]
    this.dispatch({ kernel: 'winograd_conv', args, items: tiles, grain: block, scratchBytes }, tiles >= 2 * block)
    return y
  }

  /** Per-channel sums over the rows of a [..., c] in row order (see bn_sums for the modes), divided by `divisor`. */
  channelSums(a: TensorInfo, mode: 0 | 1 | 2, divisor: number, more: { b?: TensorInfo; mean?: TensorInfo; rstd?: number } = {}): TensorInfo {
    const c = a.shape[a.shape.length - 1]
    const rows = sizeOf(a) / c
    const out = this.b.makeOutput([c], 'float32')
    const groups = Math.ceil(c / 4)
    const args = [this.ptr(a), this.opt(more.b), this.ptr(out), 0, c, rows, floatBits(divisor), mode, this.opt(more.mean), more.rstd ?? 0]
    this.dispatch({ kernel: 'bn_sums', args, items: groups, grain: 1, scratchBytes: 0 }, groups > 1 && rows * c >= 65536)
    return out
  }

  /** 1/sqrt(variance + eps) per channel, in a block of ours that the next call overwrites. */
  rstd(variance: TensorInfo, eps: number): number {
    const c = variance.shape[0]
    const rstd = this.coef.at(4 * c * 4) // room for bn_dx's three factors after it
    this.ex.bn_rstd(this.ptr(variance), rstd, c, eps)
    return rstd
  }

  /** relu((x − mean)·rstd·gamma + beta [+ res]) per channel of x [..., c]. */
  bnRelu(x: TensorInfo, mean: TensorInfo, variance: TensorInfo, gamma: TensorInfo, beta: TensorInfo, res: TensorInfo | undefined, eps: number): TensorInfo {
    const rstd = this.rstd(variance, eps)
    return this.rows('bn_relu', x, [this.ptr(mean), rstd, this.ptr(gamma), this.ptr(beta), this.opt(res)])
  }

  /** BatchNorm's input gradient from the ReLU-masked dy (see bn_dx). */
  bnDx(dy: TensorInfo, x: TensorInfo, mean: TensorInfo, variance: TensorInfo, gamma: TensorInfo, dGamma: TensorInfo, dBeta: TensorInfo, eps: number, n: number): TensorInfo {
    const c = variance.shape[0]
    const rstd = this.rstd(variance, eps)
    const coef = rstd + c * 4
    this.ex.bn_dx_coeffs(this.ptr(gamma), rstd, this.ptr(dGamma), this.ptr(dBeta), coef, c, n)
    return this.rows('bn_dx', dy, [this.ptr(x), this.ptr(mean), rstd, coef])
  }

  /** A row-wise kernel (a0, out, c, scratch, ...more, r0, r1) over x [..., c] into a new tensor of x's shape. */
  private rows(kernel: 'bn_relu' | 'bn_dx' | 'advtune_epilogue', x: TensorInfo, more: number[]): TensorInfo {
    const c = x.shape[x.shape.length - 1]
    const rows = sizeOf(x) / c
    const out = this.b.makeOutput(x.shape, 'float32')
    const grain = Math.max(1, Math.floor(16384 / c)) // ~64 KiB of each input per grain
    this.dispatch({ kernel, args: [this.ptr(x), this.ptr(out), c, 0, ...more], items: rows, grain, scratchBytes: 0 }, rows >= 2 * grain)
    return out
  }

  /** epilogue(x) in one pass over x [..., c], into a new tensor of x's shape. */
  finish(x: TensorInfo, epi: Epilogue): TensorInfo {
    return this.rows('advtune_epilogue', x, [this.opt(epi.bias), this.opt(epi.res), this.opt(epi.gate), epi.relu ? 1 : 0])
  }

  /** The filter gradient [3, 3, cin, cout] of y = conv(x, w) ("same"), from x [n, h, w, cin] and dy [n, h, w, cout]. */
  filterGrad(x: TensorInfo, dy: TensorInfo): TensorInfo {
    const [, h, w, cin] = x.shape
    const [n, , , cout] = dy.shape
    const dw = this.b.makeOutput([3, 3, cin, cout], 'float32')
    const block = blockFor(cin, cout)
    const tiles = n * (h / 4) * (w / 4)
    const { chunk, count } = wgradChunks(tiles, cin, cout)
    const partial = this.partial.at(count * 36 * cin * cout * 4)
    const args = [this.ptr(x), this.ptr(dy), partial, 0, h, w, cin, cout, block, chunk, tiles]
    this.dispatch({ kernel: 'winograd_wgrad', args, items: count, grain: 1, scratchBytes: 36 * block * (cin + cout) * 4 }, count > 1)
    this.dispatch({ kernel: 'winograd_wgrad_reduce', args: [partial, this.ptr(dw), count, 0, cin, cout], items: cin, grain: 4, scratchBytes: 0 }, cin * cout >= 1024)
    return dw
  }

  dispose(): void {
    this.pool?.stop()
    this.u.free()
    this.scratch.free()
    this.partial.free()
    this.coef.free()
    this.b.wasm._free(this.stack)
  }
}
