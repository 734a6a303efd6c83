// The study command on a tiny real grid (WASM engine, real ResNet-20 and CIFAR-10): bad study
// files refused field by field before anything runs; a killed study resumes without running a
// finished run again; the report generator turns the logs and the PyTorch oracle's figures into
// tables and SVG charts. (A diverged run's log is a finished run's like any other; no recipe
// within the engine's limits diverges reliably in a few steps, so divergence itself is tested
// where it is decided, test/core/train/finetune.test.ts.)

import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseStudy, StudyError } from '../../../scripts/study/spec'
import { PYTHON, REPO } from '../../helpers/engine'

const problemsOf = (raw: unknown): string[] => {
  try {
    parseStudy(raw)
    return []
  } catch (e) {
    if (e instanceof StudyError) return e.problems
    throw e
  }
}

describe('parseStudy', () => {
  const ok = { name: 't', base: { trainAttack: { kind: 'pgd', steps: 7 } }, grids: [{ name: 'g', axes: { schedule: ['constant', 'cyclic'], seed: [0, 1], budget: { passes: 8000 } } }] }

  it('expands grids into runs with stable ids; the same recipe in two grids runs once', () => {
    const s = parseStudy({ ...ok, grids: [...ok.grids, { name: 'h', axes: { schedule: 'constant', seed: 0, budget: { passes: 8000 } } }] })
    expect(s.runs).toHaveLength(4)
    expect(s.runs.find((r) => r.scheduleName === 'constant' && r.config.seed === 0)!.grids.map((g) => g.grid)).toEqual(['g', 'h'])
    expect(parseStudy(ok).runs.map((r) => r.id)).toEqual(s.runs.map((r) => r.id))
    // 8,000 passes of PGD-7 (8 per image) = 1,000 images: one epoch over 1,024 (whole batches)
    expect(s.runs[0].config).toMatchObject({ epochs: 1, trainSize: 1024 })
  })

  it('names the field of every problem before anything runs', () => {
    const p = problemsOf({
      name: 't',
      base: { batchSize: 512, trainSize: 100, colour: 'red' },
      grids: [{ name: 'g', axes: { schedule: ['slow-start-fast-decay', 'warp-speed'], budget: { passes: -5 }, epsCurve: 'ramp-99', learningRate: [1] } }],
    })
    const text = p.join('\n')
    expect(text).toMatch(/base\.colour: not a run configuration field/)
    expect(text).toMatch(/grids\[0\]\.axes\.schedule: unknown preset "warp-speed"/)
    expect(text).toMatch(/grids\[0\]\.axes\.budget\.passes: must be a positive number/)
    expect(text).toMatch(/grids\[0\]\.axes\.epsCurve: unknown preset "ramp-99"/)
    expect(text).toMatch(/grids\[0\]\.axes\.learningRate: unknown axis/)
    expect(problemsOf({ name: 't', base: { batchSize: 512, trainSize: 100 }, grids: [{ name: 'g', axes: { seed: 0 } }] }).join('\n')).toMatch(
      /grids\[0\].*Batch size cannot exceed the training subset/,
    )
    expect(problemsOf({ name: 'bad name!', grids: [] }).join('\n')).toMatch(/name: .*grids: a non-empty list/s)
  })
})

const study = (dir: string) => ({
  name: 'tiny',
  backend: 'wasm',
  evalPoints: 1,
  base: { trainSize: 16, batchSize: 8, evalSize: 8, trainAttack: { kind: 'pgd', steps: 1, stepSize255: 8 }, evalAttack: { steps: 2 } },
  grids: [
    { name: 'schedules', axes: { schedule: ['slow-start-fast-decay', 'constant'], epsCurve: 'constant', seed: [0], budget: { epochs: 1 } } },
    { name: 'eps', axes: { schedule: 'constant', epsCurve: ['constant', 'ramp-50'], seed: 0, budget: { epochs: 1 } } },
  ],
  _dir: dir,
})

function runStudy(file: string, out: string, extra: string[] = []): Promise<{ code: number; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'scripts/study/study.ts'), file, '--out', out, '--jobs', '1', ...extra], { cwd: REPO })
    let stderr = ''
    p.stderr.on('data', (b) => (stderr += b))
    p.on('close', (code) => res({ code: code ?? 1, stderr }))
  })
}

describe('npm run study', () => {
  it('resumes a killed study without re-running a finished run, and the report shows the logs with PyTorch beside them', { timeout: 600_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'advtune-study-'))
    const file = join(dir, 'study.json')
    const { _dir, ...s } = study(dir)
    writeFileSync(file, JSON.stringify(s))
    const out = join(dir, 'out')
    const runsDir = join(out, 'runs')

    // Start, and kill the whole study as soon as its first run has finished.
    const first = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'scripts/study/study.ts'), file, '--out', out, '--jobs', '1'], { cwd: REPO, detached: true })
    const finished = () => (existsSync(runsDir) ? readdirSync(runsDir).filter((d) => existsSync(join(runsDir, d, 'log.json'))) : [])
    await new Promise<void>((res, rej) => {
      const t = setInterval(() => {
        if (finished().length >= 1) {
          clearInterval(t)
          process.kill(-first.pid!, 'SIGKILL')
          res()
        }
      }, 200)
      first.on('close', () => (clearInterval(t), rej(new Error('the study ended before it could be killed'))))
    })
    const done = finished()
    expect(done).toHaveLength(1)
    const mtime = statSync(join(runsDir, done[0], 'log.json')).mtimeMs

    const again = await runStudy(file, out)
    expect(again.stderr).toMatch(/3 runs, 1 already finished, 2 to run/)
    expect(statSync(join(runsDir, done[0], 'log.json')).mtimeMs).toBe(mtime) // never run again
    const logs = finished().map((d) => JSON.parse(readFileSync(join(runsDir, d, 'log.json'), 'utf8')))
    expect(logs).toHaveLength(3)
    expect(logs.every((l) => l.status === 'done')).toBe(true)
    // The constant-schedule, full-ε recipe is in both grids and ran once.
    expect(logs.find((l) => l.grids.length === 2).grids.map((g: { grid: string }) => g.grid)).toEqual(['schedules', 'eps'])
    expect(again.code).toBe(0)
    expect((await runStudy(file, out)).stderr).toMatch(/3 runs, 3 already finished, 0 to run/)

    // The oracle re-evaluates every final weights file; the report reads both.
    execFileSync(
      PYTHON,
      [
        join(REPO, 'scripts/study/oracle_eval.py'),
        '--runs',
        out,
        '--data',
        join(REPO, 'public/data/cifar10'),
        '--clean-n',
        '200',
        '--robust-n',
        '8',
        '--apgd-iters',
        '5',
        '--device',
        'cpu',
        '--threads',
        '1',
      ],
      { stdio: 'pipe' },
    )
    const report = join(dir, 'report')
    execFileSync(process.execPath, ['--import', 'tsx', join(REPO, 'scripts/study/report.ts'), '--study', out, '--out', report], { cwd: REPO, stdio: 'pipe' })
    const md = readFileSync(join(report, 'README.md'), 'utf8')
    const ssfd = logs.find((l) => l.scheduleName === 'slow-start-fast-decay')
    const oracle = JSON.parse(readFileSync(join(runsDir, ssfd.id, 'oracle.json'), 'utf8'))
    const row = md.split('\n').find((l) => l.startsWith('| Slow start, fast decay |'))!
    expect(row).toContain(`| ${(100 * ssfd.evals.at(-1).clean).toFixed(1)} | ${(100 * ssfd.evals.at(-1).robust).toFixed(1)} | ${(100 * oracle.clean.accuracy).toFixed(1)} |`)
    expect(md).toMatch(/advtune against PyTorch on the same weights and images/)
    for (const svg of ['schedules-robust.svg', 'schedules-clean.svg', 'tradeoff.svg']) expect(readFileSync(join(report, svg), 'utf8')).toMatch(/^<svg [^>]*>[\s\S]*<polyline|<circle[\s\S]*<\/svg>\n$/)
  })
})
