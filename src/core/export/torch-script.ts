// A run as one self-contained PyTorch training script: the run's recipe (configuration, LR and
// ε control points, evaluation) written as Python constants at the top, the training program
// (torch-script-body.ts) below them. The script needs torch alone, runs on one process or under
// torchrun, and writes safetensors checkpoints and an 'advtune-run-history' JSON advtune imports.
// No tfjs, no store: the page's download and `npm run export-script` both call torchScript.

import type { ModelName, RunConfig } from '../config'
import type { ControlPoint } from '../schedule'
import { TORCH_SCRIPT_BODY } from './torch-script-body'

/** What a script is made from: a run's frozen configuration and curves, and how it is described. */
export interface ScriptSource {
  id: string
  name: string
  base: { model: string; source: string }
  config: RunConfig
  schedule: readonly ControlPoint[]
  /** Human-readable attack names, as the run's history labels them. */
  labels: { trainAttack: string; training: string; evalAttack: string; classes: readonly string[] }
  appVersion: string
}

/** The akamaster/pytorch_resnet_cifar10 checkpoints advtune fine-tunes, by architecture. */
export const PRETRAINED_FILES: Record<ModelName, string> = {
  resnet20: 'resnet20-12fca82f.th',
  resnet32: 'resnet32-d509ac18.th',
  resnet44: 'resnet44-014dd654.th',
  resnet56: 'resnet56-4bfd9763.th',
}
const PRETRAINED_URL = 'https://github.com/akamaster/pytorch_resnet_cifar10/raw/master/pretrained_models/'

/** A JSON value as a Python literal (JSON strings and numbers are valid Python as they are). */
export function pyLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'None'
  if (v === true) return 'True'
  if (v === false) return 'False'
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot write ${v} into the script`)
    return JSON.stringify(v)
  }
  if (typeof v === 'string') return JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map(pyLiteral).join(', ')}]`
  if (typeof v === 'object')
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${JSON.stringify(k)}: ${pyLiteral(x)}`)
      .join(', ')}}`
  throw new Error(`cannot write a ${typeof v} into the script`)
}

const points = (pts: readonly ControlPoint[]) => `[${pts.map((p) => `(${pyLiteral(p.t)}, ${pyLiteral(p.y)})`).join(', ')}]`

/** "advtune_run-3.py": the file name a run's script downloads as. */
export function scriptFileName(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '')
  return `advtune_${s || 'run'}.py`
}

/** Where the script's weights come from when the user passes no --init. */
function initHint(s: ScriptSource): string {
  const file = PRETRAINED_FILES[s.config.model]
  if (s.config.init === 'random') return `without it the run starts, as in advtune, from He-initialised weights drawn from the seed`
  return `the run fine-tunes the pretrained ${s.config.model} (${file}, ${PRETRAINED_URL}${file}), or pass advtune's download of the run's weights to go on from them`
}

/** The generated script. Every value of the recipe appears once, as a constant a reader can edit. */
export function torchScript(s: ScriptSource): string {
  const c = s.config
  // One Python constant per config field: a field added to RunConfig breaks this until it is written.
  const fields = {
    model: 'MODEL',
    init: 'INIT',
    epochs: 'EPOCHS',
    trainSize: 'TRAIN_SIZE',
    batchSize: 'BATCH_SIZE',
    peakLr: 'PEAK_LR',
    momentum: 'MOMENTUM',
    weightDecay: 'WEIGHT_DECAY',
    augment: 'AUGMENT',
    trainAttack: 'TRAIN_ATTACK',
    epsCurve: 'EPS_CURVE',
    evalAttack: 'EVAL_ATTACK',
    evalSize: 'EVAL_SIZE',
    evalEvery: 'EVAL_EVERY',
    seed: 'SEED',
  } as const satisfies Record<keyof RunConfig, string>
  const value = (k: keyof RunConfig) => (k === 'epsCurve' ? points(c.epsCurve) : pyLiteral(c[k]))
  const configDict = Object.entries(fields)
    .map(([k, py]) => (k === 'epsCurve' ? `    ${JSON.stringify(k)}: [{'t': t, 'y': y} for t, y in EPS_CURVE],` : `    ${JSON.stringify(k)}: ${py},`))
    .join('\n')
  const file = scriptFileName(s.name)
  return `#!/usr/bin/env python3
"""advtune run ${JSON.stringify(s.name)} (${c.model}, ${s.labels.training}) as a PyTorch training script.

Adversarial fine-tuning of a CIFAR-10 ResNet exactly as advtune's run trained it: the same subset,
augmentation, training attack, SGD, LR and eps curves and evaluation. Needs only torch (and the
official CIFAR-10 archive). One process, or several under torchrun:

    python3 ${file} --data /path/cifar-10-batches-py --init ${PRETRAINED_FILES[c.model]}
    torchrun --nproc_per_node=8 ${file} --data /path/cifar-10-batches-py --init ${PRETRAINED_FILES[c.model]}

then import the history it writes (advtune_*.history.json) on advtune's run list. --help says more.
Written by advtune ${s.appVersion} from run ${s.id}; the recipe is the constants below.
"""

# ---- The run's recipe, frozen when it started -----------------------------------------------
RUN_NAME = ${pyLiteral(s.name)}
RUN_ID = ${pyLiteral(s.id)}
APP_VERSION = ${pyLiteral(s.appVersion)}
BASE = ${pyLiteral(s.base)}  # the base model advtune fine-tuned

MODEL = ${value('model')}  # CIFAR ResNet of He et al., option-A shortcuts, normalisation inside
INIT = ${value('init')}  # 'pretrained': from the checkpoint given by --init; 'random': He-normal from SEED
EPOCHS = ${value('epochs')}
TRAIN_SIZE = ${value('trainSize')}  # the first N images of the CIFAR-10 training set
BATCH_SIZE = ${value('batchSize')}  # the global batch, whatever the number of processes; the last partial batch is dropped
PEAK_LR = ${value('peakLr')}
MOMENTUM = ${value('momentum')}  # torch.optim.SGD: no dampening, no Nesterov
WEIGHT_DECAY = ${value('weightDecay')}  # added to the gradient (torch.optim.SGD's weight_decay)
AUGMENT = ${value('augment')}  # random crop from the 4-pixel zero-padded image + horizontal flip

# The LR at step s of S is PEAK_LR x LR_CURVE at progress (s + 0.5) / S: piecewise-linear through
# these (t, y) control points; equal t on neighbours is a vertical step.
LR_CURVE = ${points(s.schedule)}

# The training attack on the model in eval mode, from a uniform random start in the eps-ball.
# eps(t) = eps255 x EPS_CURVE(t) / 255 at the same progress; the PGD step scales with it;
# FGSM-RS steps 1.25 eps (Wong et al. 2020).
TRAIN_ATTACK = ${value('trainAttack')}
EPS_CURVE = ${value('epsCurve')}

# Evaluation on the first EVAL_SIZE test images, every EVAL_EVERY steps and at the end (rank 0).
EVAL_ATTACK = ${value('evalAttack')}
EVAL_SIZE = ${value('evalSize')}
EVAL_EVERY = ${value('evalEvery')}
SEED = ${value('seed')}  # data order, augmentation, attack starts: one stream each

EVAL_LABEL = ${pyLiteral(s.labels.evalAttack)}
LABELS = ${pyLiteral(s.labels)}
INIT_HINT = ${pyLiteral(initHint(s))}

# The run's configuration as advtune writes it (the history JSON carries it).
CONFIG = {
${configDict}
}
${TORCH_SCRIPT_BODY}`
}
