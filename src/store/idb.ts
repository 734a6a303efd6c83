// RunStorage on the browser's IndexedDB: database "advtune", store "runs" (records by id),
// store "weights" (safetensors bytes by run id) and store "snapshots" (a run in training's
// resumable snapshot by run id). Every write is one transaction, so a failed write (e.g.
// QuotaExceededError) leaves what was saved before untouched.

import type { RunStorage, StoredSnapshot } from './persistence'
import type { Run } from './types'

const DB_NAME = 'advtune'
// 1: runs, weights. 2: snapshots (the upgrade only adds the store: runs and weights stay).
const DB_VERSION = 2

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION)
    req.onupgradeneeded = () => {
      const db = req.result
      if (!db.objectStoreNames.contains('runs')) db.createObjectStore('runs', { keyPath: 'id' })
      if (!db.objectStoreNames.contains('weights')) db.createObjectStore('weights')
      if (!db.objectStoreNames.contains('snapshots')) db.createObjectStore('snapshots')
    }
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
    req.onblocked = () => reject(new Error('the run database is open in an older tab of this page; close it and reload'))
  })
}

/** Runs `body` in one transaction and resolves when it commits (rejects with its error). */
function tx<T>(db: IDBDatabase, stores: string[], mode: IDBTransactionMode, body: (t: IDBTransaction) => IDBRequest<T> | void): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const t = db.transaction(stores, mode)
    let result: T | undefined
    const req = body(t)
    if (req) req.onsuccess = () => (result = req.result)
    t.oncomplete = () => resolve(result)
    t.onabort = () => reject(t.error ?? new Error('transaction aborted'))
    t.onerror = () => reject(t.error)
  })
}

export function indexedDbRunStorage(): RunStorage {
  let dbPromise: Promise<IDBDatabase> | null = null
  const db = () => (dbPromise ??= open())
  return {
    async loadRuns() {
      const runs = await tx<Run[]>(await db(), ['runs'], 'readonly', (t) => t.objectStore('runs').getAll())
      return runs ?? []
    },
    async putRun(run) {
      await tx(await db(), ['runs'], 'readwrite', (t) => t.objectStore('runs').put(run))
    },
    async putWeights(runId, bytes) {
      await tx(await db(), ['weights'], 'readwrite', (t) => t.objectStore('weights').put(bytes, runId))
    },
    async getWeights(runId) {
      const bytes = await tx<ArrayBuffer>(await db(), ['weights'], 'readonly', (t) => t.objectStore('weights').get(runId))
      return bytes ?? null
    },
    async deleteRun(runId) {
      await tx(await db(), ['runs', 'weights', 'snapshots'], 'readwrite', (t) => {
        t.objectStore('runs').delete(runId)
        t.objectStore('weights').delete(runId)
        t.objectStore('snapshots').delete(runId)
      })
    },
    async putSnapshot(run, snapshot) {
      await tx(await db(), ['runs', 'snapshots'], 'readwrite', (t) => {
        t.objectStore('snapshots').put(snapshot, run.id)
        t.objectStore('runs').put(run)
      })
    },
    async getSnapshot(runId) {
      const s = await tx<StoredSnapshot>(await db(), ['snapshots'], 'readonly', (t) => t.objectStore('snapshots').get(runId))
      return s ?? null
    },
    async dropSnapshot(run) {
      await tx(await db(), ['runs', 'snapshots'], 'readwrite', (t) => {
        t.objectStore('snapshots').delete(run.id)
        t.objectStore('runs').put(run)
      })
    },
  }
}
