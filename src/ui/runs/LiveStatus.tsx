// Progress of the focused run: step/epoch, images/s, ETA, current LR and ε; pause, resume, stop.

import { focusedRun } from '../../store'
import { finalEval } from '../../store/compare'
import { pct } from '../../store/describe'
import { etaSeconds } from '../../store/runs'
import { isActive } from '../../store/types'
import { fmtDuration, fmtEpoch, fmtInt, fmtLr } from '../shared/format'
import { StatusPill } from './StatusPill'
import { useActions, useApp } from '../shared/StoreContext'

export function LiveStatus() {
  const a = useActions()
  const run = useApp(focusedRun)
  const live = useApp((s) => (run ? s.live[run.id] : undefined))
  const stopping = useApp((s) => !!run && s.stopping.includes(run.id))
  if (!run)
    return (
      <section className="card live-card empty" data-testid="live-status">
        <p>
          No runs yet. Shape the schedule, check the configuration, and press <strong>Start run</strong>.
        </p>
      </section>
    )
  const last = run.steps[run.steps.length - 1]
  const step = live?.step ?? last?.step ?? 0
  const total = live?.totalSteps ?? run.totalSteps
  const fraction = run.status === 'done' ? 1 : total ? step / total : 0
  const eta = live && isActive(run.status) ? etaSeconds(live) : null
  const f = finalEval(run)
  const eps = live?.eps255 ?? last?.eps255
  return (
    <section className="card live-card" data-testid="live-status" data-run={run.id} data-status={run.status}>
      <div className="live-head">
        <span className="swatch" style={{ background: run.color }} aria-hidden="true" />
        <h2>{run.name}</h2>
        <StatusPill status={run.status} />
        <div className="live-actions">
          {run.status === 'running' && (
            <button className="btn btn-small" type="button" onClick={() => a.pauseRun(run.id)} disabled={stopping} data-testid="pause-run">
              Pause
            </button>
          )}
          {run.status === 'paused' && (
            <button className="btn btn-small" type="button" onClick={() => a.resumeRun(run.id)} disabled={stopping} data-testid="resume-run">
              Resume
            </button>
          )}
          {(isActive(run.status) || run.status === 'queued') && (
            <button className="btn btn-small btn-danger" type="button" onClick={() => a.stopRun(run.id)} disabled={stopping} data-testid="stop-run">
              {stopping ? 'Stopping…' : run.status === 'queued' ? 'Remove from queue' : 'Stop'}
            </button>
          )}
        </div>
      </div>
      <div className="progress" role="progressbar" aria-label={`${run.name} progress`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(fraction * 100)} data-testid="run-progress">
        <div className="progress-fill" style={{ width: `${fraction * 100}%`, background: run.color }} />
      </div>
      <dl className="live-stats">
        <div>
          <dt>Step</dt>
          <dd>
            {fmtInt(step)} / {fmtInt(total)} <span className="muted">({Math.round(fraction * 100)} %)</span>
          </dd>
        </div>
        <div>
          <dt>Epoch</dt>
          <dd>
            {fmtEpoch(Number((live?.epoch ?? last?.epoch ?? 0).toFixed(2)))} / {run.config.epochs}
          </dd>
        </div>
        <div>
          <dt>Images/s</dt>
          <dd>{live && isActive(run.status) ? live.imagesPerSec.toFixed(1) : '–'}</dd>
        </div>
        <div>
          <dt>{isActive(run.status) ? 'ETA' : 'Wall time'}</dt>
          <dd>{isActive(run.status) ? (eta === null ? '–' : fmtDuration(eta * 1000)) : fmtDuration(run.wallMs)}</dd>
        </div>
        <div>
          <dt>LR</dt>
          <dd>{live || last ? fmtLr(live?.lr ?? last!.lr) : '–'}</dd>
        </div>
        <div>
          <dt>ε</dt>
          <dd>
            {eps === undefined ? (
              '–'
            ) : (
              <>
                {Number(eps.toFixed(2))}
                <span className="muted">/255</span>
              </>
            )}
          </dd>
        </div>
        <div>
          <dt>Clean / robust</dt>
          <dd>{f ? `${pct(f.clean)} / ${pct(f.robust)} %` : '–'}</dd>
        </div>
      </dl>
      {run.reason && (
        <p className={`run-reason status-${run.status}`} data-testid="run-reason">
          {run.reason}
        </p>
      )}
    </section>
  )
}
