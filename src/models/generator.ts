// The SRResNet generator of SRGAN (Ledig et al. 2017, Fig. 4), configurable so that published
// variants load exactly:
//
//   k9n64s1 conv → PReLU                                   head
//   B × [k3n64s1 conv → BN → PReLU → k3n64s1 conv → BN] + skip   blocks
//   k3n64s1 conv → BN (paper) | PReLU (leftthomas), + head skip post
//   log2(scale) × [k3n256s1 conv → pixel shuffle ×2 → PReLU]    up
//   k9n3s1 conv → output head                                tail
//
// Input: NHWC RGB in [0,1]. Output: NHWC RGB, nominally [0,1].

import * as op from '../autograd/ops.ts';
import { constant, scope, type Var } from '../autograd/tape.ts';
import type { Runtime } from '../graph/runtime.ts';
import { Rng } from '../util/rng.ts';
import { bicubicSkipKernel } from './bicubic-skip.ts';
import { BatchNorm2d, Conv2d, PReLU } from './layers.ts';
import { Module } from './module.ts';

export interface GeneratorConfig {
  scale: 2 | 4 | 8;
  /** Residual blocks (paper: 16). */
  blocks: number;
  channels: number;
  batchNorm: boolean;
  /** 'channel': one PReLU slope per channel; 'shared': one slope per PReLU layer. */
  prelu: 'channel' | 'shared';
  /** Bias on the convolutions inside the residual blocks and the post-residual conv. */
  blockBias: boolean;
  /** After the residual blocks: conv+BN (paper) or conv+PReLU (leftthomas). */
  post: 'conv-bn' | 'conv-prelu';
  /** Output head: (tanh(y)+1)/2, (y+1)/2, or y itself. */
  head: 'tanh' | 'shift' | 'linear';
  /** Global skip: add bicubic(x) to the head's output (not in the paper; see bicubic-skip.ts). */
  skip?: 'none' | 'bicubic';
}

export const PAPER_SRRESNET: GeneratorConfig = {
  scale: 4,
  blocks: 16,
  channels: 64,
  batchNorm: true,
  prelu: 'channel',
  blockBias: false,
  post: 'conv-bn',
  head: 'shift',
};

/** BN → PReLU, as one fused op in training mode (batch statistics). */
function bnThenPrelu(bn: BatchNorm2d, prelu: PReLU, x: Var): Var {
  return bn.training ? op.batchNormPreluTrain(x, bn.gamma, bn.beta, prelu.alpha, bn.stats) : prelu.forward(bn.forward(x));
}

class ResidualBlock extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d | null;
  prelu: PReLU;
  conv2: Conv2d;
  bn2: BatchNorm2d | null;

  constructor(rt: Runtime, rng: Rng, c: GeneratorConfig) {
    super(rt);
    const n = c.channels;
    this.conv1 = this.child('conv1', new Conv2d(rt, rng, n, n, 3, { bias: c.blockBias }));
    this.bn1 = c.batchNorm ? this.child('bn1', new BatchNorm2d(rt, n)) : null;
    this.prelu = this.child('prelu', new PReLU(rt, c.prelu === 'channel' ? n : 1));
    this.conv2 = this.child('conv2', new Conv2d(rt, rng, n, n, 3, { bias: c.blockBias }));
    this.bn2 = c.batchNorm ? this.child('bn2', new BatchNorm2d(rt, n)) : null;
  }

  forward(x: Var): Var {
    let h = this.conv1.forward(x);
    h = this.bn1 ? bnThenPrelu(this.bn1, this.prelu, h) : this.prelu.forward(h);
    h = this.conv2.forward(h);
    if (this.bn2) h = this.bn2.forward(h);
    return op.add(x, h);
  }
}

class Upsample extends Module {
  conv: Conv2d;
  prelu: PReLU;

  constructor(rt: Runtime, rng: Rng, c: GeneratorConfig) {
    super(rt);
    this.conv = this.child('conv', new Conv2d(rt, rng, c.channels, c.channels * 4, 3));
    this.prelu = this.child('prelu', new PReLU(rt, c.prelu === 'channel' ? c.channels : 1));
  }

  forward(x: Var): Var {
    return this.prelu.forward(op.pixelShuffle(this.conv.forward(x), 2));
  }
}

export class Generator extends Module {
  readonly head: { conv: Conv2d; prelu: PReLU };
  readonly blocks: ResidualBlock[];
  readonly post: { conv: Conv2d; bn: BatchNorm2d | null; prelu: PReLU | null };
  readonly up: Upsample[];
  readonly tail: Conv2d;
  /** Fixed bicubic upsampler weights when config.skip is 'bicubic' (not a parameter). */
  readonly skipKernel: Var | null;

  constructor(rt: Runtime, readonly config: GeneratorConfig, seed = 0) {
    super(rt);
    const rng = new Rng(seed);
    const c = config;
    const n = c.channels;
    const slopes = c.prelu === 'channel' ? n : 1;
    this.head = {
      conv: this.child('head.conv', new Conv2d(rt, rng, 3, n, 9)),
      prelu: this.child('head.prelu', new PReLU(rt, slopes)),
    };
    this.blocks = Array.from({ length: c.blocks }, (_, i) => this.child(`blocks.${i}`, new ResidualBlock(rt, rng, c)));
    const postBn = c.post === 'conv-bn' && c.batchNorm;
    this.post = {
      conv: this.child('post.conv', new Conv2d(rt, rng, n, n, 3, { bias: c.blockBias })),
      bn: postBn ? this.child('post.bn', new BatchNorm2d(rt, n)) : null,
      prelu: c.post === 'conv-prelu' ? this.child('post.prelu', new PReLU(rt, slopes)) : null,
    };
    this.up = Array.from({ length: Math.log2(c.scale) }, (_, i) => this.child(`up.${i}`, new Upsample(rt, rng, c)));
    this.tail = this.child('tail.conv', new Conv2d(rt, rng, n, 3, 9));
    if (c.skip === 'bicubic') {
      const { k, data } = bicubicSkipKernel(c.scale);
      this.skipKernel = constant(rt.tensor([k, k, 3, 3 * c.scale * c.scale], data));
    } else this.skipKernel = null;
  }

  override dispose(): void {
    super.dispose();
    this.skipKernel?.value.dispose();
  }

  forward(x: Var): Var {
    const x0 = scope(() => this.head.prelu.forward(this.head.conv.forward(x)));
    let h = x0;
    for (const block of this.blocks) {
      const prev = h;
      h = scope(() => block.forward(prev));
      // Off the tape each block's input is dead once the block is done (x0 is kept for the skip).
      if (prev !== x0 && !prev.node) prev.value.dispose();
    }
    const body = h;
    h = scope(() => {
      let p = this.post.conv.forward(body);
      if (this.post.bn) p = this.post.bn.forward(p);
      if (this.post.prelu) p = this.post.prelu.forward(p);
      return op.add(x0, p);
    });
    if (body !== x0 && !body.node) body.value.dispose();
    if (!x0.node) x0.value.dispose();
    for (const u of this.up) {
      const prev = h;
      h = scope(() => u.forward(prev));
      if (!prev.node) prev.value.dispose();
    }
    const last = h;
    const y = scope(() => {
      const t = this.tail.forward(last);
      const out = this.config.head === 'tanh' ? op.affine(op.tanh(t), 0.5, 0.5) : this.config.head === 'shift' ? op.affine(t, 0.5, 0.5) : t;
      if (!this.skipKernel) return out;
      return op.add(out, op.pixelShuffle(op.conv2d(x, this.skipKernel, null), this.config.scale));
    });
    if (!last.node) last.value.dispose();
    return y;
  }
}
