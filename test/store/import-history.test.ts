// A run's history JSON back into the store as a read-only run (the PyTorch script's, shaped as it
// writes it), with or without its weights; wrong files refused with a message, nothing changed;
// and the script made from a history is the script made from the run.

import { describe, expect, it } from 'vitest'
import { serializeSafetensors } from '../../src/core/checkpoint'
import { DEFAULT_CONFIG } from '../../src/core/config'
import { DEFAULT_SCHEDULE } from '../../src/core/schedule'
import { finalEval, winnerId } from '../../src/store/compare'
import { historyJson } from '../../src/store/exports'
import { createRun } from '../../src/store/runs'
import { runScript, scriptFromHistory } from '../../src/store/scriptExport'
import type { Run } from '../../src/store/types'
import { loadStateDict } from '../helpers/engine'
import { evalPoint, readyStore, testStore } from './helpers'

const config = { ...DEFAULT_CONFIG, trainSize: 256, batchSize: 32, epochs: 2, evalEvery: 8 }

/** A history as the exported script writes it: the page's format plus who produced it. */
function scriptHistory(robust = 0.31): string {
  const r: Run = { ...createRun({ id: 'abc', number: 3, color: '#000', now: 0, config, schedule: DEFAULT_SCHEDULE, base: { model: 'resnet20', source: 'pretrained' }, name: 'Run 3 (PyTorch)' }) }
  const doc = JSON.parse(
    historyJson(
      {
        ...r,
        status: 'done',
        evals: [evalPoint(0, 0.92, 0), evalPoint(8, 0.8, 0.2), evalPoint(16, 0.75, robust)],
        steps: Array.from({ length: 16 }, (_, i) => ({ step: i + 1, epoch: (i + 1) / 8, lr: 0.01, eps255: 8, loss: 1 })),
      },
      '0.1.0',
    ),
  )
  doc.producer = { name: 'advtune PyTorch script', torch: '2.5.1', worldSize: 8, device: 'NVIDIA H100', backend: 'nccl' }
  return JSON.stringify(doc)
}

describe('importing a run history', () => {
  it('adds a read-only, selected run that persists and takes part in the comparison', async () => {
    const h = await readyStore()
    const id = await h.a().importHistory({ name: 'advtune_run-3-pytorch.history.json', text: scriptHistory() })
    expect(id).not.toBeNull()
    const run = h.store.getState().runs[id!]
    expect(run).toMatchObject({
      name: 'Run 3 (PyTorch)',
      status: 'done',
      weights: 'none',
      totalSteps: 16,
      imported: { fileName: 'advtune_run-3-pytorch.history.json', producer: 'PyTorch 2.5.1, 8 processes (NVIDIA H100)' },
    })
    expect(run.steps).toHaveLength(16)
    expect(finalEval(run)?.robust).toBe(0.31)
    expect(h.store.getState().selected).toContain(id)
    // It competes with the page's runs: the most robust one wins.
    const other = await h.a().importHistory({ name: 'b.json', text: scriptHistory(0.25) })
    expect(winnerId(Object.values(h.store.getState().runs))).toBe(id)
    expect(other).not.toBe(id)
    // Saved like other runs: a new page over the same storage has it back.
    const again = testStore({ runStorage: h.runStorage })
    await again.a().boot('')
    expect(again.store.getState().runs[id!]).toMatchObject({ name: 'Run 3 (PyTorch)', imported: { producer: 'PyTorch 2.5.1, 8 processes (NVIDIA H100)' } })
  })

  it('refuses files that are not a usable history, naming the problem, and changes nothing', async () => {
    const h = await readyStore()
    const doc = JSON.parse(scriptHistory())
    const cases: [string, string, RegExp][] = [
      ['w.json', '{"format": "advtune-run', /'w\.json' is not JSON/],
      ['x.json', JSON.stringify({ hello: 1 }), /'x\.json' is not an advtune run history/],
      ['v.json', JSON.stringify({ ...doc, version: 2 }), /version 2; this page reads version 1/],
      ['c.json', JSON.stringify({ ...doc, config: { ...doc.config, batchSize: 0 } }), /unusable configuration: Batch size must be/],
      ['e.json', JSON.stringify({ ...doc, evals: [doc.evals[0]] }), /no evaluation after training started/],
      ['p.json', JSON.stringify({ ...doc, evals: [{ ...doc.evals[1], clean: 'high' }] }), /evaluation 1 has no number 'clean'/],
    ]
    for (const [name, text, message] of cases) {
      expect(await h.a().importHistory({ name, text })).toBeNull()
      expect(h.store.getState().notices.at(-1)?.text).toMatch(message)
    }
    expect(h.store.getState().runOrder).toEqual([])
    await expect(h.runStorage.loadRuns()).resolves.toEqual([])
  })

  it('attaches the final weights of the same architecture, and imports without weights of another', async () => {
    const h = await readyStore()
    // As PyTorch writes them: with BatchNorm's num_batches_tracked.
    const dict = loadStateDict('resnet20').set('bn1.num_batches_tracked', { dtype: 'I64', shape: [], data: new BigInt64Array([2n]) })
    const good = serializeSafetensors(dict).buffer
    const id = await h.a().importHistory({ name: 'r.json', text: scriptHistory() }, { name: 'r.safetensors', bytes: good })
    expect(h.store.getState().runs[id!].weights).toBe('saved')
    expect(Buffer.from((await h.a().getWeights(id!))!).equals(Buffer.from(good))).toBe(true)

    // A deeper network's extra block, and no classifier bias.
    const other = new Map(dict).set('layer1.3.conv1.weight', dict.get('layer1.2.conv1.weight')!)
    other.delete('linear.bias')
    const wrong = serializeSafetensors(other).buffer
    const id2 = await h.a().importHistory({ name: 's.json', text: scriptHistory() }, { name: 'deep.safetensors', bytes: wrong })
    expect(h.store.getState().runs[id2!].weights).toBe('none')
    expect(
      h.store
        .getState()
        .notices.map((n) => n.text)
        .join('\n'),
    ).toMatch(/'deep\.safetensors' are not resnet20 weights \(missing linear\.bias; unexpected layer1\.3\.conv1\.weight\)/)
  })

  it('export-script makes the same script from a run history as the page from the run', () => {
    const r: Run = {
      ...createRun({ id: 'r9', number: 9, color: '#000', now: 0, config, schedule: DEFAULT_SCHEDULE, base: { model: 'resnet20', source: 'pretrained' } }),
      status: 'done',
      evals: [evalPoint(8, 0.8, 0.2)],
    }
    const fromHistory = scriptFromHistory(historyJson(r, '0.1.0'), 'r9.json', '0.1.0')
    expect(fromHistory).toEqual(runScript(r, '0.1.0'))
    expect(fromHistory.fileName).toBe('advtune_run-9.py')
    expect(fromHistory.text).toContain('LR_CURVE = [(0, 0), (0.5, 1), (0.7, 0.1), (1, 0)]')
    expect(() => scriptFromHistory('{}', 'bad.json', '0.1.0')).toThrow(/'bad\.json' is not an advtune run history/)
  })
})
