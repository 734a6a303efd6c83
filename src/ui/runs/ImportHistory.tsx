// Import a run's history JSON (the PyTorch script's from a cluster, or another page's download),
// with the final .safetensors written beside it if given, as a read-only run that compares with
// the browser's runs. Wrong files get a message (Notices); nothing else changes.

import { useRef } from 'react'
import type { Actions } from '../../store/state'
import { useActions } from '../shared/StoreContext'

/** Picks the history (.json) and the optional weights (.safetensors) out of chosen or dropped files. */
export async function importHistoryFiles(a: Pick<Actions, 'importHistory' | 'notify'>, files: readonly File[]): Promise<void> {
  const json = files.find((f) => /\.json$/i.test(f.name))
  if (!json) return a.notify('error', `History not imported: choose the run's .json history (and, if you have it, its .safetensors), not ${files.map((f) => f.name).join(', ')}.`)
  const st = files.find((f) => /\.safetensors$/i.test(f.name))
  await a.importHistory({ name: json.name, text: await json.text() }, st && { name: st.name, bytes: await st.arrayBuffer() })
}

export function ImportHistoryButton() {
  const a = useActions()
  const input = useRef<HTMLInputElement>(null)
  return (
    <>
      <button
        type="button"
        className="btn btn-small btn-ghost"
        onClick={() => input.current?.click()}
        data-testid="import-history"
        title="A run's history JSON (the PyTorch script's, or a downloaded one), with its final .safetensors if you have it: shown and compared as a read-only run"
      >
        Import history…
      </button>
      <input
        ref={input}
        type="file"
        accept=".json,.safetensors"
        multiple
        hidden
        data-testid="import-history-input"
        onChange={(e) => {
          const files = [...(e.target.files ?? [])]
          e.target.value = ''
          if (files.length) void importHistoryFiles(a, files)
        }}
      />
    </>
  )
}
