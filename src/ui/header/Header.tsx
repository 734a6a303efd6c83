// The page header: name, model picker and import, the base model's baseline, the backend.

import { BackendBadge } from './BackendBadge'
import { BaselineChip } from './BaselineChip'
import { LoadingBar } from './LoadingBar'
import { ModelPicker } from './ModelPicker'

export function Header() {
  return (
    <header className="app-header">
      <div className="header-row">
        <div className="brand">
          <svg className="logo" viewBox="0 0 24 24" aria-hidden="true">
            <path d="M2 20 L8 6 L12 14 L16 9 L22 20" fill="none" stroke="currentColor" strokeWidth="2.4" strokeLinejoin="round" />
          </svg>
          <div>
            <h1>
              advtune {/* A new tab: leaving this page would interrupt a run in training. */}
              <a className="study-link" href={`${import.meta.env.BASE_URL}study/`} target="_blank" rel="noopener" data-testid="study-link">
                Study report ↗
              </a>
            </h1>
            <p className="tagline">Adversarial fine-tuning of CIFAR-10 ResNets, in your browser</p>
          </div>
        </div>
        <ModelPicker />
        <div className="header-status">
          <BaselineChip />
          <BackendBadge />
        </div>
      </div>
      <LoadingBar />
    </header>
  )
}
