// Adam (Kingma & Ba) with bias correction; moments live on the GPU next to the parameters.

import { adamStep } from '../kernels/adam.ts';
import { fill } from '../kernels/elementwise.ts';
import type { Tensor } from '../graph/tensor.ts';
import type { Param } from './tape.ts';

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export class Adam {
  step = 0;
  readonly m: Tensor[];
  readonly v: Tensor[];

  constructor(
    readonly params: Param[],
    public options: AdamOptions = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
  ) {
    const zeros = (p: Param) => fill(p.rt, p.rt.empty(p.shape), 0);
    this.m = params.map(zeros);
    this.v = params.map(zeros);
  }

  /** Apply one update from the accumulated gradients, then clear them. */
  update(): void {
    this.step++;
    this.params.forEach((p, i) => {
      if (p.grad) adamStep(p.rt, p.value, p.grad, this.m[i]!, this.v[i]!, { ...this.options, step: this.step });
      p.zeroGrad();
    });
  }

  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }
}
