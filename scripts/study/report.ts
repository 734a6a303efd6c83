// The study's report, generated from the runs' logs (no number typed by hand): docs/study/README.md
// with its tables (mean ± spread over seeds), the engine's figures beside the PyTorch oracle's,
// and SVG charts drawn from the same logs.
//
//   npm run study:report -- [--study DIR]… [--torch DIR [--torch-recipes FILE]] [--default DIR] [--out docs/study] [--notes FILE]
//
// --study: a study's output folder (study-out/<name>, several allowed; default: every folder under
// study-out/ with runs/); --torch: PyTorch runs of torch_train.py (the scout); --default: the
// app's default recipe run on WASM (its wall time in the app measured separately, see --notes);
// --notes: a JSON file of facts measured outside the logs that the report quotes (app wall time).

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join, relative, resolve } from 'node:path'
import { PRESETS } from '../../src/core/schedule'
import { REPO } from '../lib/node-env'
import { mean, readStudy, readTorchRuns, sd, type RunResult, type TorchRun } from './results'
import { lineChart, PALETTE, type Series } from './svg'

const pct = (v: number | undefined, digits = 1) => (v === undefined || Number.isNaN(v) ? '–' : (100 * v).toFixed(digits))
const pm = (v: number[]) => (v.length ? `${pct(mean(v))}${v.length > 1 ? ` ± ${pct(sd(v))}` : ''}` : '–')
const kilo = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${Math.round(n / 1e3)} k`)
const MASKING_GAP = 0.03 // PGD-20 above APGD-CE by more than this: gradient masking suspected

interface Args {
  studies: string[]
  torch: string[]
  torchRecipes?: string
  defaultDir?: string
  out: string
  notes?: string
}

function parseArgs(argv: string[]): Args {
  const a: Args = { studies: [], torch: [], out: join(REPO, 'docs/study') }
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i]
    const next = () =>
      argv[++i] ??
      (() => {
        throw new Error(`${v} needs a value`)
      })()
    if (v === '--study') a.studies.push(resolve(next()))
    else if (v === '--torch') a.torch.push(resolve(next()))
    else if (v === '--torch-recipes') a.torchRecipes = resolve(next())
    else if (v === '--default') a.defaultDir = resolve(next())
    else if (v === '--out') a.out = resolve(next())
    else if (v === '--notes') a.notes = resolve(next())
    else throw new Error(`unknown option ${v}`)
  }
  if (!a.studies.length) {
    const root = join(REPO, 'study-out')
    if (existsSync(root)) for (const d of readdirSync(root)) if (existsSync(join(root, d, 'runs')) && d !== 'torch' && d !== 'default') a.studies.push(join(root, d))
  }
  return a
}

/** The figures the report uses for a run: the engine's last evaluation and the oracle's. */
const fig = (r: RunResult) => ({
  clean: r.final?.clean,
  robust: r.final?.robust,
  evalSize: r.final?.evalSize,
  pyClean: r.oracle.clean?.accuracy,
  pyClean1k: r.oracle.pgd20?.clean,
  pyPgd: r.oracle.pgd20?.robust,
  pyApgd: r.oracle.apgd?.robust,
})

function axisText(k: string, v: unknown): string {
  if (k === 'budget' && v && typeof v === 'object' && 'passes' in v) return `${kilo((v as { passes: number }).passes)} passes`
  if (k === 'schedule' && typeof v === 'string') return PRESETS[v as keyof typeof PRESETS]?.label ?? v
  if (k === 'trainAttack' && v && typeof v === 'object') {
    const a = v as { kind: string; steps?: number }
    return a.kind === 'pgd' ? `PGD-${a.steps}` : a.kind === 'fgsm-rs' ? 'FGSM-RS' : a.kind
  }
  if (k === 'init') return v === 'random' ? 'from scratch' : 'fine-tune'
  if (k === 'epsCurve') return v === 'constant' ? 'full ε' : v === 'ramp-30' ? 'ε ramp 30 %' : v === 'ramp-50' ? 'ε ramp 50 %' : String(v)
  return typeof v === 'object' ? JSON.stringify(v) : String(v)
}

/** A grid's runs grouped into cells by every axis but the seed. */
function cellsOf(runs: RunResult[], grid: string) {
  const members = runs.flatMap((r) => r.log.grids.filter((g) => g.grid === grid).map((g) => ({ r, axes: g.axes })))
  const varying = [...new Set(members.flatMap((m) => Object.keys(m.axes)))].filter((k) => k !== 'seed' && new Set(members.map((m) => JSON.stringify(m.axes[k]))).size > 1)
  const cells = new Map<string, { key: Record<string, unknown>; runs: RunResult[] }>()
  for (const m of members) {
    const key = Object.fromEntries(varying.map((k) => [k, m.axes[k]]))
    const id = JSON.stringify(key)
    if (!cells.has(id)) cells.set(id, { key, runs: [] })
    cells.get(id)!.runs.push(m.r)
  }
  const fixed = Object.entries(members[0]?.axes ?? {}).filter(([k]) => k !== 'seed' && !varying.includes(k))
  return { varying, cells: [...cells.values()], fixed }
}

const nums = (rs: RunResult[], f: (x: ReturnType<typeof fig>) => number | undefined) => rs.map((r) => f(fig(r))).filter((v): v is number => v !== undefined)

function gridTable(runs: RunResult[], grid: string): { md: string; cells: ReturnType<typeof cellsOf>['cells'] } {
  const { varying, cells, fixed } = cellsOf(runs, grid)
  const head = [...varying.map((k) => k), 'seeds', 'clean (advtune, 1k)', 'PGD-20 (advtune, 1k)', 'clean (PyTorch, 10k)', 'PGD-20 (PyTorch, 1k)', 'APGD-CE (PyTorch, 1k)', 'diverged']
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`]
  for (const c of cells) {
    const ok = c.runs.filter((r) => r.log.status === 'done')
    lines.push(
      `| ${[
        ...varying.map((k) => axisText(k, c.key[k])),
        String(c.runs.length),
        pm(nums(ok, (f) => f.clean)),
        pm(nums(ok, (f) => f.robust)),
        pm(nums(ok, (f) => f.pyClean)),
        pm(nums(ok, (f) => f.pyPgd)),
        pm(nums(ok, (f) => f.pyApgd)),
        String(c.runs.length - ok.length),
      ].join(' | ')} |`,
    )
  }
  const fixedText = fixed.length ? `\nFixed: ${fixed.map(([k, v]) => `${k} = ${axisText(k, v)}`).join(', ')}.\n` : ''
  return { md: fixedText + '\n' + lines.join('\n') + '\n', cells }
}

/** Whether two cells differ by more than their seeds spread: the ±1 sd intervals do not overlap. */
function beyondSpread(a: number[], b: number[]): boolean {
  if (a.length < 2 || b.length < 2) return false
  const [ma, mb] = [mean(a), mean(b)]
  return ma > mb ? ma - sd(a) > mb + sd(b) : mb - sd(b) > ma + sd(a)
}

function scheduleSection(runs: RunResult[], out: string): string {
  const { md, cells } = gridTable(runs, 'schedules')
  if (!cells.length) return ''
  const ref = cells.find((c) => c.key.schedule === 'slow-start-fast-decay')
  const rows = cells
    .filter((c) => c !== ref)
    .map((c) => {
      const [a, b] = [nums(ref?.runs ?? [], (f) => f.pyPgd), nums(c.runs, (f) => f.pyPgd)]
      const [ca, cb] = [nums(ref?.runs ?? [], (f) => f.pyClean), nums(c.runs, (f) => f.pyClean)]
      return `| ${axisText('schedule', c.key.schedule)} | ${a.length && b.length ? (100 * (mean(a) - mean(b))).toFixed(1) : '–'} | ${beyondSpread(a, b) ? 'yes' : 'no'} | ${ca.length && cb.length ? (100 * (mean(ca) - mean(cb))).toFixed(1) : '–'} | ${beyondSpread(ca, cb) ? 'yes' : 'no'} |`
    })
  const rank = [...cells].sort((x, y) => mean(nums(y.runs, (f) => f.pyPgd)) - mean(nums(x.runs, (f) => f.pyPgd)))
  const pos = ref ? rank.indexOf(ref) + 1 : 0
  // Accuracy against images seen, mean over seeds at each evaluation.
  const series = (which: 'clean' | 'robust'): Series[] =>
    cells.map((c, i) => {
      const byStep = new Map<number, number[]>()
      for (const r of c.runs) for (const e of r.log.evals) byStep.set(e.step * r.log.config.batchSize, [...(byStep.get(e.step * r.log.config.batchSize) ?? []), e[which]])
      return {
        name: axisText('schedule', c.key.schedule),
        color: PALETTE[i % PALETTE.length],
        points: [...byStep].map(([x, v]) => ({ x, y: 100 * mean(v), lo: 100 * (mean(v) - sd(v)), hi: 100 * (mean(v) + sd(v)) })),
      }
    })
  writeFileSync(
    join(out, 'schedules-robust.svg'),
    lineChart({ title: 'Robust accuracy (PGD-20, advtune, 1,000 test images) against images seen', xLabel: 'training images seen', yLabel: 'robust accuracy %', series: series('robust') }),
  )
  writeFileSync(
    join(out, 'schedules-clean.svg'),
    lineChart({ title: 'Clean accuracy (advtune, 1,000 test images) against images seen', xLabel: 'training images seen', yLabel: 'clean accuracy %', series: series('clean') }),
  )
  return `## Schedules at equal budget

${md}
Slow start–fast decay against each other schedule (PyTorch's figures; "beyond spread": the ±1 sd
intervals over seeds do not overlap). By mean PGD-20 robust accuracy it ranks **${pos} of ${cells.length}**.

| schedule | PGD-20: slow start–fast decay minus it (points) | beyond spread | clean (10k): minus it | beyond spread |
|---|---|---|---|---|
${rows.join('\n')}

![Robust accuracy against images seen, per schedule](schedules-robust.svg)
![Clean accuracy against images seen, per schedule](schedules-clean.svg)
`
}

function tradeoffChart(all: RunResult[], out: string): string {
  const done = all.filter((r) => r.log.status === 'done' && fig(r).pyPgd !== undefined)
  const groups = new Map<string, RunResult[]>()
  for (const r of done) {
    const k =
      r.log.config.init === 'random'
        ? 'from scratch'
        : r.log.config.trainAttack.kind === 'pgd'
          ? `fine-tune, PGD-${r.log.config.trainAttack.steps}`
          : `fine-tune, ${r.log.config.trainAttack.kind.toUpperCase()}`
    groups.set(k, [...(groups.get(k) ?? []), r])
  }
  const series: Series[] = [...groups].map(([name, rs], i) => ({
    name,
    color: PALETTE[i % PALETTE.length],
    markersOnly: true,
    points: rs.map((r) => ({ x: 100 * fig(r).pyClean!, y: 100 * fig(r).pyPgd! })),
  }))
  writeFileSync(
    join(out, 'tradeoff.svg'),
    lineChart({ title: 'Every run: clean (PyTorch, 10k) against PGD-20 robust (PyTorch, 1k)', xLabel: 'clean accuracy %', yLabel: 'PGD-20 robust accuracy %', series, xMin: 0 }),
  )
  return `![Clean/robust trade-off of every run](tradeoff.svg)\n`
}

function computeSection(runs: RunResult[], torch: TorchRun[], out: string): string {
  const members = runs.filter((r) => r.log.grids.some((g) => g.grid === 'compute') && r.log.status === 'done')
  if (!members.length) return ''
  const series: Series[] = (['pretrained', 'random'] as const).map((init, i) => ({
    name: init === 'random' ? 'from scratch (advtune)' : 'fine-tune (advtune)',
    color: PALETTE[i],
    points: members.filter((r) => r.log.config.init === init && fig(r).pyPgd !== undefined).map((r) => ({ x: r.log.passes, y: 100 * fig(r).pyPgd! })),
  }))
  const tb = torch.filter((t) => t.name.includes('gpu-budget'))
  // The PyTorch scout's evaluation points along its runs (its own evaluation on 1,000 images).
  const perImage = (t: TorchRun) => (t.passes / Math.max(1, t.imagesSeen)) * Number(t.args.batch ?? 128)
  tb.forEach((t, i) =>
    series.push({
      name: `${t.name.endsWith('scratch') ? 'from scratch' : 'fine-tune'} (PyTorch scout)`,
      color: PALETTE[2 + i],
      dashed: true,
      points: t.history.map((h) => ({ x: h.step * perImage(t), y: 100 * h.robust })),
    }),
  )
  writeFileSync(join(out, 'compute.svg'), lineChart({ title: 'Robust accuracy (PGD-20, PyTorch, 1k) against compute', xLabel: 'forward+backward passes', yLabel: 'PGD-20 robust accuracy %', series }))
  const rows = [...members]
    .sort((a, b) => a.log.passes - b.log.passes || a.log.config.init.localeCompare(b.log.config.init))
    .map(
      (r) =>
        `| ${kilo(r.log.passes)} | ${((r.log.passes / 40e6) * 100).toFixed(2)} % | ${axisText('init', r.log.config.init)} | ${r.log.config.epochs} × ${r.log.config.trainSize} | ${pct(fig(r).clean)} | ${pct(fig(r).robust)} | ${pct(fig(r).pyClean)} | ${pct(fig(r).pyPgd)} | ${pct(fig(r).pyApgd)} |`,
    )
  return `## Fine-tuning against training from scratch, and robustness against compute

The same recipe (PGD-7, slow start–fast decay, ε ramp over the first 30 %), one seed, at budgets
from ${kilo(Math.min(...members.map((r) => r.log.passes)))} to ${kilo(Math.max(...members.map((r) => r.log.passes)))} forward+backward passes
(100 epochs of PGD-7 adversarial training on 50,000 images are 40 M passes).

| passes | of 100-epoch PGD-7 AT | start | epochs × images | clean (advtune, 1k) | PGD-20 (advtune, 1k) | clean (PyTorch, 10k) | PGD-20 (PyTorch, 1k) | APGD-CE (PyTorch, 1k) |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

![Robust accuracy against compute, fine-tuning and from scratch](compute.svg)
`
}

function torchSection(torch: TorchRun[]): string {
  if (!torch.length) return ''
  const rows = torch.map(
    (t) =>
      `| ${t.name} | ${t.status} | ${t.device || '–'} | ${kilo(t.passes)} | ${t.imagesSeen} | ${pct(t.history.at(-1)?.clean)} / ${pct(t.history.at(-1)?.robust)} (${t.args.eval_n}) | ${pct(t.oracle.pgd20?.clean)} | ${pct(t.oracle.pgd20?.robust)} | ${pct(t.oracle.apgd?.robust)} | ${t.seconds.toFixed(0)} s |`,
  )
  // ε warm-up against full ε: PyTorch runs that differ in their ε curve alone.
  const key = (t: TorchRun) =>
    JSON.stringify(
      Object.entries(t.args)
        .filter(([k]) => !['eps_curve', 'log', 'out_weights', 'device', 'threads'].includes(k))
        .sort(),
    )
  const pairs = [...new Set(torch.map(key))].map((k) => torch.filter((t) => key(t) === k)).filter((g) => new Set(g.map((t) => t.args.eps_curve)).size > 1)
  const warm = pairs.flatMap((g) =>
    g.map(
      (t) =>
        `| ${t.name} | ${t.args.eps_curve} | ${kilo(t.passes)} | ${pct(t.history.at(-1)?.clean)} / ${pct(t.history.at(-1)?.robust)} (${t.args.eval_n}) | ${pct(t.oracle.clean?.accuracy)} | ${pct(t.oracle.pgd20?.robust)} |`,
    ),
  )
  return `## The PyTorch scout

The same recipes written independently in PyTorch (\`scripts/study/torch_train.py\`: the oracle's
model code, torch's own data order and noise, so the same recipe in distribution, not bit for bit).

| run | status | device | passes | images seen | own evaluation: clean / PGD-20 (images) | clean (oracle, 1k) | PGD-20 (oracle, 1k) | APGD-CE (oracle, 1k) | time |
|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}
${
  warm.length
    ? `
### ε warm-up against full ε from the start

Runs above that differ in their ε curve alone (t:y points; \`0:1,1:1\` is full ε throughout).

| run | ε curve | passes | own evaluation: clean / PGD-20 (images) | clean (oracle, 10k) | PGD-20 (oracle, 1k) |
|---|---|---|---|---|---|
${warm.join('\n')}
`
    : ''
}`
}

function agreementSection(all: RunResult[]): string {
  const both = all.filter((r) => r.final && r.oracle.pgd20 && r.final.evalSize === r.oracle.pgd20.n)
  if (!both.length) return ''
  const dClean = both.map((r) => Math.abs(r.final!.clean - r.oracle.pgd20!.clean))
  const dRob = both.map((r) => Math.abs(r.final!.robust - r.oracle.pgd20!.robust))
  const masked = all.filter((r) => r.oracle.pgd20 && r.oracle.apgd && r.oracle.pgd20.robust - r.oracle.apgd.robust > MASKING_GAP)
  const gaps = all.filter((r) => r.oracle.pgd20 && r.oracle.apgd).map((r) => r.oracle.pgd20!.robust - r.oracle.apgd!.robust)
  return `## advtune against PyTorch on the same weights and images

Every final weights file, re-evaluated by the PyTorch oracle (its own model code and attacks,
\`test/oracle/torch_oracle.py\`) on the same ${both[0].final!.evalSize} test images advtune evaluated (deterministic
PGD-20, step 2/255, ε 8/255): over ${both.length} runs the largest difference is **${pct(Math.max(...dClean), 2)} points** clean and
**${pct(Math.max(...dRob), 2)} points** robust (mean ${pct(mean(dClean), 2)} and ${pct(mean(dRob), 2)}).

APGD-CE (100 iterations) against PGD-20 on the same 1,000 images: PGD-20 is higher by ${pct(Math.min(...gaps))}–${pct(Math.max(...gaps))}
points (mean ${pct(mean(gaps))}). Runs flagged for gradient masking (PGD-20 above APGD-CE by more than ${pct(MASKING_GAP, 0)} points):
${masked.length ? masked.map((r) => `\`${r.log.label}\` (${pct(r.oracle.pgd20!.robust)} vs ${pct(r.oracle.apgd!.robust)})`).join(', ') : '**none**'}.
`
}

function bestSection(all: RunResult[]): string {
  const done = all.filter((r) => r.log.status === 'done' && r.oracle.pgd20 && r.oracle.clean && r.log.config.init === 'pretrained')
  const byBudget = new Map<number, RunResult[]>()
  for (const r of done) {
    const b = r.log.budget && 'passes' in r.log.budget ? r.log.budget.passes : r.log.passes
    byBudget.set(b, [...(byBudget.get(b) ?? []), r])
  }
  const rows = [...byBudget]
    .sort((a, b) => a[0] - b[0])
    .map(([b, rs]) => {
      const best = [...rs].sort((x, y) => y.oracle.pgd20!.robust - x.oracle.pgd20!.robust || y.oracle.clean!.accuracy - x.oracle.clean!.accuracy)[0]
      const c = best.log.config
      return `| ${kilo(b)} | ${rs.length} | ${best.log.scheduleName}, ${axisText('trainAttack', c.trainAttack)}, ${axisText('epsCurve', best.log.epsCurveName)}, peak LR ${c.peakLr}, seed ${c.seed} | ${pct(best.oracle.clean!.accuracy)} | ${pct(best.oracle.pgd20!.robust)} | ${pct(best.oracle.apgd?.robust)} |`
    })
  return `## The best recipe within each budget

Highest PGD-20 robust accuracy (PyTorch) among the fine-tuning runs of each budget.

| budget (passes) | runs | recipe | clean (PyTorch, 10k) | PGD-20 (PyTorch, 1k) | APGD-CE (PyTorch, 1k) |
|---|---|---|---|---|---|
${rows.join('\n')}
`
}

interface AppRun {
  measuredAt: string
  backend: string
  baselineSeconds: number
  wallSecondsFromLoad: number
  trainingWallMs: number | null
  status: string
  config: RunResult['log']['config']
  evals: { step: number; clean: number; robust: number }[]
  cores: number
}

const TARGET = { clean: 0.7, robust: 0.3 }
/**
 * The laptop-CPU budget in passes for PGD-7: 15,000 images, about 8.4 minutes at the app's
 * measured 29.9 images/s (bench/RESULTS.md), ten with the baseline and evaluations.
 */
const LAPTOP_PASSES = 120_000

/** The app's default recipe: its run in the app (wall time, seed 0) and engine runs of other seeds. */
function defaultSection(dir: string, all: RunResult[]): string {
  const appDir = join(dir, 'runs', 'app')
  const app = existsSync(join(appDir, 'app-run.json')) ? (JSON.parse(readFileSync(join(appDir, 'app-run.json'), 'utf8')) as AppRun) : null
  const appOracle = existsSync(join(appDir, 'oracle.json')) ? (JSON.parse(readFileSync(join(appDir, 'oracle.json'), 'utf8')) as RunResult['oracle']) : null
  const seeds = readStudy(dir, 'default')
  const rows: string[] = []
  const clean: number[] = []
  const pgd: number[] = []
  const apgd: number[] = []
  const add = (what: string, o: RunResult['oracle'] | null, own: string) => {
    if (o?.clean) clean.push(o.clean.accuracy)
    if (o?.pgd20) pgd.push(o.pgd20.robust)
    if (o?.apgd) apgd.push(o.apgd.robust)
    rows.push(`| ${what} | ${own} | ${pct(o?.clean?.accuracy)} | ${pct(o?.pgd20?.robust)} | ${pct(o?.apgd?.robust)} |`)
  }
  const backend = app ? app.backend.replace(/\s+/g, ' ').replace(/\s*Fallback:.*$/, '') : ''
  if (app)
    add(
      `the app (Chromium, production build, ${backend}), seed ${app.config.seed}`,
      appOracle,
      `${pct(app.evals.at(-1)?.clean)} / ${pct(app.evals.at(-1)?.robust)} (${app.config.evalSize} images, PGD-${app.config.evalAttack.steps})`,
    )
  for (const r of seeds)
    add(
      `engine (\`npm run study\`, ${r.log.backend.split(' — ')[0]}), seed ${r.log.config.seed}`,
      r.oracle,
      `${pct(r.final?.clean)} / ${pct(r.final?.robust)} (${r.final?.evalSize} images, PGD-${r.log.config.evalAttack.steps})`,
    )
  if (!rows.length) return ''
  const c = (app?.config ?? seeds[0].log.config)!
  const met = clean.length && mean(clean) >= TARGET.clean && mean(pgd) >= TARGET.robust
  // The frontier of the laptop budget: the default's runs and the fine-tuning runs of at most
  // LAPTOP_PASSES (PGD-7's ten minutes in the app's WASM set-up).
  const budget = seeds[0]?.log.passes ?? 0
  interface Point {
    label: string
    passes: number
    clean: number
    pgd: number
    apgd?: number
  }
  const within: Point[] = [...seeds, ...all]
    .filter((r) => r.log.status === 'done' && r.oracle.clean && r.oracle.pgd20 && r.log.config.init === 'pretrained' && r.log.passes <= 1.05 * Math.max(budget, LAPTOP_PASSES))
    .map((r) => ({
      label: r.study === 'default' ? `the default, seed ${r.log.config.seed}` : r.log.label,
      passes: r.log.passes,
      clean: r.oracle.clean!.accuracy,
      pgd: r.oracle.pgd20!.robust,
      apgd: r.oracle.apgd?.robust,
    }))
  if (app && appOracle?.clean && appOracle.pgd20)
    within.push({ label: `the default in the app, seed ${app.config.seed}`, passes: budget, clean: appOracle.clean.accuracy, pgd: appOracle.pgd20.robust, apgd: appOracle.apgd?.robust })
  const frontier = within.filter((r) => !within.some((q) => q !== r && q.clean >= r.clean && q.pgd >= r.pgd && (q.clean > r.clean || q.pgd > r.pgd)))
  return `## The default run (the laptop-CPU budget)

The app's default configuration: ResNet-20, ${c.epochs} epochs × ${c.trainSize} training images, batch ${c.batchSize}, ${axisText('trainAttack', c.trainAttack)} at ε ${c.trainAttack.eps255}/255 with
the ε curve ${JSON.stringify(c.epsCurve.map((p) => [p.t, p.y]))}, slow start–fast decay to a peak LR of ${c.peakLr}, momentum ${c.momentum}, weight decay ${c.weightDecay}.
${app ? `In the app's production build in headless Chromium on this ${app.cores}-core machine (${backend}), measured ${app.measuredAt.slice(0, 16).replace('T', ' ')} UTC: the baseline was shown **${app.baselineSeconds.toFixed(0)} s** after the page's load and the run ended (${app.status}) **${(app.wallSecondsFromLoad / 60).toFixed(1)} minutes** after it, evaluations included (training alone ${app.trainingWallMs ? (app.trainingWallMs / 60000).toFixed(1) : '–'} minutes).` : ''}

| run | its own evaluation (clean / robust) | clean (PyTorch, 10k) | PGD-20 (PyTorch, 1k) | APGD-CE (PyTorch, 1k) |
|---|---|---|---|---|
${rows.join('\n')}
| **mean ± sd over ${clean.length} seed${clean.length === 1 ? '' : 's'}** | | **${pm(clean)}** | **${pm(pgd)}** | **${pm(apgd)}** |

Target ≥ ${pct(TARGET.clean, 0)} % clean and ≥ ${pct(TARGET.robust, 0)} % PGD-20: **${met ? 'met' : 'not met'}**.${
    met
      ? ''
      : ` No run within this budget reached it. The frontier (no other run better on both counts) of the ${within.length} fine-tuning runs of the laptop budget (the default's, and PGD-7's ${kilo(LAPTOP_PASSES)} passes), by PyTorch's figures:

| recipe | passes | clean (10k) | PGD-20 (1k) | APGD-CE (1k) |
|---|---|---|---|---|
${frontier
  .sort((x, y) => x.clean - y.clean)
  .map((r) => `| ${r.label} | ${r.passes ? kilo(r.passes) : '–'} | ${pct(r.clean)} | ${pct(r.pgd)} | ${pct(r.apgd)} |`)
  .join('\n')}
`
  }
`
}

/** What each study planned (its study.json) against what finished: grids that did not run are named. */
function coverage(dirs: string[], all: RunResult[]): string {
  return dirs
    .map((d) => {
      const planPath = join(d, 'study.json')
      if (!existsSync(planPath)) return ''
      const plan = JSON.parse(readFileSync(planPath, 'utf8')) as { name: string; runs: { id: string; grids: { grid: string }[] }[] }
      const done = new Set(all.filter((r) => r.study === basename(d)).map((r) => r.log.id))
      const grids = [...new Set(plan.runs.flatMap((r) => r.grids.map((g) => g.grid)))]
      const per = grids.map((g) => {
        const runs = plan.runs.filter((r) => r.grids.some((x) => x.grid === g))
        return `${g} ${runs.filter((r) => done.has(r.id)).length}/${runs.length}`
      })
      return `- **Study \`${plan.name}\`:** ${done.size} of ${plan.runs.length} planned runs finished (by grid: ${per.join(', ')}); the rest can be resumed with \`npm run study -- docs/study/recipes/${plan.name}.json\`.`
    })
    .filter(Boolean)
    .join('\n')
}

/** The few numbers a reader wants first, also copied into the project's README between markers. */
function headline(all: RunResult[], torch: TorchRun[], defaultDir?: string): string {
  const rows: string[] = []
  const first = all.find((r) => r.log.config.init === 'pretrained' && r.log.evals[0]?.step === 0)
  if (first) rows.push(`| ResNet-20 as pretrained (advtune's evaluation) | – | ${pct(first.log.evals[0].clean)} ¹ | ${pct(first.log.evals[0].robust)} | – |`)
  if (defaultDir) {
    const seeds = readStudy(defaultDir, 'default')
    const appOracle = join(defaultDir, 'runs', 'app', 'oracle.json')
    const oracles = [...seeds.map((r) => r.oracle), ...(existsSync(appOracle) ? [JSON.parse(readFileSync(appOracle, 'utf8')) as RunResult['oracle']] : [])].filter((o) => o.clean && o.pgd20)
    if (oracles.length)
      rows.push(
        `| **the app's default run** (${oracles.length} seed${oracles.length === 1 ? '' : 's'}) | ${seeds[0] ? kilo(seeds[0].log.passes) : '–'} | ${pm(oracles.map((o) => o.clean!.accuracy))} | ${pm(oracles.map((o) => o.pgd20!.robust))} | ${pm(oracles.flatMap((o) => (o.apgd ? [o.apgd.robust] : [])))} |`,
      )
  }
  const cells = cellsOf(all, 'schedules').cells
  for (const name of ['slow-start-fast-decay', 'constant']) {
    const c = cells.find((x) => x.key.schedule === name)
    if (c)
      rows.push(
        `| PGD-7, full ε, ${axisText('schedule', name).toLowerCase()} (${c.runs.length} seeds) | ${kilo(c.runs[0].log.passes)} | ${pm(nums(c.runs, (f) => f.pyClean))} | ${pm(nums(c.runs, (f) => f.pyPgd))} | ${pm(nums(c.runs, (f) => f.pyApgd))} |`,
      )
  }
  const top = all.filter((r) => r.log.grids.some((g) => g.grid === 'compute') && r.log.status === 'done').sort((x, y) => y.log.passes - x.log.passes)[0]
  if (top)
    rows.push(
      `| PGD-7, ε ramp, slow start–fast decay, ${top.log.config.epochs} epochs (1 seed) | ${kilo(top.log.passes)} | ${pct(fig(top).pyClean)} | ${pct(fig(top).pyPgd)} | ${pct(fig(top).pyApgd)} |`,
    )
  for (const t of torch.filter((x) => x.name.includes('gpu-budget')))
    rows.push(
      `| PyTorch scout, ${t.name.endsWith('scratch') ? '**from scratch**' : '**fine-tuning**'}, same recipe (${t.status}) | ${kilo(t.passes)} | ${pct(t.history.at(-1)?.clean)} ² | ${pct(t.history.at(-1)?.robust)} ² | – |`,
    )
  return `| recipe (ResNet-20, CIFAR-10, ε 8/255) | compute (passes) | clean % (PyTorch, 10k) | PGD-20 % (PyTorch, 1k) | APGD-CE % (PyTorch, 1k) |
|---|---|---|---|---|
${rows.join('\n')}

¹ on 1,000 test images (91.73 % on all 10,000). ² the run's own evaluation on 1,000 test images, at the point it reached.
`
}

function main() {
  const a = parseArgs(process.argv.slice(2))
  mkdirSync(a.out, { recursive: true })
  const all = a.studies.flatMap((d) => readStudy(d, basename(d)))
  if (!all.length) throw new Error(`no finished runs under ${a.studies.join(', ') || 'study-out/'}`)
  const recipes = new Map(
    a.torchRecipes
      ? readFileSync(a.torchRecipes, 'utf8')
          .split('\n')
          .filter((l) => l.trim() && !l.startsWith('#'))
          .map((l) => [l.split(/\s+/)[0], l] as [string, string])
      : [],
  )
  const torch = a.torch.flatMap((d) => readTorchRuns(d, recipes).map((t) => ({ ...t, name: `${basename(d)}/${t.name}` })))
  const notes = a.notes ? (JSON.parse(readFileSync(a.notes, 'utf8')) as Record<string, unknown>) : {}
  const backends = [...new Set(all.map((r) => r.log.backend))]
  const whereOf = (k: 'clean' | 'pgd20' | 'apgd') => [...new Set(all.flatMap((r) => (r.oracle[k]?.device ? [`PyTorch ${r.oracle[k]!.torch} on ${r.oracle[k]!.device}`] : [])))].join(', ') || '–'
  const dates = all.map((r) => r.log.startedAt).sort()
  const grids = [...new Set(all.flatMap((r) => r.log.grids.map((g) => g.grid)))]
  const sections: string[] = []
  sections.push(`# Adversarial fine-tuning of a pretrained ResNet-20: the study

Generated by \`npm run study:report\` from the logs of ${all.length} runs of advtune's engine
(${a.studies.map((d) => `\`${relative(REPO, d)}\``).join(', ')}; recipes in \`docs/study/recipes/\`), run ${dates[0]?.slice(0, 10)} – ${dates.at(-1)?.slice(0, 10)}.
Every number below is read from those logs and from the PyTorch oracle's re-evaluation of each run's
final weights; nothing is typed by hand.

- **Engine:** ${backends.map((b) => `\`${b}\``).join('; ')}.
- **Oracle** (\`test/oracle/torch_oracle.py\`'s model code and attacks): clean accuracy on all 10,000 test images (${whereOf('clean')}); deterministic PGD-20, step 2/255 (${whereOf('pgd20')}) and APGD-CE, 100 iterations (${whereOf('apgd')}), at ε 8/255 on the first 1,000.
- **Data:** CIFAR-10; training on a subset of the first 10,000 training images (as the app's default); ${all[0].final?.evalSize ?? ''} test images for advtune's own evaluation.
- **Compute** is counted in forward+backward passes per training image: PGD-k costs k + 1, FGSM-RS 2.
${Object.entries(notes)
  .map(([k, v]) => `- **${k}:** ${String(v)}`)
  .join('\n')}
${coverage(a.studies, all)}
`)
  if (a.defaultDir) sections.push(defaultSection(a.defaultDir, all))
  sections.push(scheduleSection(all, a.out))
  for (const g of grids.filter((g) => g !== 'schedules' && g !== 'compute')) sections.push(`## Grid: ${g}\n${gridTable(all, g).md}`)
  sections.push(computeSection(all, torch, a.out))
  sections.push(bestSection(all))
  sections.push(`## Trade-off\n\n${tradeoffChart(all, a.out)}`)
  sections.push(agreementSection(all))
  sections.push(torchSection(torch))
  const head = headline(all, torch, a.defaultDir)
  sections.splice(1, 0, `## Headline\n\n${head}`)
  writeFileSync(join(a.out, 'README.md'), sections.filter(Boolean).join('\n'))
  // The project's README quotes the headline table between these markers.
  const readme = join(REPO, 'README.md')
  const [open, close] = ['<!-- study-headline -->', '<!-- /study-headline -->']
  const text = readFileSync(readme, 'utf8')
  if (a.out === join(REPO, 'docs/study') && text.includes(open) && text.includes(close))
    writeFileSync(readme, text.slice(0, text.indexOf(open) + open.length) + '\n' + head + text.slice(text.indexOf(close)))
  writeFileSync(
    join(a.out, 'summary.json'),
    JSON.stringify(
      all.map((r) => ({ id: r.log.id, label: r.log.label, grids: r.log.grids.map((g) => g.grid), status: r.log.status, passes: r.log.passes, ...fig(r) })),
      null,
      1,
    ),
  )
  process.stderr.write(`report: ${join(a.out, 'README.md')} (${all.length} runs, ${torch.length} PyTorch runs)\n`)
}

main()
