// The SRResNet topology (Ledig et al. 2017, Fig. 4) as data, layer after layer, named as the
// weights are. Generator builds its trainable modules from it and InferenceGenerator its fused
// convolutions; srresnetForward runs either.

import * as op from '../autograd/ops.ts';
import { chain, type Var } from '../autograd/tape.ts';
import type { GeneratorConfig } from './generator.ts';

/** After the conv (and its BN): nothing, PReLU (one slope per channel, or shared) or tanh. */
export type StageActivation = { kind: 'none' } | { kind: 'tanh' } | { kind: 'prelu'; name: string; slopes: number };

/** conv → [BN] → [pixel shuffle ×2] → activation. `conv`, `bn` and the PReLU's `name` are
 *  module names (`${conv}.w`, `${bn}.gamma`, `${name}.alpha`). */
export interface ConvStage {
  conv: string;
  cin: number;
  cout: number;
  k: number;
  bias: boolean;
  bn: string | null;
  shuffle: boolean;
  act: StageActivation;
}

/** A stage, or a group of layers whose input is added to their output. */
export type Layer = ConvStage | { residual: Layer[] };

const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

export function srresnetLayers(c: GeneratorConfig): Layer[] {
  const n = c.channels;
  const prelu = (name: string): StageActivation => ({ kind: 'prelu', name, slopes: c.prelu === 'channel' ? n : 1 });
  const bn = (name: string) => (c.batchNorm ? name : null);
  const conv = (name: string, cin: number, cout: number, k: number, rest: Partial<ConvStage> = {}): ConvStage =>
    ({ conv: name, cin, cout, k, bias: true, bn: null, shuffle: false, act: { kind: 'none' }, ...rest });
  const block = (i: number): Layer => ({
    residual: [
      conv(`blocks.${i}.conv1`, n, n, 3, { bias: c.blockBias, bn: bn(`blocks.${i}.bn1`), act: prelu(`blocks.${i}.prelu`) }),
      conv(`blocks.${i}.conv2`, n, n, 3, { bias: c.blockBias, bn: bn(`blocks.${i}.bn2`) }),
    ],
  });
  const post = c.post === 'conv-bn' ? { bn: bn('post.bn') } : { act: prelu('post.prelu') };
  return [
    conv('head.conv', 3, n, 9, { act: prelu('head.prelu') }), //                         k9n64s1 → PReLU
    { residual: [...range(c.blocks, block), conv('post.conv', n, n, 3, { bias: c.blockBias, ...post })] }, // B blocks, k3n64s1 → BN, + skip
    ...range(Math.log2(c.scale), (j) => conv(`up.${j}.conv`, n, 4 * n, 3, { shuffle: true, act: prelu(`up.${j}.prelu`) })), // k3n256s1 → ×2 → PReLU
    conv('tail.conv', n, 3, 9, { act: c.head === 'tanh' ? { kind: 'tanh' } : { kind: 'none' } }), //   k9n3s1
  ];
}

/** Every stage of the layers, in order. */
export function stagesOf(layers: Layer[]): ConvStage[] {
  return layers.flatMap((l) => ('residual' in l ? stagesOf(l.residual) : [l]));
}

/**
 * The generator's forward on x (NHWC RGB in [0,1]) with `stage` running one conv stage;
 * intermediates live as chain() says. Output head: (tanh(y)+1)/2 (tanh in the tail stage) or
 * (y+1)/2, or y; then + the bicubic upsampling of x when `skip` holds its kernel.
 */
export function srresnetForward(c: GeneratorConfig, layers: Layer[], x: Var, stage: (s: ConvStage, h: Var) => Var, skip: Var | null): Var {
  const run = (l: Layer) => (h: Var) => ('residual' in l ? op.add(h, chain(h, l.residual.map(run))) : stage(l, h));
  const output = (y: Var) => {
    const out = c.head === 'linear' ? y : op.affine(y, 0.5, 0.5);
    return skip ? op.add(out, op.pixelShuffle(op.conv2d(x, skip, null), c.scale)) : out;
  };
  return chain(x, [...layers.map(run), output]);
}
