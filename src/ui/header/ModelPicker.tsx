// Choose the pretrained base model, the same architecture from scratch (random He
// initialisation: the baseline fine-tuning is measured against), or import a checkpoint
// (.th/.pth/.pt/.safetensors) by file picker or by dropping it anywhere on the page. A bad
// file's message shows under the header (Notices); the model and the runs stay as they were.

import { useRef } from 'react'
import { MODEL_NAMES, type ModelInit, type ModelName } from '../../core/config'
import { fmtInt } from '../shared/format'
import { useActions, useApp } from '../shared/StoreContext'
import { importHistoryFiles } from '../runs/ImportHistory'
import { useFileDrop } from './useFileDrop'

const LABELS: Record<ModelName, string> = { resnet20: 'ResNet-20', resnet32: 'ResNet-32', resnet44: 'ResNet-44', resnet56: 'ResNet-56' }
export const CHECKPOINT_ACCEPT = '.th,.pth,.pt,.safetensors'

export function ModelPicker() {
  const a = useActions()
  const base = useApp((s) => s.baseModel)
  const { model: arch, init } = useApp((s) => s.config)
  const modelOp = useApp((s) => s.modelOp)
  const blockedBy = useApp((s) =>
    s.worker.status !== 'ready' ? 'the backend is not ready' : s.activeRunId || s.queue.length ? 'a run is training or queued' : s.modelOp ? 'a model is loading' : null,
  )
  const input = useRef<HTMLInputElement>(null)

  const importFile = async (file: File) => {
    if (blockedBy) return a.notify('warning', `Cannot import ${file.name} now: ${blockedBy}.`)
    a.importCheckpoint(file.name, await file.arrayBuffer())
  }
  // A dropped .json is a run's history (runs/ImportHistory.tsx), anything else a checkpoint.
  const dragging = useFileDrop((f) => void (/\.json$/i.test(f.name) ? importHistoryFiles(a, [f]) : importFile(f)))
  // Option values: 'resnet20' (pretrained), 'random:resnet20' (from scratch), 'imported'.
  const value = init === 'random' && base ? `random:${arch}` : base?.imported ? 'imported' : (base?.model ?? '')
  const choose = (v: string) => {
    const [kind, name] = v.startsWith('random:') ? ['random', v.slice(7)] : ['pretrained', v]
    a.chooseModel(name as ModelName, kind as ModelInit)
  }

  return (
    <div className="model-picker">
      <label className="field-inline">
        <span className="field-label">Model</span>
        <select data-testid="model-select" value={value} disabled={!!blockedBy} onChange={(e) => choose(e.target.value)}>
          {!base && <option value="">{modelOp ? `Loading…` : '—'}</option>}
          <optgroup label="Fine-tune pretrained weights">
            {MODEL_NAMES.map((m) => (
              <option key={m} value={m}>
                {LABELS[m]} (pretrained)
              </option>
            ))}
            {base?.imported && <option value="imported">Imported: {base.source}</option>}
          </optgroup>
          {/* Short option texts: the select is as wide as its longest one, in a one-row header. */}
          <optgroup label="Train from scratch (random init)">
            {MODEL_NAMES.map((m) => (
              <option key={m} value={`random:${m}`} title={`${LABELS[m]} from scratch: He-initialised weights drawn from the seed`}>
                {LABELS[m]} (random init)
              </option>
            ))}
          </optgroup>
        </select>
      </label>
      <button
        className="btn"
        type="button"
        disabled={!!blockedBy}
        onClick={() => input.current?.click()}
        title="Import a PyTorch (.th/.pth/.pt) or .safetensors CIFAR ResNet checkpoint; you can also drop the file on the page"
      >
        Import…
      </button>
      <input
        ref={input}
        data-testid="import-input"
        type="file"
        accept={CHECKPOINT_ACCEPT}
        hidden
        onChange={(e) => {
          const f = e.target.files?.[0]
          e.target.value = '' // the same file can be picked again
          if (f) void importFile(f)
        }}
      />
      {base && (
        <span className="model-meta" title={base.source}>
          {fmtInt(base.params)} params
        </span>
      )}
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <div>Drop a checkpoint (.th, .pth, .pt, .safetensors) to import it as the base model</div>
        </div>
      )}
    </div>
  )
}
