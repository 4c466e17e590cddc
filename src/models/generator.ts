// The SRResNet generator of SRGAN (Ledig et al. 2017, Fig. 4), configurable so that published
// variants load exactly (the layers, as data: srresnet.ts):
//
//   k9n64s1 conv → PReLU                                   head
//   B × [k3n64s1 conv → BN → PReLU → k3n64s1 conv → BN] + skip   blocks
//   k3n64s1 conv → BN (paper) | PReLU (leftthomas), + head skip post
//   log2(scale) × [k3n256s1 conv → pixel shuffle ×2 → PReLU]    up
//   k9n3s1 conv → output head                                tail
//
// Input: NHWC RGB in [0,1]. Output: NHWC RGB, nominally [0,1].

import * as op from '../autograd/ops.ts';
import { constant, type Var } from '../autograd/tape.ts';
import type { Runtime } from '../graph/runtime.ts';
import { Rng } from '../util/rng.ts';
import { bicubicSkipKernel } from './bicubic-skip.ts';
import { BatchNorm2d, Conv2d, PReLU } from './layers.ts';
import { Module } from './module.ts';
import { type ConvStage, type Layer, srresnetForward, srresnetLayers, stagesOf } from './srresnet.ts';

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

export class Generator extends Module {
  /** The topology, stage by stage (srresnet.ts). */
  readonly layers: Layer[];
  private readonly convs = new Map<string, Conv2d>();
  private readonly bns = new Map<string, BatchNorm2d>();
  private readonly prelus = new Map<string, PReLU>();
  /** Fixed bicubic upsampler weights when config.skip is 'bicubic' (not a parameter). */
  readonly skipKernel: Var | null;

  constructor(rt: Runtime, readonly config: GeneratorConfig, seed = 0) {
    super(rt);
    const rng = new Rng(seed);
    const c = config;
    this.layers = srresnetLayers(c);
    // Registered stage by stage: the parameter order of checkpoints (head, blocks, post, up, tail).
    for (const s of stagesOf(this.layers)) {
      this.convs.set(s.conv, this.child(s.conv, new Conv2d(rt, rng, s.cin, s.cout, s.k, { bias: s.bias })));
      if (s.bn) this.bns.set(s.bn, this.child(s.bn, new BatchNorm2d(rt, s.cout)));
      if (s.act.kind === 'prelu') this.prelus.set(s.act.name, this.child(s.act.name, new PReLU(rt, s.act.slopes)));
    }
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
    return srresnetForward(this.config, this.layers, x, (s, h) => this.stage(s, h), this.skipKernel);
  }

  /** conv → [BN] → [pixel shuffle] → activation; BN → PReLU as one fused op in training mode. */
  private stage(s: ConvStage, x: Var): Var {
    let h = this.convs.get(s.conv)!.forward(x);
    const bn = s.bn ? this.bns.get(s.bn)! : null;
    const prelu = s.act.kind === 'prelu' ? this.prelus.get(s.act.name)! : null;
    if (bn && prelu && !s.shuffle && bn.training) return op.batchNormPreluTrain(h, bn.gamma, bn.beta, prelu.alpha, bn.stats);
    if (bn) h = bn.forward(h);
    if (s.shuffle) h = op.pixelShuffle(h, 2);
    if (prelu) return prelu.forward(h);
    return s.act.kind === 'tanh' ? op.tanh(h) : h;
  }
}
