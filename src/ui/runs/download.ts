// Downloads of a run: tuned weights as safetensors (PyTorch names and layout) or in the tfjs
// format (model.json + weights shard), and the history as JSON or CSV. Runs on the main thread
// without tfjs: the tfjs files are written by core/export/tfjs-format.ts.

import { parseSafetensors } from '../../core/checkpoint/safetensors'
import { toTfjsFormat } from '../../core/export/tfjs-format'
import { finalEval } from '../../store/compare'
import { APP_VERSION, historyCsv, historyJson, runFileStem } from '../../store/exports'
import { runScript } from '../../store/scriptExport'
import type { Run } from '../../store/types'

export function saveBlob(blob: Blob, fileName: string) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  a.style.display = 'none'
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 30_000)
}

export type DownloadKind = 'safetensors' | 'tfjs' | 'json' | 'csv' | 'script'

/** Throws with a message for the user when the weights are not available. */
export async function downloadRun(run: Run, kind: DownloadKind, getWeights: (id: string) => Promise<ArrayBuffer | null>) {
  const stem = runFileStem(run)
  if (kind === 'json') return saveBlob(new Blob([historyJson(run, APP_VERSION)], { type: 'application/json' }), `${stem}.history.json`)
  if (kind === 'csv') return saveBlob(new Blob([historyCsv(run)], { type: 'text/csv' }), `${stem}.history.csv`)
  if (kind === 'script') {
    const script = runScript(run, APP_VERSION)
    return saveBlob(new Blob([script.text], { type: 'text/x-python' }), script.fileName)
  }
  const bytes = await getWeights(run.id)
  if (!bytes) throw new Error(`the weights of ${run.name} are not available (not saved, or the run ended without them)`)
  if (kind === 'safetensors') return saveBlob(new Blob([bytes], { type: 'application/octet-stream' }), `${stem}.safetensors`)
  const f = finalEval(run)
  const tfjs = toTfjsFormat(parseSafetensors(new Uint8Array(bytes)), stem, {
    run: run.name,
    base: run.base.model,
    config: run.config,
    schedule: run.schedule,
    final: f ? { step: f.step, clean: f.clean, robust: f.robust } : null,
  })
  saveBlob(new Blob([JSON.stringify(tfjs.modelJson, null, 1)], { type: 'application/json' }), `${stem}.model.json`)
  // A second download in the same tick is dropped by some browsers; give the first a moment.
  await new Promise((r) => setTimeout(r, 400))
  saveBlob(new Blob([tfjs.weightsBin], { type: 'application/octet-stream' }), tfjs.weightsFileName)
}
