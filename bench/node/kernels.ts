// Micro-benchmark of the WASM training kernels at ResNet-20 shapes (batch 128), stock vs ours.
// Run: npx tsx bench/node/kernels.ts [batch] [reps]. Prints the fastest of `reps` calls in ms of
// process CPU time (Node's WASM is single-threaded): on a shared machine wall time swings with
// other load, CPU time much less.
import * as tf from '@tensorflow/tfjs-core'
import { initWasmBackend, wasmBackendInfo } from '../../src/core/backend/wasm/init'
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../../src/core/backend/wasm/kernels'

const batch = Number(process.argv[2] ?? 128)
const reps = Number(process.argv[3] ?? 5)

// [name, H=W of the input, Cin, Cout, stride]: every distinct 3x3 conv of ResNet-20 (pad 1).
const convs: [string, number, number, number, number][] = [
  ['stem 32x32 3->16', 32, 3, 16, 1],
  ['stage1 32x32 16->16', 32, 16, 16, 1],
  ['stage2 down 32->16 16->32 s2', 32, 16, 32, 2],
  ['stage2 16x16 32->32', 16, 32, 32, 1],
  ['stage3 down 16->8 32->64 s2', 16, 32, 64, 2],
  ['stage3 8x8 64->64', 8, 64, 64, 1],
]

/** Fastest CPU time of `f` in ms, after one warm-up call; `f` returns what to dispose. */
function time(f: () => tf.Tensor): number {
  f().dispose()
  const ms: number[] = []
  for (let i = 0; i < reps; i++) {
    const t0 = process.cpuUsage()
    const out = f()
    out.dataSync() // WASM kernels run synchronously; this only makes the timing boundary explicit
    const dt = process.cpuUsage(t0)
    ms.push((dt.user + dt.system) / 1000)
    out.dispose()
  }
  return Math.min(...ms)
}

const fmt = (v: number | undefined) => (v == null ? '     -' : v.toFixed(1).padStart(6))

async function main(): Promise<void> {
  await initWasmBackend()
  console.log(`tfjs-core ${tf.version_core}, backend ${tf.getBackend()}`, wasmBackendInfo(), `batch ${batch}, CPU ms, fastest of ${reps}`)
  console.log('conv (ms)                         forward | dx stock   ours  ratio | dw ours | tile stock  ours ratio')
  const totals = { fwd: 0, dxStock: 0, dxOurs: 0, dw: 0, tileStock: 0, tileOurs: 0 }
  for (const [name, hw, cin, cout, s] of convs) {
    const x = tf.randomNormal([batch, hw, hw, cin]) as tf.Tensor4D
    const w = tf.randomNormal([3, 3, cin, cout]) as tf.Tensor4D
    const y = tf.conv2d(x, w, s, 1)
    const dy = tf.randomNormal(y.shape)
    const scale = tf.randomNormal([1, 1, 1, cout])
    const attrs = { strides: s, pad: 1, dataFormat: 'NHWC' }
    const dxOf = () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor
    const dwOf = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor
    const tileOf = () => tf.tile(scale, [y.shape[0], y.shape[1], y.shape[2], 1])

    const fwd = time(() => tf.conv2d(x, w, s, 1))
    unregisterWasmTrainingKernels()
    const dxStock = time(dxOf)
    const tileStock = time(tileOf)
    registerWasmTrainingKernels()
    const dxOurs = time(dxOf)
    const dw = time(dwOf)
    const tileOurs = time(tileOf)
    console.log(
      `${name.padEnd(31)} ${fmt(fwd)} | ${fmt(dxStock)} ${fmt(dxOurs)} ${(dxStock / dxOurs).toFixed(1).padStart(5)}x` +
        ` | ${fmt(dw)} | ${fmt(tileStock)} ${fmt(tileOurs)} ${(tileStock / tileOurs).toFixed(1).padStart(4)}x`,
    )
    Object.assign(totals, {
      fwd: totals.fwd + fwd,
      dxStock: totals.dxStock + dxStock,
      dxOurs: totals.dxOurs + dxOurs,
      dw: totals.dw + dw,
      tileStock: totals.tileStock + tileStock,
      tileOurs: totals.tileOurs + tileOurs,
    })
    tf.dispose([x, w, y, dy, scale])
  }
  const t = totals
  console.log(
    `${'sum of the rows'.padEnd(31)} ${fmt(t.fwd)} | ${fmt(t.dxStock)} ${fmt(t.dxOurs)} ${(t.dxStock / t.dxOurs).toFixed(1).padStart(5)}x` +
      ` | ${fmt(t.dw)} | ${fmt(t.tileStock)} ${fmt(t.tileOurs)} ${(t.tileStock / t.tileOurs).toFixed(1).padStart(4)}x`,
  )
  console.log('ratios: dw/forward', (t.dw / t.fwd).toFixed(2), ' dx ours/forward', (t.dxOurs / t.fwd).toFixed(2))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
