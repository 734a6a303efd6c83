// Messages for the user (storage full, worker errors, share link applied), and a banner when the
// training worker has stopped.

import { useApp, useActions } from '../shared/StoreContext'

export function Notices() {
  const a = useActions()
  const notices = useApp((s) => s.notices)
  const worker = useApp((s) => s.worker)
  const importError = useApp((s) => s.importError)
  return (
    <div className="notices" aria-live="polite">
      {worker.status === 'crashed' && (
        <div className="notice notice-error" role="alert" data-testid="worker-crashed">
          <div>
            <strong>The training worker stopped:</strong> {worker.error}. Runs and their histories are saved; reload the page to start a new worker, then resume an interrupted run from its last
            snapshot.
          </div>
          <button type="button" className="btn btn-small" onClick={() => location.reload()}>
            Reload
          </button>
        </div>
      )}
      {importError && (
        <div className="notice notice-error" role="alert">
          <div data-testid="import-error">{importError}. The current model and your runs are unchanged.</div>
          <button type="button" className="btn btn-small btn-ghost" onClick={() => a.dismissImportError()} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
      {notices.map((n) => (
        <div key={n.id} className={`notice notice-${n.level}`} role={n.level === 'error' ? 'alert' : 'status'} data-testid={`notice-${n.level}`}>
          <div>{n.text}</div>
          <button type="button" className="btn btn-small btn-ghost" onClick={() => a.dismissNotice(n.id)} aria-label="Dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  )
}
