// The learning-rate schedule: the curve editor with the LR in real units (peak LR × curve).

import { totalSteps } from '../../core/config'
import { PRESETS } from '../../core/schedule'
import { CurveEditor, type CurveAxis } from './CurveEditor'
import { fmtLr } from '../shared/format'
import { PresetBar } from './PresetBar'
import { useActions, useApp } from '../shared/StoreContext'

export function ScheduleEditor() {
  const a = useActions()
  const pts = useApp((s) => s.schedule)
  const config = useApp((s) => s.config)
  const axis: CurveAxis = { max: config.peakLr, title: 'learning rate', name: 'LR', ofMax: 'peak', fmt: fmtLr }
  return (
    <CurveEditor
      id="schedule"
      title="Learning-rate schedule"
      curve={pts}
      axis={axis}
      epochs={config.epochs}
      totalSteps={totalSteps(config)}
      onChange={a.setSchedule}
      presets={<PresetBar presets={PRESETS} current={pts} onApply={a.applyPreset} label="Schedule presets" testIdPrefix="preset" />}
    />
  )
}
