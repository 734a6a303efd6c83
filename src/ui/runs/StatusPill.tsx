// A run's status as a coloured label.

import type { RunStatus } from '../../store/types'

const TEXT: Record<RunStatus, string> = {
  queued: 'queued',
  starting: 'starting…',
  running: 'running',
  paused: 'paused',
  done: 'done',
  stopped: 'stopped',
  diverged: 'diverged',
  interrupted: 'interrupted',
  error: 'error',
}

export function StatusPill({ status }: { status: RunStatus }) {
  return (
    <span className={`pill pill-${status}`} data-testid="run-status">
      {TEXT[status]}
    </span>
  )
}
