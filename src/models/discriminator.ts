// The SRGAN discriminator (Ledig et al. 2017, Fig. 4): eight 3×3 conv blocks
//   k3n64s1 → LReLU
//   k3n64s2, k3n128s1, k3n128s2, k3n256s1, k3n256s2, k3n512s1, k3n512s2 → BN → LReLU
// then dense 1024 → LReLU → dense 1, a logit (the sigmoid lives in the loss).
// Input: NHWC RGB in [0,1], 96×96 (any size divisible by 16 works; the dense layer's
// width follows from it).

import * as op from '../autograd/ops.ts';
import type { Var } from '../autograd/tape.ts';
import type { Runtime } from '../graph/runtime.ts';
import { Rng } from '../util/rng.ts';
import { BatchNorm2d, Conv2d } from './layers.ts';
import { Module, uniformInit } from './module.ts';

export interface DiscriminatorConfig {
  /** Input patch size (paper: 96). */
  size: number;
  /** Filters of the eight conv blocks. */
  filters: readonly number[];
  dense: number;
  slope: number;
}

export const PAPER_DISCRIMINATOR: DiscriminatorConfig = {
  size: 96,
  filters: [64, 64, 128, 128, 256, 256, 512, 512],
  dense: 1024,
  slope: 0.2,
};

class DenseLayer extends Module {
  w;
  b;
  constructor(rt: Runtime, rng: Rng, cin: number, cout: number) {
    super(rt);
    this.w = this.param('w', rt.tensor([cin, cout], uniformInit(rng, cin * cout, cin)));
    this.b = this.param('b', rt.tensor([cout], uniformInit(rng, cout, cin)));
  }
  forward(x: Var): Var {
    return op.dense(x, this.w, this.b);
  }
}

export class Discriminator extends Module {
  readonly convs: Conv2d[];
  readonly bns: Array<BatchNorm2d | null>;
  readonly fc1: DenseLayer;
  readonly fc2: DenseLayer;

  constructor(rt: Runtime, readonly config: DiscriminatorConfig = PAPER_DISCRIMINATOR, seed = 1) {
    super(rt);
    const rng = new Rng(seed);
    let cin = 3;
    let size = config.size;
    this.convs = [];
    this.bns = [];
    config.filters.forEach((f, i) => {
      const stride = i % 2 === 1 ? 2 : 1;
      this.convs.push(this.child(`convs.${i}`, new Conv2d(rt, rng, cin, f, 3, { stride })));
      this.bns.push(i === 0 ? null : this.child(`bns.${i}`, new BatchNorm2d(rt, f)));
      if (stride === 2) size = Math.ceil(size / 2);
      cin = f;
    });
    this.fc1 = this.child('fc1', new DenseLayer(rt, rng, size * size * cin, config.dense));
    this.fc2 = this.child('fc2', new DenseLayer(rt, rng, config.dense, 1));
  }

  /** Logits [N, 1]. */
  forward(x: Var): Var {
    if (x.shape[1] !== this.config.size || x.shape[2] !== this.config.size) {
      throw new Error(`discriminator expects ${this.config.size}×${this.config.size} inputs, got [${x.shape}]`);
    }
    let h = x;
    this.convs.forEach((conv, i) => {
      h = conv.forward(h);
      const bn = this.bns[i];
      if (bn) h = bn.forward(h);
      h = op.leakyRelu(h, this.config.slope);
    });
    const n = h.shape[0]!;
    h = op.reshape(h, [n, h.value.size / n]);
    h = op.leakyRelu(this.fc1.forward(h), this.config.slope);
    return this.fc2.forward(h);
  }
}
