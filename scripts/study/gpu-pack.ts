// Packs the study for a bare Linux x86-64 GPU machine with no internet and no Node, whose upload
// is capped at 64 MiB: study-out/gpu/payload.tar.xz holds this Node binary, the study runner
// bundled into one file (tfjs and the engine inside), Dawn, the Vulkan/GL loader .debs, ResNet-20
// and, as the app's default training subset, the first 10,000 CIFAR-10 training images (the first
// binary file) and the first 1,000 test images. The PyTorch side (scripts/study/*.py, the oracle)
// travels with the working tree. Then, there: bash scripts/study/gpu-run.sh (carry study-out/gpu).
//   npx tsx scripts/study/gpu-pack.ts

import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { IMAGE_BYTES } from '../../src/core/data/cifar'
import { bundleForNode, copyDawn, fetchDebs } from '../../bench/gpu/pack'
import { REPO } from '../lib/node-env'

export const GPU_DIR = join(REPO, 'study-out/gpu')
export const GPU_TEST_IMAGES = 1000
const STAGE = join(GPU_DIR, 'stage')

async function main() {
  rmSync(STAGE, { recursive: true, force: true })
  mkdirSync(join(STAGE, 'bin'), { recursive: true })
  await bundleForNode(join(REPO, 'scripts/study/study.ts'), STAGE, 'study.mjs')
  copyDawn(STAGE)
  copyFileSync(process.execPath, join(STAGE, 'bin/node'))
  fetchDebs(STAGE)
  const cifar = join(STAGE, 'assets/data/cifar10')
  const weights = join(STAGE, 'assets/weights')
  mkdirSync(cifar, { recursive: true })
  mkdirSync(weights, { recursive: true })
  copyFileSync(join(REPO, 'public/data/cifar10/data_batch_1.bin'), join(cifar, 'data_batch_1.bin'))
  writeFileSync(join(cifar, 'test_batch.bin'), readFileSync(join(REPO, 'public/data/cifar10/test_batch.bin')).subarray(0, GPU_TEST_IMAGES * (IMAGE_BYTES + 1)))
  const manifest = JSON.parse(readFileSync(join(REPO, 'public/weights/manifest.json'), 'utf8')) as { model: string; file: string }[]
  const r20 = manifest.filter((e) => e.model === 'resnet20')
  for (const e of r20) copyFileSync(join(REPO, 'public/weights', e.file), join(weights, e.file))
  writeFileSync(join(weights, 'manifest.json'), JSON.stringify(r20, null, 1))
  const payload = join(GPU_DIR, 'payload.tar.xz')
  // xz -9 keeps the payload under the upload cap; ADVTUNE_XZ=-1 packs fast for a local test.
  execFileSync('tar', ['-C', STAGE, '-I', `xz -T0 ${process.env.ADVTUNE_XZ ?? '-9'}`, '-cf', payload, '.'], { stdio: 'inherit' })
  rmSync(STAGE, { recursive: true, force: true })
  console.log(`${payload}: ${(statSync(payload).size / 2 ** 20).toFixed(1)} MiB; carry 'study-out/gpu'`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
