// One evaluation image: clean, amplified perturbation, adversarial; the true label and the
// predictions before fine-tuning and now. Clicking attacks it again with the current model.

import { useMemo } from 'react'
import { CIFAR10_CLASSES } from '../../core/config'
import type { AdvExample } from '../../core/train/types'
import { PixelCanvas } from './PixelCanvas'
import { linfDistance, perturbationRgba, rgbToRgba } from './pixels'

export function Prediction({ label, pred, conf, truth }: { label: string; pred: number; conf: number; truth: number }) {
  const ok = pred === truth
  return (
    <div className={`pred ${ok ? 'pred-ok' : 'pred-bad'}`}>
      <span className="pred-when">{label}</span>
      <span className="pred-class">{CIFAR10_CLASSES[pred] ?? pred}</span>
      <span className="pred-conf">{(conf * 100).toFixed(0)} %</span>
      <span className="pred-mark" aria-label={ok ? 'correct' : 'wrong'}>
        {ok ? '✓' : '✗'}
      </span>
    </div>
  )
}

export function ExampleImages({ ex, eps255, size = 64 }: { ex: AdvExample; eps255: number; size?: number }) {
  const clean = useMemo(() => rgbToRgba(ex.clean), [ex])
  const pert = useMemo(() => perturbationRgba(ex.clean, ex.adv, eps255), [ex, eps255])
  const adv = useMemo(() => rgbToRgba(ex.adv), [ex])
  const linf = useMemo(() => linfDistance(ex.clean, ex.adv), [ex])
  return (
    <div className="ex-images">
      <figure>
        <PixelCanvas rgba={clean} label={`clean image ${ex.index}`} size={size} />
        <figcaption>clean</figcaption>
      </figure>
      <figure title={`adv − clean, scaled so ±${eps255}/255 spans black to white; largest change ${linf}/255`}>
        <PixelCanvas rgba={pert} label="perturbation, amplified" size={size} />
        <figcaption>δ ×{eps255 > 0 ? Math.round(127 / eps255) : 0}</figcaption>
      </figure>
      <figure>
        <PixelCanvas rgba={adv} label={`adversarial image ${ex.index}`} size={size} />
        <figcaption>adversarial</figcaption>
      </figure>
    </div>
  )
}

export function ExampleCard({ now, before, eps255, onClick }: { now: AdvExample; before: AdvExample | null; eps255: number; onClick: () => void }) {
  return (
    <button type="button" className="example-card" onClick={onClick} title="Attack this image again with the current model" data-testid="example-card" data-index={now.index}>
      <ExampleImages ex={now} eps255={eps255} />
      <div className="ex-truth">
        #{now.index} · true: <strong>{CIFAR10_CLASSES[now.label]}</strong>
      </div>
      {before && before !== now && <Prediction label="before, adv" pred={before.advPred} conf={before.advConf} truth={before.label} />}
      <Prediction label={before && before !== now ? 'now, clean' : 'clean'} pred={now.cleanPred} conf={now.cleanConf} truth={now.label} />
      <Prediction label={before && before !== now ? 'now, adv' : 'adv'} pred={now.advPred} conf={now.advConf} truth={now.label} />
    </button>
  )
}
