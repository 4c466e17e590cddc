// The layers the SRGAN networks are built from.

import * as op from '../autograd/ops.ts';
import type { Param, Var } from '../autograd/tape.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { Rng } from '../util/rng.ts';
import { Module, uniformInit } from './module.ts';

export class Conv2d extends Module {
  readonly w: Param;
  readonly b: Param | null;

  constructor(
    rt: Runtime,
    rng: Rng,
    readonly cin: number,
    readonly cout: number,
    readonly k: number,
    readonly opts: { stride?: 1 | 2; bias?: boolean } = {},
  ) {
    super(rt);
    const fanIn = cin * k * k;
    this.w = this.param('w', rt.tensor([k, k, cin, cout], uniformInit(rng, k * k * cin * cout, fanIn)));
    this.b = opts.bias === false ? null : this.param('b', rt.tensor([cout], uniformInit(rng, cout, fanIn)));
  }

  forward(x: Var): Var {
    return op.conv2d(x, this.w, this.b, { stride: this.opts.stride ?? 1, pad: (this.k - 1) / 2 });
  }
}

export class BatchNorm2d extends Module {
  readonly gamma: Param;
  readonly beta: Param;
  readonly stats: op.BatchNormState;

  constructor(rt: Runtime, readonly channels: number, eps = 1e-5, momentum = 0.1) {
    super(rt);
    this.gamma = this.param('gamma', rt.tensor([channels], new Float32Array(channels).fill(1)));
    this.beta = this.param('beta', rt.tensor([channels], new Float32Array(channels)));
    this.stats = {
      runningMean: this.buffer('running_mean', rt.tensor([channels], new Float32Array(channels))),
      runningVar: this.buffer('running_var', rt.tensor([channels], new Float32Array(channels).fill(1))),
      eps,
      momentum,
    };
  }

  forward(x: Var): Var {
    return this.training ? op.batchNormTrain(x, this.gamma, this.beta, this.stats) : op.batchNormEval(x, this.gamma, this.beta, this.stats);
  }
}

export class PReLU extends Module {
  readonly alpha: Param;

  /** channels = 1 for one shared slope. PyTorch initialises slopes to 0.25. */
  constructor(rt: Runtime, readonly channels: number) {
    super(rt);
    this.alpha = this.param('alpha', rt.tensor([channels], new Float32Array(channels).fill(0.25)));
  }

  forward(x: Var): Var {
    return op.prelu(x, this.alpha);
  }
}

/** Fully connected: x [N, cin] → [N, cout]. */
export class Dense extends Module {
  readonly w: Param;
  readonly b: Param;

  constructor(rt: Runtime, rng: Rng, cin: number, cout: number) {
    super(rt);
    this.w = this.param('w', rt.tensor([cin, cout], uniformInit(rng, cin * cout, cin)));
    this.b = this.param('b', rt.tensor([cout], uniformInit(rng, cout, cin)));
  }

  forward(x: Var): Var {
    return op.dense(x, this.w, this.b);
  }
}
