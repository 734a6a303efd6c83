// Packs the GPU measurement for a bare Linux x86-64 machine with an NVIDIA GPU, no internet and no
// Node: bench/out/gpu/payload.tar.xz holds this Node binary, the tfjs side bundled into one file,
// Dawn (the `webgpu` package's linux-x64 binary), a Vulkan loader and the GL dispatch libraries the
// NVIDIA Vulkan driver links against (Debian bookworm .debs), ResNet-20 as safetensors and the
// first 1,024 CIFAR-10 test images. The PyTorch side (bench/node/torch_bench.py + the oracle)
// travels with the working tree. Run: npx tsx bench/gpu/pack.ts   then see bench/gpu/run.sh.

import { execFileSync } from 'node:child_process'
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'vite'
import { serializeSafetensors } from '../../src/core/checkpoint'
import { IMAGE_BYTES } from '../../src/core/data/cifar'
import { loadStateDict, REPO, TEST_BIN } from '../node/assets'

export const PACK_DIR = join(REPO, 'bench/out/gpu')
const STAGE = join(PACK_DIR, 'stage')
const IMAGES = 1024
// Vulkan loader + libglvnd: what NVIDIA's Vulkan ICD needs on a bare machine.
const DEBS = ['libvulkan1', 'libglvnd0', 'libegl1', 'libgl1', 'libglx0', 'libgles2', 'libopengl0']

/** Bundles a Node entry (tfjs and the engine included, Dawn left external) into one .mjs file. */
export async function bundleForNode(entry: string, outDir: string, fileName: string): Promise<void> {
  await build({
    configFile: false,
    root: REPO,
    logLevel: 'warn',
    publicDir: false, // not the app's public/ (180 MB of data and weights)
    ssr: { noExternal: true, target: 'node' },
    build: {
      ssr: entry,
      outDir,
      emptyOutDir: false,
      minify: false,
      target: 'node20',
      rollupOptions: { external: ['webgpu'], output: { format: 'es', entryFileNames: fileName, codeSplitting: false } },
    },
  })
}

/** Dawn: the `webgpu` package's loader and its linux-x64 binary. */
export function copyDawn(stage: string): void {
  const src = join(REPO, 'node_modules/webgpu')
  const dst = join(stage, 'node_modules/webgpu')
  mkdirSync(join(dst, 'dist'), { recursive: true })
  for (const f of ['index.js', 'package.json', 'LICENSE.md']) copyFileSync(join(src, f), join(dst, f))
  cpSync(join(src, 'dist/linux-x64'), join(dst, 'dist/linux-x64'), { recursive: true })
}

/** The Vulkan loader and GL dispatch .debs NVIDIA's Vulkan driver links against. */
export function fetchDebs(stage: string): void {
  const dir = join(stage, 'debs')
  mkdirSync(dir, { recursive: true })
  // apt-get download fetches exactly these packages from the configured Debian mirror.
  execFileSync('apt-get', ['download', ...DEBS], { cwd: dir, stdio: 'inherit' })
}

function data(): void {
  mkdirSync(join(STAGE, 'data'), { recursive: true })
  writeFileSync(join(STAGE, 'data/resnet20.safetensors'), serializeSafetensors(loadStateDict(), { source: 'resnet20-12fca82f.th' }))
  writeFileSync(join(STAGE, 'data/test_head.bin'), readFileSync(TEST_BIN).subarray(0, IMAGES * (IMAGE_BYTES + 1)))
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`

async function main() {
  rmSync(PACK_DIR, { recursive: true, force: true })
  mkdirSync(join(STAGE, 'bin'), { recursive: true })
  await bundleForNode(join(REPO, 'bench/gpu/webgpu-step.ts'), STAGE, 'webgpu-step.mjs')
  copyDawn(STAGE)
  copyFileSync(process.execPath, join(STAGE, 'bin/node'))
  fetchDebs(STAGE)
  data()
  const payload = join(PACK_DIR, 'payload.tar.xz')
  execFileSync('tar', ['-C', STAGE, '-I', 'xz -T0 -6', '-cf', payload, '.'], { stdio: 'inherit' })
  if (!process.argv.includes('--keep-stage')) rmSync(STAGE, { recursive: true, force: true })
  console.log(`${payload}: ${mib(statSync(payload).size)} (${readdirSync(PACK_DIR).join(', ')}); carry 'bench/out/gpu'`)
}

if (process.argv[1] && import.meta.filename === process.argv[1])
  main().catch((e) => {
    console.error(e)
    process.exit(1)
  })
