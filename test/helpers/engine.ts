// Shared by the engine tests: the real CIFAR-10 files and checkpoints written by `npm run setup`,
// and the WASM backend (with the training kernels) that the Node tests run on.

import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { initWasmBackendNode } from '../../scripts/lib/wasm-node'
import { readCheckpoint } from '../../src/core/checkpoint'
import { parseCifarBin, type CifarSet } from '../../src/core/data/cifar'
import type { ModelName } from '../../src/core/config'
import type { StateDict } from '../../src/core/tensors'

export const REPO = resolve(import.meta.dirname, '../..')
export const DATA = join(REPO, 'public/data/cifar10')
export const TEST_BIN = join(DATA, 'test_batch.bin')
export const PYTHON = '/usr/bin/python3'

const FILES: Record<ModelName, string> = {
  resnet20: 'resnet20-12fca82f.th',
  resnet32: 'resnet32-d509ac18.th',
  resnet44: 'resnet44-014dd654.th',
  resnet56: 'resnet56-4bfd9763.th',
}

export const checkpointPath = (m: ModelName) => join(REPO, 'public/weights', FILES[m])
export const loadStateDict = (m: ModelName): StateDict => readCheckpoint(new Uint8Array(readFileSync(checkpointPath(m))), FILES[m])
export const loadTestSet = (): CifarSet => parseCifarBin(new Uint8Array(readFileSync(TEST_BIN)))
export const loadTrainSet = (): CifarSet => parseCifarBin(new Uint8Array(readFileSync(join(DATA, 'data_batch_1.bin'))))

export const useWasm = () => initWasmBackendNode()

/** What the training tests start from: the WASM backend, real training and test images, ResNet-20's checkpoint. */
export async function trainingFixture(): Promise<{ data: { train: CifarSet; test: CifarSet }; pretrained: StateDict }> {
  await useWasm()
  return { data: { train: loadTrainSet(), test: loadTestSet() }, pretrained: loadStateDict('resnet20') }
}
