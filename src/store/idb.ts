// RunStorage on the browser's IndexedDB: database "advtune", store "runs" (records by id) and
// store "weights" (safetensors bytes by run id). Every write is one transaction, so a failed
// write (e.g. QuotaExceededError) leaves what was saved before untouched.

import type { RunStorage } from './persistence'
import type { Run } from './types'

const DB_NAME = 'advtune'
const DB_VERSION = 1

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION)
    req.onupgradeneeded = () => {
      const db = req.result
      if (!db.objectStoreNames.contains('runs')) db.createObjectStore('runs', { keyPath: 'id' })
      if (!db.objectStoreNames.contains('weights')) db.createObjectStore('weights')
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
      await tx(await db(), ['runs', 'weights'], 'readwrite', (t) => {
        t.objectStore('runs').delete(runId)
        t.objectStore('weights').delete(runId)
      })
    },
  }
}
