// The editor's config and schedule remembered across visits (localStorage). Stored values are
// re-validated on load, merged over the defaults, so an old or hand-edited entry cannot break
// the page.

import { DEFAULT_CONFIG, configProblems, type RunConfig } from '../core/config'
import { curveProblems, DEFAULT_SCHEDULE, scheduleProblems, type ControlPoint } from '../core/schedule'
import type { XAxisUnit } from './types'

export interface KeyValueStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

export interface Settings {
  config: RunConfig
  schedule: ControlPoint[]
  xAxis: XAxisUnit
}

export const SETTINGS_KEY = 'advtune.settings.v1'

export function defaultSettings(): Settings {
  return { config: structuredClone(DEFAULT_CONFIG), schedule: structuredClone(DEFAULT_SCHEDULE), xAxis: 'step' }
}

/** Reads settings; anything missing, unreadable or invalid falls back to the default. */
export function loadSettings(kv: KeyValueStorage | null): Settings {
  const s = defaultSettings()
  let raw: string | null = null
  try {
    raw = kv?.getItem(SETTINGS_KEY) ?? null
  } catch {
    return s // storage blocked (privacy mode): defaults
  }
  if (!raw) return s
  let parsed: Partial<Settings>
  try {
    parsed = JSON.parse(raw)
  } catch {
    return s
  }
  if (parsed.config && typeof parsed.config === 'object') {
    // The ε curve is checked on its own: a bad or missing one (settings saved before it existed)
    // falls back to the default without throwing away the rest of the configuration.
    const { epsCurve, ...rest } = parsed.config as Partial<RunConfig>
    const merged: RunConfig = {
      ...s.config,
      ...rest,
      trainAttack: { ...s.config.trainAttack, ...(parsed.config.trainAttack ?? {}) },
      evalAttack: { ...s.config.evalAttack, ...(parsed.config.evalAttack ?? {}) },
      epsCurve: usableCurve(epsCurve, 'ε curve') ?? s.config.epsCurve,
    }
    if (configProblems(merged).length === 0 && sameShape(merged, s.config)) s.config = merged
  }
  if (Array.isArray(parsed.schedule) && scheduleProblems(parsed.schedule).length === 0) s.schedule = usableCurve(parsed.schedule, 'schedule') ?? s.schedule
  if (parsed.xAxis === 'step' || parsed.xAxis === 'epoch') s.xAxis = parsed.xAxis
  return s
}

/** Writes settings; returns false when the browser refuses (full or blocked storage). */
export function saveSettings(kv: KeyValueStorage | null, s: Settings): boolean {
  try {
    kv?.setItem(SETTINGS_KEY, JSON.stringify(s))
    return true
  } catch {
    return false
  }
}

/** A stored curve as plain {t, y} points when it is usable, else null. */
function usableCurve(pts: unknown, what: string): ControlPoint[] | null {
  if (!Array.isArray(pts) || pts.some((p) => p === null || typeof p !== 'object')) return null
  const clean = pts.map((p: ControlPoint) => ({ t: p.t, y: p.y }))
  return curveProblems(clean, what).length === 0 ? clean : null
}

/** Same keys with the same primitive types as the reference (rejects e.g. strings for numbers). */
function sameShape(a: unknown, ref: unknown): boolean {
  if (Array.isArray(ref)) return Array.isArray(a) // curves: checked point by point elsewhere
  if (ref === null || typeof ref !== 'object') return typeof a === typeof ref
  if (a === null || typeof a !== 'object') return false
  return Object.keys(ref).every((k) => sameShape((a as Record<string, unknown>)[k], (ref as Record<string, unknown>)[k]))
}
