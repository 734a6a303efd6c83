// Plain-data results of training and evaluation: what the worker posts and the UI stores.

export interface EvalPoint {
  step: number // optimizer steps done when evaluated (0 = before training)
  epoch: number // fractional epochs done
  lr: number // learning rate applied at the last step (0 before training)
  trainLoss: number | null // mean training loss since the previous evaluation (null before training)
  clean: number // clean accuracy on the evaluation subset, in [0, 1]
  robust: number // accuracy under the evaluation attack, in [0, 1]
  perClassClean: number[] // 10 accuracies in [0, 1]
  perClassRobust: number[]
  evalSize: number
  elapsedMs: number // training wall time so far, evaluation time excluded
}

/** One evaluation image before/after the attack. Images are 32×32 RGB bytes, row-major HWC. */
export interface AdvExample {
  index: number // position in the CIFAR-10 test set
  label: number
  clean: Uint8Array
  adv: Uint8Array
  cleanPred: number
  cleanConf: number // softmax probability of cleanPred
  advPred: number
  advConf: number
}

export interface StepInfo {
  step: number // steps done
  totalSteps: number
  epoch: number // fractional
  lr: number
  eps255: number // the training attack's ε at this step, in /255 (0: trained on clean images)
  loss: number
  imagesPerSec: number
}

export type RunEndStatus = 'done' | 'stopped' | 'diverged' | 'interrupted' | 'error'
