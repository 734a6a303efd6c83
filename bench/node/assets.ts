// The benchmark's inputs in Node: the real ResNet-20 checkpoint and CIFAR-10 test images that
// `npm run setup` writes under public/.

import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { readCheckpoint } from '../../src/core/checkpoint'
import { parseCifarBin, type CifarSet } from '../../src/core/data/cifar'
import type { StateDict } from '../../src/core/tensors'

export const REPO = resolve(import.meta.dirname, '../..')
export const WEIGHTS = join(REPO, 'public/weights/resnet20-12fca82f.th')
export const TEST_BIN = join(REPO, 'public/data/cifar10/test_batch.bin')
export const OUT_DIR = join(REPO, 'bench/out')

function read(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path))
  } catch {
    throw new Error(`could not read ${path}; run 'npm run setup' first`)
  }
}

export const loadStateDict = (path = WEIGHTS): StateDict => readCheckpoint(read(path), path)
export const loadTestSet = (path = TEST_BIN): CifarSet => parseCifarBin(read(path))
