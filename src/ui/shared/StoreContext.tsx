// React access to the app store: components read narrow slices with `useApp(selector)` and
// call `useActions()`; the store itself is created once in main.tsx.

import { createContext, useContext, type ReactNode } from 'react'
import { useStore } from 'zustand'
import { useShallow } from 'zustand/react/shallow'
import type { AppState, AppStore } from '../../store'

const StoreContext = createContext<AppStore | null>(null)

export function StoreProvider({ store, children }: { store: AppStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>
}

function useAppStore(): AppStore {
  const store = useContext(StoreContext)
  if (!store) throw new Error('useApp outside StoreProvider')
  return store
}

export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(useAppStore(), selector)
}

/** For selectors that build a new array or object each time (compared by their members). */
export function useAppShallow<T>(selector: (s: AppState) => T): T {
  return useStore(useAppStore(), useShallow(selector))
}

export const useActions = () => useApp((s) => s.actions)
