// Adversarial previews of the focused run (refreshed at every evaluation), or of the base model
// before any run; plus the result of attacking a clicked image on demand.

import { currentBaseline, focusedRun } from '../../store'
import { evalAttackLabel } from '../../store/describe'
import { ExampleCard } from './ExampleCard'
import { InspectPanel } from './InspectPanel'
import { useActions, useApp } from '../shared/StoreContext'

export function Previews() {
  const a = useActions()
  const run = useApp(focusedRun)
  const baseline = useApp(currentBaseline)
  const configAttack = useApp((s) => s.config.evalAttack)
  const now = run?.examples?.examples ?? (run ? [] : (baseline?.examples ?? []))
  const before = run?.baselineExamples.length ? run.baselineExamples : (baseline?.examples ?? [])
  const attack = run?.config.evalAttack ?? configAttack
  const caption = run
    ? run.examples
      ? `${run.name} at step ${run.examples.step} · ${evalAttackLabel(attack)}`
      : `${run.name}: previews arrive with the first evaluation`
    : `Base model · ${evalAttackLabel(attack)}`
  return (
    <section className="card previews-card" aria-labelledby="previews-title">
      <div className="card-head">
        <h2 id="previews-title">Adversarial examples</h2>
        <span className="muted" data-testid="previews-caption">
          {caption}
        </span>
      </div>
      <InspectPanel />
      {now.length === 0 ? (
        <p className="muted empty-note">No examples yet.</p>
      ) : (
        <div className="example-grid" data-testid="example-grid">
          {now.map((ex) => (
            <ExampleCard key={ex.index} now={ex} before={run ? (before.find((b) => b.index === ex.index) ?? null) : null} eps255={attack.eps255} onClick={() => a.attackImage(ex.index)} />
          ))}
        </div>
      )}
    </section>
  )
}
