// Which compute backend trains: WebGPU, or the fallback and why; or that the worker stopped.

import { useApp } from '../shared/StoreContext'

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
  // The first reason is the one that matters (why not WebGPU); the rest is in the tooltip.
  const reasons = w.fallbackReason?.split('; ') ?? []
  return (
    <div className={`badge ${fallback ? 'badge-warn' : 'badge-ok'}${fallback && reasons.length ? ' badge-tall' : ''}`} data-testid="backend-badge" data-backend={w.backend} title={title}>
      <span className="dot" aria-hidden="true" />
      <span className="badge-text">
        <strong>{NAMES[w.backend]}</strong>
        {w.adapter && <span className="badge-detail"> · {w.adapter}</span>}
        {fallback && reasons.length > 0 && <span className="badge-why">Fallback: {reasons[0]}</span>}
      </span>
    </div>
  )
}
