// Per-run actions: APGD-CE on the final weights, downloads (weights as safetensors / tfjs,
// history as JSON / CSV) and deletion.

import { useEffect, useState } from 'react'
import { errorText } from '../../store/persistence'
import { strongEvalBlocker } from '../../store/strongEval'
import { isFinished, type Run } from '../../store/types'
import { downloadRun, type DownloadKind } from './download'
import { useActions, useApp } from '../shared/StoreContext'

export function RunActions({ run }: { run: Run }) {
  const a = useActions()
  const job = useApp((s) => s.evaluations[run.id])
  const resumable = run.status === 'interrupted' && !!run.snapshot
  const resumeBlocker = useApp((s) => (resumable ? s.actions.resumeBlocker(run.id) : null))
  const [confirming, setConfirming] = useState(false)
  useEffect(() => {
    if (!confirming) return
    const id = setTimeout(() => setConfirming(false), 4000)
    return () => clearTimeout(id)
  }, [confirming])
  const finished = isFinished(run.status)
  const noWeights = run.weights === 'none' ? (finished ? 'This run ended without weights' : 'Weights are available when the run ends') : undefined
  const get = (kind: DownloadKind) => () => downloadRun(run, kind, a.getWeights).catch((e) => a.notify('error', `Download failed: ${errorText(e)}`))
  const strongBlocker = strongEvalBlocker(run, job)
  const strongLabel = !job
    ? run.strongEval
      ? 'Re-evaluate with APGD-CE'
      : 'Evaluate with APGD-CE'
    : job.status === 'queued'
      ? 'APGD-CE queued'
      : `APGD-CE ${Math.round((100 * job.done) / Math.max(1, job.total))} %…`
  return (
    <div className="run-actions">
      {resumable && (
        <button
          type="button"
          className="btn btn-small btn-primary"
          disabled={!!resumeBlocker}
          title={resumeBlocker ?? `Continue from the snapshot at step ${run.snapshot!.step}`}
          onClick={() => void a.continueRun(run.id)}
          data-testid="continue-run"
        >
          Resume
        </button>
      )}
      {finished && (
        <button
          type="button"
          className="btn btn-small"
          disabled={!!strongBlocker}
          title={strongBlocker ?? "Robust accuracy of the final weights under APGD-CE (AutoAttack's first attack, 100 iterations), same ε and test images; shown in the comparison"}
          onClick={() => a.evaluateStrong(run.id)}
          data-testid="evaluate-apgd"
          data-job={job?.status ?? 'none'}
        >
          {strongLabel}
        </button>
      )}
      <button
        type="button"
        className="btn btn-small"
        disabled={!!noWeights}
        title={noWeights ?? 'Tuned weights, PyTorch names and layout (torch: safetensors.torch.load_file)'}
        onClick={get('safetensors')}
        data-testid="download-safetensors"
      >
        .safetensors
      </button>
      <button type="button" className="btn btn-small" disabled={!!noWeights} title={noWeights ?? 'TensorFlow.js weights: model.json + .weights.bin'} onClick={get('tfjs')} data-testid="download-tfjs">
        tfjs
      </button>
      <button
        type="button"
        className="btn btn-small"
        onClick={get('script')}
        data-testid="download-script"
        title="The run's recipe as a self-contained PyTorch training script (one process or torchrun); its history imports back here"
      >
        PyTorch script
      </button>
      <button type="button" className="btn btn-small btn-ghost" onClick={get('json')} data-testid="download-json" title="History with config and schedule (JSON)">
        JSON
      </button>
      <button type="button" className="btn btn-small btn-ghost" onClick={get('csv')} data-testid="download-csv" title="Evaluations, one row each (CSV)">
        CSV
      </button>
      {finished && (
        <button
          type="button"
          className={`btn btn-small ${confirming ? 'btn-danger' : 'btn-ghost'}`}
          onClick={() => (confirming ? void a.deleteRun(run.id) : setConfirming(true))}
          data-testid="delete-run"
        >
          {confirming ? 'Really delete?' : 'Delete'}
        </button>
      )}
    </div>
  )
}
