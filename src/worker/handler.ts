// The training worker's logic as a testable factory: owns the backend, the data, the base model
// and the one running run; answers ToWorker messages and posts FromWorker ones. The worker file
// is a shell around it; Node tests drive it with a file-system environment.

import * as tf from '@tensorflow/tfjs-core'
import { EVAL_ATTACKS } from '../core/attacks/kinds'
import { serializeSafetensors } from '../core/checkpoint/safetensors'
import { configProblems, TEST_SET_SIZE, totalSteps, type ModelName, type RunConfig } from '../core/config'
import { concatSets, head, parseCifarBin, TEST_FILE, trainFilesFor, type CifarSet } from '../core/data/cifar'
import { disposeModel, type Model } from '../core/model/resnet'
import { specOf, countParams } from '../core/model/spec'
import { randomStateDict } from '../core/model/init'
import { cloneModel, modelFromCheckpoint, modelFromStateDict, stateDictFromModel } from '../core/model/weights'
import type { ControlPoint } from '../core/schedule'
import { evalAttackOptions, evaluate, type EvalResult } from '../core/train/evaluate'
import type { AttackHelper } from '../core/train/attackShards'
import { EVAL_BATCH, EXAMPLE_COUNT, fineTune } from '../core/train/finetune'
import { modelFromSnapshot, snapshotBuffers, snapshotProblem, type TrainSnapshot } from '../core/train/snapshot'
import type { BackendChoice } from './backends'
import type { StartedHelpers } from './attackPool'
import { describeThreads } from './cpuPlan'
import { evaluateInChunks } from './evaluateInChunks'
import { assertNever, type BackendName, type FromWorker, type ToWorker } from './protocol'

export type Post = (msg: FromWorker, transfer?: Transferable[]) => void

/** What differs between the browser worker and a Node test: how assets and backends are reached. */
export interface WorkerEnv {
  /** Bytes of an asset path relative to the asset base, e.g. 'data/cifar10/test_batch.bin'. */
  fetchBytes(path: string): Promise<Uint8Array>
  /** `threads`: the `init` message's (all cores when absent); on WASM it decides the CPU plan. */
  pickBackend(prefer?: BackendName[], threads?: number): Promise<BackendChoice>
  /** Registers a callback for a lost GPU device, where the backend has one. */
  watchDeviceLoss?(onLost: (message: string) => void): void
  /** Starts the helper workers that take shares of every PGD attack (WASM only; see cpuPlan.ts). */
  startAttackHelpers?(threads?: number): Promise<StartedHelpers>
  /** Test images the assets hold: the whole test set, unless a reduced payload (a GPU machine's) says fewer. */
  testImages?: number
}

export interface ManifestEntry {
  model: ModelName
  file: string
  sha256: string
  testAccuracy: number
  params: number
}

interface ActiveRun {
  runId: string
  model: Model
  stop: boolean
  paused: boolean
  release: (() => void) | null
  interrupted: string | null
}

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('')

export function createHandler(post: Post, env: WorkerEnv) {
  let base: Model | null = null
  let baseName = ''
  let test: CifarSet | null = null
  let train: CifarSet | null = null
  let trainFiles: string[] = []
  let run: ActiveRun | null = null
  let manifest: ManifestEntry[] | null = null
  let helpers: AttackHelper[] = []
  let baselineCache: { key: string; result: EvalResult } | null = null // the base model's last baseline
  let backendName: BackendName | null = null

  const fail = (message: string, extra: { requestId?: string; runId?: string; fatal?: boolean; deviceLost?: boolean } = {}) => post({ type: 'error', message, ...extra })

  async function loadTrain(trainSize: number): Promise<CifarSet> {
    const files = trainFilesFor(trainSize)
    if (train && files.length <= trainFiles.length) return train
    const sets: CifarSet[] = train ? [train] : []
    for (const f of files.slice(trainFiles.length)) {
      post({ type: 'loading', stage: `training images (${f})`, fraction: sets.length / files.length })
      sets.push(parseCifarBin(await env.fetchBytes(`data/cifar10/${f}`)))
    }
    train = concatSets(sets)
    trainFiles = files
    post({ type: 'loading', stage: 'training images', fraction: 1 })
    return train
  }

  /**
   * The base model's baseline, when a run's step-0 evaluation would repeat it exactly: the run
   * starts from the base model, evaluates the same images with the same attack, and the attack
   * draws no noise (or draws it from the baseline's seed, 0). Saves one evaluation per run.
   */
  function reusableBaseline(config: RunConfig, fromScratch: boolean): EvalResult | undefined {
    const a = config.evalAttack
    const deterministic = EVAL_ATTACKS[a.kind].deterministic(a) || config.seed === 0
    if (fromScratch || !deterministic || baselineCache?.key !== JSON.stringify([a, config.evalSize])) return undefined
    return baselineCache.result
  }

  async function setBase(model: Model, name: string, source: string) {
    if (run) throw new Error('a run is training; stop it before changing the model')
    if (base) disposeModel(base)
    base = model
    baseName = name
    baselineCache = null
    post({ type: 'modelLoaded', model: name, source, params: countParams(model.spec) })
  }

  async function loadPretrained(name: ModelName) {
    post({ type: 'loading', stage: `pretrained ${name}`, fraction: 0 })
    manifest ??= JSON.parse(new TextDecoder().decode(await env.fetchBytes('weights/manifest.json'))) as ManifestEntry[]
    const entry = manifest.find((e) => e.model === name)
    if (!entry) throw new Error(`no pretrained weights for ${name} are served (weights/manifest.json)`)
    const bytes = await env.fetchBytes(`weights/${entry.file}`)
    const digest = hex(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
    if (digest !== entry.sha256) throw new Error(`weights/${entry.file} is corrupt (sha256 ${digest.slice(0, 12)}…, expected ${entry.sha256.slice(0, 12)}…); run 'npm run setup' again`)
    const model = modelFromCheckpoint(bytes, entry.file, specOf(name))
    await setBase(model, name, `${entry.file} (pretrained, ${entry.testAccuracy} % test accuracy)`)
    post({ type: 'loading', stage: `pretrained ${name}`, fraction: 1 })
  }

  /** Starts a run, or continues one from its snapshot (`resume`, with the name of its starting point). */
  async function startRun(runId: string, config: RunConfig, schedule: ControlPoint[], resume?: { snapshot: TrainSnapshot; base: string }) {
    if (run) return fail(`run ${run.runId} is still training; stop it first`, { runId })
    if (!base || !test) return fail('the model is not loaded yet', { runId })
    const problems = configProblems(config)
    if (problems.length) return fail(`This run cannot start: ${problems.join(' ')}`, { runId })
    const snapshotIssue = resume && snapshotProblem(resume.snapshot, totalSteps(config))
    if (snapshotIssue) return fail(`This run cannot resume: ${snapshotIssue}.`, { runId })
    const data = { train: await loadTrain(config.trainSize), test }
    // From scratch: He-initialised weights of the configured architecture, drawn from the seed.
    const fromScratch = config.init === 'random'
    if (!resume && !fromScratch && config.model !== baseName && !baseName.startsWith('imported')) await loadPretrained(config.model)
    // A resumed run needs no base model: its snapshot holds every weight.
    const start = resume
      ? modelFromSnapshot(specOf(config.model), resume.snapshot)
      : fromScratch
        ? modelFromStateDict(randomStateDict(specOf(config.model), config.seed), specOf(config.model))
        : cloneModel(base)
    const active: ActiveRun = { runId, model: start, stop: false, paused: false, release: null, interrupted: null }
    run = active
    const started = performance.now()
    let status: FromWorker & { type: 'runEnded' }
    try {
      post({ type: 'runStarted', runId, totalSteps: totalSteps(config) })
      const r = await fineTune(
        active.model,
        data,
        config,
        schedule,
        {
          onStep: (info) => post({ type: 'step', runId, info }),
          onEval: (point) => post({ type: 'eval', runId, point }),
          onExamples: (step, examples) => post({ type: 'examples', runId, step, examples }),
          shouldStop: () => active.stop,
          gate: () => (active.paused ? new Promise<void>((res) => (active.release = res)) : Promise.resolve()),
          paused: () => active.paused,
          onSnapshot: (snapshot) => post({ type: 'snapshot', runId, snapshot, backend: backendName ?? 'cpu' }, snapshotBuffers(snapshot)),
        },
        { attackHelpers: helpers, initialEval: resume ? undefined : reusableBaseline(config, fromScratch), resumeFrom: resume?.snapshot },
      )
      const interrupted = active.interrupted
      status = { type: 'runEnded', runId, status: interrupted ? 'interrupted' : r.status, reason: interrupted ?? r.reason, weights: null, wallMs: r.wallMs }
    } catch (e) {
      status = { type: 'runEnded', runId, status: active.interrupted ? 'interrupted' : 'error', reason: active.interrupted ?? (e as Error).message, weights: null, wallMs: performance.now() - started }
    }
    try {
      const dict = await stateDictFromModel(active.model)
      const meta = {
        format: 'pt',
        producer: 'advtune',
        run: runId,
        base: resume ? resume.base : fromScratch ? `random ${config.model} (He init, seed ${config.seed})` : baseName,
        config: JSON.stringify(config),
        schedule: JSON.stringify(schedule),
      }
      status.weights = serializeSafetensors(dict, meta).buffer as ArrayBuffer
    } catch {
      // A lost device leaves nothing to read back; the run's history is still reported.
    }
    disposeModel(active.model)
    run = null
    post(status, status.weights ? [status.weights] : [])
  }

  async function attackImage(requestId: string, index: number, attack: Parameters<typeof evalAttackOptions>[0]) {
    const model = run?.model ?? base
    if (!model || !test) return fail('the model is not loaded yet', { requestId })
    if (!(index >= 0 && index < test.n)) return fail(`no test image ${index}`, { requestId })
    const one: CifarSet = { n: 1, labels: test.labels.subarray(index, index + 1), images: test.images.subarray(index * 3072, (index + 1) * 3072) }
    const r = await evaluate(model, one, evalAttackOptions(attack), { batchSize: 1, seed: index, exampleCount: 1 })
    post({ type: 'attackResult', requestId, example: { ...r.examples[0], index } })
  }

  /** A run's final weights (safetensors) evaluated on the first `evalSize` test images, with progress. */
  async function evaluateWeights(msg: Extract<ToWorker, { type: 'evaluateWeights' }>) {
    if (!test) return fail('the test images are not loaded yet', { requestId: msg.requestId })
    if (!(Number.isInteger(msg.evalSize) && msg.evalSize >= 1 && msg.evalSize <= test.n)) return fail(`the evaluation subset must hold 1 to ${test.n} images`, { requestId: msg.requestId })
    const model = modelFromCheckpoint(new Uint8Array(msg.weights), "the run's weights")
    try {
      const progress = (done: number) => post({ type: 'evaluationProgress', requestId: msg.requestId, done, total: msg.evalSize })
      const point = await evaluateInChunks(model, head(test, msg.evalSize), msg.evalAttack, helpers, progress)
      post({ type: 'evaluation', requestId: msg.requestId, point })
    } finally {
      disposeModel(model)
    }
  }

  /** On WASM, helper workers may take shares of every PGD attack; says how many threads train. */
  async function startHelpers(choice: BackendChoice, threads?: number): Promise<string> {
    if (choice.backend !== 'wasm') return ''
    const r = env.startAttackHelpers ? await env.startAttackHelpers(threads) : { helpers: [], threads: [], problems: [] }
    helpers = r.helpers
    const described = describeThreads([choice.threads ?? 1, ...r.threads])
    return `, ${described}${r.problems.length ? ` (attack helpers failed: ${r.problems[0]})` : ''}`
  }

  // Setup messages (backend, data, model) run one after another; everything else waits for
  // setup to finish, and pause/resume/stop act at once so they reach a run in progress.
  let setup: Promise<void> = Promise.resolve()
  function handle(msg: ToWorker): Promise<void> {
    if (msg.type === 'init' || msg.type === 'loadModel' || msg.type === 'importCheckpoint') return (setup = setup.then(() => inner(msg)))
    if (msg.type === 'pause' || msg.type === 'resume' || msg.type === 'stop') return inner(msg)
    return setup.then(() => inner(msg))
  }

  async function inner(msg: ToWorker): Promise<void> {
    try {
      switch (msg.type) {
        case 'init': {
          post({ type: 'loading', stage: 'starting the compute backend', fraction: 0 })
          const choice = await env.pickBackend(msg.prefer, msg.threads)
          backendName = choice.backend
          // The run ends as interrupted (the page keeps its last snapshot and can resume it on
          // another backend); the backend is gone, so the worker can do no more.
          env.watchDeviceLoss?.((message) => {
            if (run) {
              run.interrupted = message
              run.stop = true
              run.release?.()
            }
            fail(message, { fatal: true, deviceLost: true })
          })
          post({ type: 'ready', backend: choice.backend, adapter: `${choice.adapter}${await startHelpers(choice, msg.threads)}`, fallbackReason: choice.fallbackReason })
          post({ type: 'loading', stage: 'test images', fraction: 0 })
          test = parseCifarBin(await env.fetchBytes(`data/cifar10/${TEST_FILE}`))
          if (test.n !== (env.testImages ?? TEST_SET_SIZE)) throw new Error(`the test set has ${test.n} images, expected ${env.testImages ?? TEST_SET_SIZE}`)
          post({ type: 'loading', stage: 'test images', fraction: 1 })
          return
        }
        case 'loadModel':
          return await loadPretrained(msg.model)
        case 'importCheckpoint': {
          // Parse and check completely before touching the current model.
          const model = modelFromCheckpoint(new Uint8Array(msg.bytes), msg.fileName)
          return await setBase(model, `imported ${model.spec.name}`, msg.fileName)
        }
        case 'baseline': {
          if (!base || !test) return fail('the model is not loaded yet', { requestId: msg.requestId })
          const r = await evaluate(base, head(test, msg.evalSize), evalAttackOptions(msg.evalAttack), { batchSize: EVAL_BATCH, seed: 0, exampleCount: EXAMPLE_COUNT, helpers })
          baselineCache = { key: JSON.stringify([msg.evalAttack, msg.evalSize]), result: r }
          const point = { step: 0, epoch: 0, lr: 0, trainLoss: null, clean: r.clean, robust: r.robust, perClassClean: r.perClassClean, perClassRobust: r.perClassRobust, evalSize: r.n, elapsedMs: 0 }
          return post({ type: 'baseline', requestId: msg.requestId, point, examples: r.examples })
        }
        case 'start':
          return await startRun(msg.runId, msg.config, msg.schedule)
        case 'continue':
          return await startRun(msg.runId, msg.config, msg.schedule, { snapshot: msg.snapshot, base: msg.base })
        case 'pause':
          if (run?.runId === msg.runId && !run.paused) {
            run.paused = true
            post({ type: 'paused', runId: msg.runId })
          }
          return
        case 'resume':
          if (run?.runId === msg.runId && run.paused) {
            run.paused = false
            run.release?.()
            run.release = null
            post({ type: 'resumed', runId: msg.runId })
          }
          return
        case 'stop':
          if (run?.runId === msg.runId) {
            run.stop = true
            run.paused = false
            run.release?.()
          }
          return
        case 'attackImage':
          return await attackImage(msg.requestId, msg.index, msg.evalAttack)
        case 'evaluateWeights':
          return await evaluateWeights(msg)
        default:
          return assertNever(msg)
      }
    } catch (e) {
      const m = msg as { requestId?: string; runId?: string }
      // Without a backend or the test set the worker can do nothing: say so as fatal.
      fail((e as Error).message, { requestId: m.requestId, runId: m.runId, fatal: msg.type === 'init' || undefined })
    }
  }

  return { handle, /** for tests */ state: () => ({ base, run, backend: tf.getBackend() }) }
}
