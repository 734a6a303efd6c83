// The training attack's ε over training: the curve editor in ε/255, from 0 to the configured ε
// (ε_max, the curve's y = 1). The PGD step size follows ε in proportion (core/train/finetune.ts).

import { totalSteps } from '../../core/config'
import { EPS_PRESETS } from '../../core/schedule'
import { CurveEditor, type CurveAxis } from './CurveEditor'
import { PresetBar } from './PresetBar'
import { useActions, useApp } from '../shared/StoreContext'

const fmtEps = (v: number) => String(Number(v.toFixed(2)))

export function EpsCurveEditor() {
  const a = useActions()
  const config = useApp((s) => s.config)
  const attack = config.trainAttack
  const axis: CurveAxis = { max: attack.kind === 'none' ? 0 : attack.eps255, title: 'ε (/255)', name: 'ε', ofMax: 'ε_max', fmt: fmtEps, unit: '/255' }
  const idle = attack.kind === 'none' ? 'The training attack is off (clean fine-tuning): this curve has no effect.' : attack.eps255 === 0 ? 'ε is 0: this curve has no effect.' : null
  return (
    <CurveEditor
      id="eps"
      title="Training ε"
      className="eps-card"
      curve={config.epsCurve}
      axis={axis}
      epochs={config.epochs}
      totalSteps={totalSteps(config)}
      onChange={a.setEpsCurve}
      height={190}
      presets={<PresetBar presets={EPS_PRESETS} current={config.epsCurve} onApply={a.applyEpsPreset} label="ε curve presets" testIdPrefix="eps-preset" />}
      note={idle && <p className="curve-note">{idle}</p>}
    />
  )
}
