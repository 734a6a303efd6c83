// A run's PyTorch training script (core/export/torch-script.ts), made from a run record in the
// page or from a run's history JSON by `npm run export-script`: one code path for both.

import { CIFAR10_CLASSES } from '../core/config'
import { scriptFileName, torchScript, type ScriptSource } from '../core/export/torch-script'
import { evalAttackLabel, trainAttackLabel, trainingLabel } from './describe'
import { parseRunHistory } from './importHistory'
import type { Run } from './types'

type RunRecipe = Pick<Run, 'id' | 'name' | 'base' | 'config' | 'schedule'>

export function scriptSource(run: RunRecipe, appVersion: string): ScriptSource {
  const c = run.config
  return {
    id: run.id,
    name: run.name,
    base: { model: run.base.model, source: run.base.source },
    config: c,
    schedule: run.schedule,
    labels: { trainAttack: trainAttackLabel(c.trainAttack), training: trainingLabel(c), evalAttack: evalAttackLabel(c.evalAttack), classes: CIFAR10_CLASSES },
    appVersion,
  }
}

/** The script of a run and the name it downloads as ("advtune_run-3.py"). */
export function runScript(run: RunRecipe, appVersion: string): { fileName: string; text: string } {
  return { fileName: scriptFileName(run.name), text: torchScript(scriptSource(run, appVersion)) }
}

/** The script of the run a history JSON describes; throws with a message for a wrong file. */
export function scriptFromHistory(text: string, fileName: string, appVersion: string): { fileName: string; text: string } {
  const h = parseRunHistory(text, fileName)
  return runScript({ id: h.run.id, name: h.run.name, base: h.base, config: h.config, schedule: h.schedule }, appVersion)
}
