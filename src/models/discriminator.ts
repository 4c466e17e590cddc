// The SRGAN discriminator (Ledig et al. 2017, Fig. 4): eight 3×3 conv blocks
//   k3n64s1 → LReLU
//   k3n64s2, k3n128s1, k3n128s2, k3n256s1, k3n256s2, k3n512s1, k3n512s2 → BN → LReLU
// then dense 1024 → LReLU → dense 1, a logit (the sigmoid lives in the loss).
// Input: NHWC RGB in [0,1], 96×96 (any size divisible by 16 works; the dense layer's
// width follows from it).

import * as op from '../autograd/ops.ts';
import { chain, type Var } from '../autograd/tape.ts';
import type { Runtime } from '../graph/runtime.ts';
import { Rng } from '../util/rng.ts';
import { BatchNorm2d, Conv2d, Dense } from './layers.ts';
import { Module } from './module.ts';

export interface DiscriminatorConfig {
  /** Input patch size (paper: 96). */
  size: number;
  /** The 3×3 conv blocks: filters n and stride s (k3n64s1 → { n: 64, s: 1 }). */
  convs: ReadonlyArray<{ n: number; s: 1 | 2 }>;
  dense: number;
  slope: number;
}

export const PAPER_DISCRIMINATOR: DiscriminatorConfig = {
  size: 96,
  convs: [
    { n: 64, s: 1 }, { n: 64, s: 2 },
    { n: 128, s: 1 }, { n: 128, s: 2 },
    { n: 256, s: 1 }, { n: 256, s: 2 },
    { n: 512, s: 1 }, { n: 512, s: 2 },
  ],
  dense: 1024,
  slope: 0.2,
};

/**
 * The paper's discriminator for `size`×`size` patches with every conv and the dense layer
 * `width` times as wide (width 0.5: 32…256 filters, a quarter of the FLOPs — what makes a GAN
 * update affordable on a CPU).
 */
export function scaledDiscriminator(size: number, width = 1): DiscriminatorConfig {
  const scaled = (n: number) => Math.max(1, Math.round(n * width));
  return {
    ...PAPER_DISCRIMINATOR,
    size,
    convs: PAPER_DISCRIMINATOR.convs.map((c) => ({ ...c, n: scaled(c.n) })),
    dense: scaled(PAPER_DISCRIMINATOR.dense),
  };
}

export class Discriminator extends Module {
  readonly convs: Conv2d[];
  /** Batch norm after every conv block but the first. */
  readonly bns: Array<BatchNorm2d | null>;
  readonly fc1: Dense;
  readonly fc2: Dense;

  constructor(rt: Runtime, readonly config: DiscriminatorConfig = PAPER_DISCRIMINATOR, seed = 1) {
    super(rt);
    const rng = new Rng(seed);
    let cin = 3;
    let size = config.size;
    this.convs = [];
    this.bns = [];
    config.convs.forEach(({ n, s }, i) => {
      this.convs.push(this.child(`convs.${i}`, new Conv2d(rt, rng, cin, n, 3, { stride: s })));
      this.bns.push(i === 0 ? null : this.child(`bns.${i}`, new BatchNorm2d(rt, n)));
      size = Math.ceil(size / s);
      cin = n;
    });
    this.fc1 = this.child('fc1', new Dense(rt, rng, size * size * cin, config.dense));
    this.fc2 = this.child('fc2', new Dense(rt, rng, config.dense, 1));
  }

  /** Logits [N, 1]. */
  forward(x: Var): Var {
    if (x.shape[1] !== this.config.size || x.shape[2] !== this.config.size) {
      throw new Error(`discriminator expects ${this.config.size}×${this.config.size} inputs, got [${x.shape}]`);
    }
    const lrelu = (h: Var) => op.leakyRelu(h, this.config.slope);
    return chain(x, [
      ...this.convs.map((conv, i) => (h: Var) => {
        const y = conv.forward(h);
        const bn = this.bns[i];
        return lrelu(bn ? bn.forward(y) : y);
      }),
      (h) => op.reshape(h, [h.shape[0]!, h.value.size / h.shape[0]!]),
      (h) => lrelu(this.fc1.forward(h)),
      (h) => this.fc2.forward(h),
    ]);
  }
}
