// Entry point: creates the store (IndexedDB runs, localStorage settings), spawns the training
// worker, routes its messages to the store, and renders the page. No tfjs on this thread.

import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import { createAppStore } from './store'
import { indexedDbRunStorage } from './store/idb'
import { memoryRunStorage } from './store/persistence'
import { StoreProvider } from './ui/shared/StoreContext'
import { connectWorker, forcedBackend, spawnTrainingWorker, threadsParam } from './worker/client'
import './ui/styles.css'

addFavicon() // before the load event, so the browser does not ask the server for /favicon.ico

// `?backend=webgpu` (or webgl, wasm, cpu) forces one backend; otherwise the worker picks.
const prefer = forcedBackend(location.search)
const threads = threadsParam(location.search)
let worker = spawnTrainingWorker()
let client = connectWorker(worker)
const store = createAppStore({
  send: (msg, transfer) => client.send(msg, transfer),
  runStorage: typeof indexedDB !== 'undefined' ? indexedDbRunStorage() : memoryRunStorage(),
  settings: safeLocalStorage(),
  // After a lost GPU device: a fresh worker on a fallback backend (the old one's backend is gone).
  restartWorker: (fallback) => {
    worker.terminate()
    worker = spawnTrainingWorker()
    client = connectWorker(worker)
    client.attach(store.getState().actions)
    client.send({ type: 'init', assetBase: import.meta.env.BASE_URL, prefer: fallback, ...(threads ? { threads } : {}) })
  },
})
client.attach(store.getState().actions)

void store
  .getState()
  .actions.boot(location.hash)
  .then(({ appliedLink }) => {
    // The link did its job; later edits would make a stale hash misleading.
    if (appliedLink) history.replaceState(null, '', location.pathname + location.search)
  })
client.send({ type: 'init', assetBase: import.meta.env.BASE_URL, ...(prefer ? { prefer } : {}), ...(threads ? { threads } : {}) })

// For debugging and the browser tests: the store is reachable from the console.
Object.assign(window, { advtune: { store } })

window.addEventListener('unhandledrejection', (e) => {
  // Failures the page already reports must not surface as uncaught console errors.
  e.preventDefault()
  store.getState().actions.notify('error', `Unexpected error: ${e.reason instanceof Error ? e.reason.message : String(e.reason)}`)
})

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App />
    </StoreProvider>
  </StrictMode>,
)

function safeLocalStorage(): Storage | null {
  try {
    return window.localStorage
  } catch {
    return null
  }
}

function addFavicon() {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M2 20 L8 6 L12 14 L16 9 L22 20" fill="none" stroke="#3461c1" stroke-width="2.6" stroke-linejoin="round"/></svg>`
  const link = document.createElement('link')
  link.rel = 'icon'
  link.href = `data:image/svg+xml,${encodeURIComponent(svg)}`
  document.head.append(link)
}
