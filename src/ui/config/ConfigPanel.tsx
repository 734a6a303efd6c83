// Every RunConfig field, with units (eps and step sizes in 1/255). Problems from configProblems
// and scheduleProblems are listed under the form; Start stays disabled until they are fixed.

import { EVAL_ATTACK_KINDS, EVAL_ATTACKS, evalKindPatch, evalRandomStart, TRAIN_ATTACK_KINDS, TRAIN_ATTACKS, type EvalAttackKind, type TrainAttackKind } from '../../core/attacks/kinds'
import { configProblems, stepsPerEpoch, totalSteps, type RunConfig } from '../../core/config'
import { scheduleProblems } from '../../core/schedule'
import { CheckField, NumberField, SelectField } from './fields'
import { fmtInt } from '../shared/format'
import { useActions, useApp } from '../shared/StoreContext'

const menu = <K extends string>(kinds: readonly K[], info: Record<K, { menu: string }>) => kinds.map((k) => [k, info[k].menu] as const)
const TRAIN_MENU = menu(TRAIN_ATTACK_KINDS, TRAIN_ATTACKS)
const EVAL_MENU = menu(EVAL_ATTACK_KINDS, EVAL_ATTACKS)

export function ConfigPanel() {
  const a = useActions()
  const c = useApp((s) => s.config)
  const schedule = useApp((s) => s.schedule)
  const problems = [...configProblems(c), ...scheduleProblems(schedule)]
  const set = (patch: Partial<RunConfig>) => a.setConfig((old) => ({ ...old, ...patch }))
  const setTrain = (patch: Partial<RunConfig['trainAttack']>) => a.setConfig((old) => ({ ...old, trainAttack: { ...old.trainAttack, ...patch } }))
  const setEval = (patch: Partial<RunConfig['evalAttack']>) => a.setConfig((old) => ({ ...old, evalAttack: { ...old.evalAttack, ...patch } }))
  const ta = c.trainAttack
  const ea = c.evalAttack
  const tUses = TRAIN_ATTACKS[ta.kind].uses
  const eInfo = EVAL_ATTACKS[ea.kind]
  const steps = problems.length ? null : totalSteps(c)

  return (
    <section className="card config-card" aria-labelledby="config-title">
      <div className="card-head">
        <h2 id="config-title">Configuration</h2>
        <button type="button" className="btn btn-small btn-ghost" onClick={() => a.resetConfig()}>
          Reset to defaults
        </button>
      </div>
      <fieldset>
        <legend>Fine-tuning</legend>
        <div className="grid-fields">
          <NumberField label="Epochs" value={c.epochs} step={1} min={1} onChange={(v) => set({ epochs: v })} testId="cfg-epochs" />
          <NumberField
            label="Training images"
            value={c.trainSize}
            step={1000}
            min={1}
            max={50000}
            onChange={(v) => set({ trainSize: v })}
            hint="The first N images of the CIFAR-10 training set"
            testId="cfg-trainSize"
          />
          <NumberField label="Batch size" value={c.batchSize} step={1} min={1} onChange={(v) => set({ batchSize: v })} testId="cfg-batchSize" />
          <NumberField label="Peak LR" value={c.peakLr} step={0.005} min={0} onChange={(v) => set({ peakLr: v })} hint="The schedule's y = 1" testId="cfg-peakLr" />
          <NumberField label="Momentum" value={c.momentum} step={0.05} min={0} max={0.99} onChange={(v) => set({ momentum: v })} />
          <NumberField label="Weight decay" value={c.weightDecay} step={1e-4} min={0} onChange={(v) => set({ weightDecay: v })} />
          <NumberField label="Seed" value={c.seed} step={1} min={0} onChange={(v) => set({ seed: v })} testId="cfg-seed" />
          <CheckField label="Augment (crop + flip)" checked={c.augment} onChange={(v) => set({ augment: v })} />
        </div>
        {steps !== null && (
          <p className="derived">
            {fmtInt(stepsPerEpoch(c))} steps per epoch · <strong>{fmtInt(steps)} steps</strong> · {fmtInt(stepsPerEpoch(c) * c.batchSize * c.epochs)} images seen
          </p>
        )}
      </fieldset>
      <fieldset>
        <legend>Training attack (L∞)</legend>
        <div className="grid-fields">
          <SelectField<TrainAttackKind> label="Attack" value={ta.kind} options={TRAIN_MENU} onChange={(kind) => setTrain({ kind })} testId="cfg-trainAttack" />
          <NumberField
            label="ε_max"
            unit="/255"
            value={ta.eps255}
            step={1}
            min={0}
            disabled={TRAIN_ATTACKS[ta.kind].pgd(ta) === null}
            onChange={(v) => setTrain({ eps255: v })}
            hint="The ε curve's top: ε at each step is ε_max × the curve"
            testId="cfg-trainEps"
          />
          <NumberField label="Step size" unit="/255" value={ta.stepSize255} step={0.5} disabled={!tUses.stepSize} onChange={(v) => setTrain({ stepSize255: v })} hint={TRAIN_ATTACKS[ta.kind].hint} />
          <NumberField label="Steps" value={ta.steps} step={1} min={1} disabled={!tUses.steps} onChange={(v) => setTrain({ steps: v })} testId="cfg-trainSteps" />
        </div>
      </fieldset>
      <fieldset>
        <legend>Evaluation</legend>
        <div className="grid-fields">
          <SelectField<EvalAttackKind> label="Attack" value={ea.kind} options={EVAL_MENU} onChange={(kind) => setEval(evalKindPatch(ea, kind))} testId="cfg-evalAttack" />
          <NumberField label="ε" unit="/255" value={ea.eps255} step={1} min={0} onChange={(v) => setEval({ eps255: v })} testId="cfg-evalEps" />
          <NumberField label="Step size" unit="/255" value={ea.stepSize255} step={0.5} disabled={!eInfo.uses.stepSize} onChange={(v) => setEval({ stepSize255: v })} hint={eInfo.hints.stepSize} />
          <NumberField label={eInfo.stepsLabel} value={ea.steps} step={1} min={1} disabled={!eInfo.uses.steps} onChange={(v) => setEval({ steps: v })} testId="cfg-evalSteps" />
          <NumberField label="Restarts" value={ea.restarts} step={1} min={1} disabled={!eInfo.uses.restarts} onChange={(v) => setEval({ restarts: v })} />
          <CheckField label="Random start" checked={evalRandomStart(ea)} disabled={eInfo.uses.randomStart !== 'option'} onChange={(v) => setEval({ randomStart: v })} hint={eInfo.hints.randomStart} />
          <NumberField
            label="Test images"
            value={c.evalSize}
            step={100}
            min={1}
            max={10000}
            onChange={(v) => set({ evalSize: v })}
            hint="The first N images of the CIFAR-10 test set"
            testId="cfg-evalSize"
          />
          <NumberField
            label="Every"
            unit="steps"
            value={c.evalEvery}
            step={1}
            min={1}
            onChange={(v) => set({ evalEvery: v })}
            hint="Evaluate every N optimizer steps (and at the end)"
            testId="cfg-evalEvery"
          />
        </div>
      </fieldset>
      {problems.length > 0 && (
        <ul className="problems" role="alert" data-testid="config-problems">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
    </section>
  )
}
