// Share links and remembered settings: round trips, and bad input that cannot break the page.

import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../src/core/config'
import { DEFAULT_SCHEDULE, PRESETS } from '../../src/core/schedule'
import { decodeShareHash, encodeShareHash } from '../../src/store/share'
import { SETTINGS_KEY, loadSettings, saveSettings } from '../../src/store/settings'
import { mapStorage, testStore } from './helpers'

describe('share links', () => {
  it('round-trips a config and a curve, writing only what differs from the defaults', () => {
    const config = {
      ...DEFAULT_CONFIG,
      epochs: 5,
      peakLr: 0.02,
      trainAttack: { ...DEFAULT_CONFIG.trainAttack, kind: 'pgd' as const, eps255: 4 },
      evalAttack: { ...DEFAULT_CONFIG.evalAttack, randomStart: true },
    }
    const schedule = PRESETS['step-decay'].points
    const hash = encodeShareHash(config, schedule)
    expect(hash).toBe('#v=1&epochs=5&peakLr=0.02&trainAttack.kind=pgd&trainAttack.eps255=4&evalAttack.randomStart=true&schedule=0:1,0.5:1,0.5:0.1,0.75:0.1,0.75:0.01,1:0.01')
    expect(decodeShareHash(hash)).toEqual({ config, schedule, problems: [] })
    expect(decodeShareHash(encodeShareHash(DEFAULT_CONFIG, DEFAULT_SCHEDULE))).toEqual({ config: DEFAULT_CONFIG, schedule: DEFAULT_SCHEDULE, problems: [] })
  })

  it('is not fooled by hashes that are not share links', () => {
    expect(decodeShareHash('')).toBeNull()
    expect(decodeShareHash('#section-2')).toBeNull()
  })

  it('ignores bad values and unknown keys, naming them, and repairs a fixable curve', () => {
    const d = decodeShareHash('#v=1&epochs=abc&model=resnet99&augment=maybe&bogus=1&batchSize=64&schedule=0.1:0.5,1:0.2')!
    expect(d.config).toEqual({ ...DEFAULT_CONFIG, batchSize: 64 })
    expect(d.problems.join(' ')).toMatch(/epochs/)
    expect(d.problems.join(' ')).toMatch(/resnet99/)
    expect(d.problems.join(' ')).toMatch(/bogus/)
    expect(d.schedule).toEqual([
      { t: 0, y: 0.5 },
      { t: 1, y: 0.2 },
    ])
    expect(decodeShareHash('#v=1&schedule=0:0,1:0')!.schedule).toEqual(DEFAULT_SCHEDULE)
  })

  it('reports a config that is well-formed but invalid', () => {
    expect(decodeShareHash('#v=1&batchSize=20000')!.problems).toContain('Batch size must be a whole number from 1 to 1024.')
  })

  it('boot applies a link over remembered settings and tells the user', async () => {
    const kv = mapStorage()
    saveSettings(kv, { config: { ...DEFAULT_CONFIG, epochs: 5 }, schedule: PRESETS.cyclic.points, xAxis: 'epoch' })
    const h = testStore({ settings: kv })
    const r = await h.a().boot('#v=1&epochs=7&schedule=0:1,1:1')
    expect(r.appliedLink).toBe(true)
    const s = h.store.getState()
    expect(s.config.epochs).toBe(7)
    expect(s.schedule).toEqual(PRESETS.constant.points)
    expect(s.xAxis).toBe('epoch')
    expect(s.notices[0].text).toMatch(/shared link/)
    expect(decodeShareHash(h.a().shareHash())!.config.epochs).toBe(7)
  })
})

describe('remembered settings', () => {
  it('edits are saved and come back in a new page', async () => {
    const kv = mapStorage()
    const h = testStore({ settings: kv })
    await h.a().boot('')
    h.a().setConfig((c) => ({ ...c, seed: 42 }))
    h.a().applyPreset('cyclic')
    await h.runTimers()
    const h2 = testStore({ settings: kv })
    await h2.a().boot('')
    expect(h2.store.getState().config.seed).toBe(42)
    expect(h2.store.getState().schedule).toEqual(PRESETS.cyclic.points)
  })

  it('falls back to defaults for unreadable, invalid or mistyped entries', () => {
    const kv = mapStorage()
    kv.setItem(SETTINGS_KEY, '{not json')
    expect(loadSettings(kv).config).toEqual(DEFAULT_CONFIG)
    kv.setItem(SETTINGS_KEY, JSON.stringify({ config: { epochs: '3' }, schedule: [{ t: 0.5, y: 1 }], xAxis: 'wall' }))
    expect(loadSettings(kv)).toEqual({ config: DEFAULT_CONFIG, schedule: DEFAULT_SCHEDULE, xAxis: 'step' })
    kv.setItem(SETTINGS_KEY, JSON.stringify({ config: { epochs: 0 } }))
    expect(loadSettings(kv).config.epochs).toBe(DEFAULT_CONFIG.epochs)
    const blocked = {
      getItem: () => {
        throw new Error('SecurityError')
      },
      setItem: () => {
        throw new Error('QuotaExceededError')
      },
    }
    expect(loadSettings(blocked).config).toEqual(DEFAULT_CONFIG)
    expect(saveSettings(blocked, loadSettings(null))).toBe(false)
  })
})
