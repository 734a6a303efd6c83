// The study runner: every run of a study file through the very engine the app runs (the worker's
// handler, as the headless runner drives it), as many at once as asked (default: one per core),
// each in its own process. Resumable: a run whose log exists (done, stopped or diverged) is never
// run again, so an interrupted study picks up where it stopped; a run that crashed is run again.
//
//   npm run study -- study.json [--out DIR] [--jobs N] [--only SUBSTRING] [--stop-after-s S] [--dry-run]
//
// Each run leaves DIR/runs/<id>/: run.json (the recipe), log.json (config, every step and
// evaluation point, status, times: written last, atomically), weights.safetensors, stderr.log.
// --stop-after-s: start no new run after S seconds (the runs under way finish). DIR defaults to
// study-out/<name> (git-ignored). --assets DIR and --test-images N read the data and weights from
// another folder than public/ (a GPU machine's payload holds the first N test images only).

import { spawn } from 'node:child_process'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runHeadless } from '../lib/headless'
import { nodeEnv, REPO } from '../lib/node-env'
import { parseStudy, passesSpent, StudyError, type StudyRun } from './spec'

const FINISHED = new Set(['done', 'stopped', 'diverged'])

interface Args {
  file: string
  out?: string
  jobs?: number
  only?: string
  stopAfterS?: number
  dryRun: boolean
  probe?: boolean // print the WebGPU adapter Dawn finds; exit 2 without one, 3 for a software one
  allowSoftware?: boolean // --probe: a software adapter will do (a local test on SwiftShader)
  child?: string
  assets?: string // the asset folder (data/, weights/) when not public/
  testImages?: number // test images the assets hold, when fewer than all (a GPU machine's payload)
}

function parseArgs(argv: string[]): Args {
  const a: Args = { file: '', dryRun: false }
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i]
    const next = () => {
      const n = argv[++i]
      if (n === undefined) throw new Error(`${v} needs a value`)
      return n
    }
    if (v === '--out') a.out = next()
    else if (v === '--jobs') a.jobs = Number(next())
    else if (v === '--only') a.only = next()
    else if (v === '--stop-after-s') a.stopAfterS = Number(next())
    else if (v === '--dry-run') a.dryRun = true
    else if (v === '--probe') a.probe = true
    else if (v === '--allow-software') a.allowSoftware = true
    else if (v === '--child') a.child = next()
    else if (v === '--assets') a.assets = next()
    else if (v === '--test-images') a.testImages = Number(next())
    else if (v.startsWith('--')) throw new Error(`unknown option ${v}`)
    else a.file = v
  }
  if (!a.child && !a.file && !a.probe) throw new Error('usage: npm run study -- study.json [--out DIR] [--jobs N] [--only TEXT] [--stop-after-s S] [--dry-run]')
  if (a.jobs !== undefined && !(Number.isInteger(a.jobs) && a.jobs >= 1)) throw new Error('--jobs needs a whole number ≥ 1')
  return a
}

const isFinished = async (dir: string): Promise<boolean> => {
  try {
    return FINISHED.has(JSON.parse(await readFile(join(dir, 'log.json'), 'utf8')).status)
  } catch {
    return false
  }
}

/** The child: one run, its log and weights written into its folder (the log last, atomically). */
async function child(dir: string, assets?: string, testImages?: number): Promise<void> {
  const run = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as StudyRun
  const log = (s: string) => process.stderr.write(s + '\n')
  // wasm-xnnpack: the WASM backend with its convolutions on XNNPACK (an A/B of advtune's kernels).
  const xnnpack = run.backend === 'wasm-xnnpack'
  const backend = run.backend === 'wasm-xnnpack' ? 'wasm' : run.backend
  const base = run.backend === 'webgpu' ? await (await import('../lib/node-env-webgpu')).webgpuNodeEnv(assets) : nodeEnv(assets, xnnpack ? 'xnnpack' : 'winograd')
  const env = { ...base, testImages }
  const started = new Date().toISOString()
  const { result, weights } = await runHeadless(run.config, run.schedule, env, backend, log)
  if (weights) await writeFile(join(dir, 'weights.safetensors'), weights)
  const record = {
    id: run.id,
    label: run.label,
    grids: run.grids,
    scheduleName: run.scheduleName,
    epsCurveName: run.epsCurveName,
    budget: run.budget,
    startedAt: started,
    passes: passesSpent(run.config, result.steps),
    ...result,
  }
  await writeFile(join(dir, 'log.json.tmp'), JSON.stringify(record))
  await rename(join(dir, 'log.json.tmp'), join(dir, 'log.json'))
  log(`${result.status}${result.reason ? ` (${result.reason})` : ''}`)
}

/** Which WebGPU adapter Dawn offers here: a GPU machine's first check. */
async function probe(allowSoftware: boolean): Promise<void> {
  const env = await (await import('../lib/node-env-webgpu')).webgpuNodeEnv()
  try {
    const choice = await env.pickBackend(['webgpu'])
    const software = /swiftshader|llvmpipe|lavapipe/i.test(choice.adapter)
    process.stderr.write(`adapter: ${choice.adapter}${software ? ' (software)' : ''}\n`)
    process.exit(software && !allowSoftware ? 3 : 0)
  } catch (e) {
    process.stderr.write(`no WebGPU adapter: ${(e as Error).message}\n`)
    process.exit(2)
  }
}

const fmt = (s: number) =>
  s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`
      : `${Math.round(s)}s`

/** How to start this file again as a child: tsx from the repository, or the bundle as it is. */
function childCommand(): string[] {
  const self = fileURLToPath(import.meta.url)
  return self.endsWith('.ts') ? [process.execPath, '--import', 'tsx', self] : [process.execPath, self]
}

async function main() {
  const a = parseArgs(process.argv.slice(2))
  if (a.child) return child(a.child, a.assets, a.testImages)
  if (a.probe) return probe(a.allowSoftware ?? false)
  let study
  try {
    study = parseStudy(JSON.parse(await readFile(a.file, 'utf8')))
  } catch (e) {
    if (e instanceof SyntaxError) throw new Error(`${a.file} is not valid JSON: ${e.message}`)
    throw e
  }
  const out = resolve(a.out ?? join(REPO, 'study-out', study.name))
  const runs = study.runs.filter((r) => !a.only || r.id.includes(a.only) || r.label.includes(a.only) || r.grids.some((g) => g.grid.includes(a.only!)))
  const pending: StudyRun[] = []
  for (const r of runs) if (!(await isFinished(join(out, 'runs', r.id)))) pending.push(r)
  const jobs = a.jobs ?? (study.backend === 'webgpu' ? 1 : availableParallelism())
  const say = (s: string) => process.stderr.write(`[study ${study.name}] ${s}\n`)
  say(`${runs.length} runs, ${runs.length - pending.length} already finished, ${pending.length} to run, ${jobs} at a time → ${out}`)
  if (a.dryRun) {
    for (const r of pending) say(`would run ${r.id}: ${r.label} (${r.config.epochs} epochs × ${r.config.trainSize}, ${r.config.trainAttack.kind})`)
    return
  }
  await mkdir(join(out, 'runs'), { recursive: true })
  await writeFile(join(out, 'study.json'), JSON.stringify({ name: study.name, backend: study.backend, runs: study.runs.map((r) => ({ id: r.id, label: r.label, grids: r.grids })) }, null, 1))

  const started = Date.now()
  const durations: number[] = []
  let done = 0
  let failed = 0
  let diverged = 0
  const queue = [...pending]
  const cmd = childCommand()
  const one = async (r: StudyRun) => {
    const dir = join(out, 'runs', r.id)
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'run.json'), JSON.stringify(r, null, 1))
    const t0 = Date.now()
    const code = await new Promise<number>((res) => {
      const p = spawn(cmd[0], [...cmd.slice(1), '--child', dir, ...(a.assets ? ['--assets', a.assets] : []), ...(a.testImages ? ['--test-images', String(a.testImages)] : [])], {
        cwd: REPO,
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      const chunks: Buffer[] = []
      p.stderr.on('data', (b: Buffer) => chunks.push(b))
      p.on('close', async (c) => {
        await writeFile(join(dir, 'stderr.log'), Buffer.concat(chunks))
        res(c ?? 1)
      })
    })
    const finished = await isFinished(dir)
    if (finished) {
      durations.push((Date.now() - t0) / 1000)
      done++
      const status = JSON.parse(await readFile(join(dir, 'log.json'), 'utf8')).status
      if (status === 'diverged') diverged++
      say(`${status}: ${r.id} (${r.label}) in ${fmt((Date.now() - t0) / 1000)}`)
    } else {
      failed++
      say(`FAILED (exit ${code}): ${r.id} (${r.label}); see ${join(dir, 'stderr.log')}`)
    }
    const left = queue.length
    const mean = durations.length ? durations.reduce((x, y) => x + y, 0) / durations.length : NaN
    const eta = Number.isFinite(mean) ? ` ETA ${fmt((mean * (left + Math.max(0, running - 1))) / jobs)}` : ''
    say(`${done + (runs.length - pending.length)}/${runs.length} finished (${diverged} diverged, ${failed} failed), ${left} waiting,${eta} (${fmt((Date.now() - started) / 1000)} so far)`)
  }
  let running = 0
  const worker = async () => {
    for (;;) {
      if (a.stopAfterS !== undefined && (Date.now() - started) / 1000 > a.stopAfterS) return
      const r = queue.shift()
      if (!r) return
      running++
      await one(r)
      running--
    }
  }
  await Promise.all(Array.from({ length: Math.min(jobs, Math.max(1, queue.length)) }, worker))
  const left = runs.length - done - (runs.length - pending.length)
  say(`${left === 0 ? 'complete' : `${left} run(s) not finished (run the same command again to resume)`}; ${fmt((Date.now() - started) / 1000)}`)
  if (failed) process.exitCode = 1
}

main().catch((e) => {
  process.stderr.write(`${e instanceof StudyError ? e.message : `study failed: ${(e as Error).message}`}\n`)
  process.exit(2)
})
