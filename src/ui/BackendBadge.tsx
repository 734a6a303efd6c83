// Which compute backend trains: WebGPU, or the fallback and why; or that the worker stopped.

import { useApp } from './StoreContext'

const NAMES = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WASM (CPU)', cpu: 'CPU (plain JS)' } as const

export function BackendBadge() {
  const w = useApp((s) => s.worker)
  if (w.status === 'crashed')
    return (
      <div className="badge badge-error" data-testid="backend-badge" title={w.error ?? ''}>
        Training worker stopped
      </div>
    )
  if (w.status === 'starting' || !w.backend)
    return (
      <div className="badge badge-muted" data-testid="backend-badge">
        <span className="spinner" aria-hidden="true" /> Starting backend…
      </div>
    )
  const fallback = w.backend !== 'webgpu'
  const title = [w.adapter && `Adapter: ${w.adapter}`, w.fallbackReason && `Why not WebGPU: ${w.fallbackReason}`].filter(Boolean).join('\n')
  return (
    <div className={`badge ${fallback ? 'badge-warn' : 'badge-ok'}`} data-testid="backend-badge" data-backend={w.backend} title={title}>
      <span className="dot" aria-hidden="true" />
      <span>
        <strong>{NAMES[w.backend]}</strong>
        {w.adapter && <span className="badge-detail"> · {w.adapter}</span>}
        {fallback && w.fallbackReason && <span className="badge-detail"> · fallback: {w.fallbackReason}</span>}
      </span>
    </div>
  )
}
