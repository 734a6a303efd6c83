// Progress of whatever the worker is loading (backend, data, weights).

import { useApp } from '../shared/StoreContext'

export function LoadingBar() {
  const loading = useApp((s) => s.loading)
  const busy = useApp((s) => s.modelOp)
  if (!loading && !busy) return null
  const fraction = loading ? Math.min(1, Math.max(0, loading.fraction)) : null
  const label = loading ? `Loading ${loading.stage}` : busy!.kind === 'import' ? `Importing ${busy!.label}` : `Loading ${busy!.label}`
  return (
    <div className="loading" data-testid="loading">
      <div
        className={`loading-track${fraction === null ? ' indeterminate' : ''}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={fraction === null ? undefined : Math.round(fraction * 100)}
      >
        <div className="loading-fill" style={{ width: fraction === null ? undefined : `${fraction * 100}%` }} />
      </div>
      <span className="loading-label">
        {label}
        {fraction !== null && ` · ${Math.round(fraction * 100)} %`}
      </span>
    </div>
  )
}
