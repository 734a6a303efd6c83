// Form fields of the config panel. Number fields keep the text being typed ("0.", "1e-") as a
// draft and commit only finite numbers, so typing never fights the store.

import { useEffect, useId, useState, type ReactNode } from 'react'

interface NumberFieldProps {
  label: ReactNode
  value: number
  onChange: (v: number) => void
  step?: number
  min?: number
  max?: number
  unit?: string
  hint?: string
  disabled?: boolean
  testId?: string
}

export function NumberField({ label, value, onChange, step, min, max, unit, hint, disabled, testId }: NumberFieldProps) {
  const id = useId()
  const [draft, setDraft] = useState(String(value))
  useEffect(() => {
    // An outside change (preset, reset, share link) replaces the draft unless it means the same.
    setDraft((d) => (Number(d) === value && d.trim() !== '' ? d : String(value)))
  }, [value])
  const parsed = draft.trim() === '' ? NaN : Number(draft)
  return (
    <div className="field" title={hint}>
      <label htmlFor={id}>{label}</label>
      <div className="field-input">
        <input
          id={id}
          type="number"
          inputMode="decimal"
          value={draft}
          step={step ?? 'any'}
          min={min}
          max={max}
          disabled={disabled}
          aria-invalid={!Number.isFinite(parsed)}
          data-testid={testId}
          onChange={(e) => {
            setDraft(e.target.value)
            const v = e.target.value.trim() === '' ? NaN : Number(e.target.value)
            if (Number.isFinite(v)) onChange(v)
          }}
          onBlur={() => setDraft(String(value))}
        />
        {unit && <span className="unit">{unit}</span>}
      </div>
    </div>
  )
}

export function SelectField<T extends string>({
  label,
  value,
  options,
  onChange,
  disabled,
  testId,
}: {
  label: ReactNode
  value: T
  options: readonly (readonly [T, string])[]
  onChange: (v: T) => void
  disabled?: boolean
  testId?: string
}) {
  const id = useId()
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} disabled={disabled} data-testid={testId} onChange={(e) => onChange(e.target.value as T)}>
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </div>
  )
}

export function CheckField({ label, checked, onChange, hint, disabled }: { label: ReactNode; checked: boolean; onChange: (v: boolean) => void; hint?: string; disabled?: boolean }) {
  return (
    <label className="field field-check" title={hint}>
      <input type="checkbox" checked={checked} disabled={disabled} onChange={(e) => onChange(e.target.checked)} />
      <span>{label}</span>
    </label>
  )
}
