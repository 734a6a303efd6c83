// Start (or queue) a run with the current config and curves, and share them as a link.

import { startBlockers } from '../../store'
import { useActions, useApp, useAppShallow } from '../shared/StoreContext'

export function RunControls() {
  const a = useActions()
  const blockers = useAppShallow(startBlockers)
  const activeName = useApp((s) => (s.activeRunId ? s.runs[s.activeRunId]?.name : null))
  const queued = useApp((s) => s.queue.length)

  const share = async () => {
    const url = `${location.href.split('#')[0]}${a.shareHash()}`
    try {
      await navigator.clipboard.writeText(url)
      a.notify('info', 'Share link copied: it opens this page with the same configuration, schedule and ε curve.')
    } catch {
      // No clipboard (insecure context, denied permission): leave the link in the address bar.
      history.replaceState(null, '', url)
      a.notify('info', 'The share link is now in the address bar; copy it from there.')
    }
  }

  return (
    <div className="run-controls">
      <button className="btn btn-primary btn-large" type="button" disabled={blockers.length > 0} title={blockers.join('\n')} onClick={() => a.startRun()} data-testid="start-run">
        {activeName ? 'Queue run' : 'Start run'}
      </button>
      <button className="btn" type="button" onClick={() => void share()} data-testid="share-link">
        Copy share link
      </button>
      <p className="run-controls-note" data-testid="start-note">
        {blockers.length > 0
          ? blockers[0]
          : activeName
            ? `Starts when ${activeName}${queued ? ` and ${queued} queued run${queued > 1 ? 's' : ''}` : ''} finish${queued ? '' : 'es'}.`
            : 'The run freezes this configuration and both curves.'}
      </p>
    </div>
  )
}
