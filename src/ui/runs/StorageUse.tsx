// What this page keeps in the browser's storage: the origin's use and quota where the browser
// tells them (navigator.storage.estimate), and the weights and snapshots of the runs listed.

import { useEffect, useState } from 'react'
import { useApp } from '../shared/StoreContext'

export const formatBytes = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1e3))} kB`)

export function StorageUse() {
  // Runs' own sizes: their saved weights and their snapshots (re-measured whenever either changes).
  const runBytes = useApp((s) => Object.values(s.runs).reduce((n, r) => n + (r.weights === 'saved' ? (r.weightsBytes ?? 0) : 0) + (r.snapshot?.bytes ?? 0), 0))
  const [estimate, setEstimate] = useState<{ usage: number; quota: number } | null>(null)
  useEffect(() => {
    const storage = typeof navigator !== 'undefined' ? navigator.storage : undefined
    if (!storage?.estimate) return
    let live = true
    storage.estimate().then(
      (e) => live && setEstimate({ usage: e.usage ?? 0, quota: e.quota ?? 0 }),
      () => undefined, // no estimate: the runs' own sizes are still shown
    )
    return () => {
      live = false
    }
  }, [runBytes])
  const origin = estimate && estimate.quota > 0 ? ` · browser storage ${formatBytes(estimate.usage)} of ${formatBytes(estimate.quota)}` : ''
  return (
    <span className="muted storage-use" data-testid="storage-use" title="Saved weights and resumable snapshots of the runs below; delete runs to free space">
      Runs' weights and snapshots: {formatBytes(runBytes)}
      {origin}
    </span>
  )
}
