// The one place that decides which kernels run a convolution. Rules are tried top to bottom
// within a pass; the first that holds wins.
//
//   pass             algorithm     when (besides algorithm: 'auto', except where marked)
//   forward          winograd-f6   3×3, stride 1, undilated, Cin % 4 == 0, Cout % 16 == 0, U fits
//   forward          winograd-f2   3×3, stride 1, undilated, Cin % 4 == 0, Cout % 8 == 0, U fits, unshuffled
//   forward          rgb           stride 1, undilated, K ≤ 9, Cin == 3 or Cout == 3, unshuffled
//   forward          direct        always
//   input gradient   phases        stride 2, Cin % 8 == 0 (also under 'direct': it is a direct kernel)
//   input gradient   as forward    of dy with the flipped, transposed kernel, dilated by the stride
//   weight gradient  rgb           stride 1, K ≤ 9, Cin == 3 or Cout == 3
//   weight gradient  winograd-f6   3×3, stride 1, Cin % 8 == 0, Cout % 16 == 0, U fits
//   weight gradient  direct        always
//
// (8 and 16 stand for the shaders' vec4 channel blocks, read from the WGSL; K ≤ 9 for the RGB
// kernels' register arrays, MAXK.) The Winograd kernels need whole vec4s of channels and their
// transformed weights U in one binding (the tensors' transforms go in chunks of tiles); a
// pixel-shuffled output (the upsampler's fused conv → shuffle → PReLU) is stored by the
// direct kernels and F(6×6)'s output transform only; the RGB kernels serve the 3-channel side of the
// generator's 9×9 head and tail, which cannot fill a channel block; conv_dx4 skips the
// dilation holes a strided input gradient would otherwise multiply by zero.

import type { Runtime } from '../../graph/runtime.ts';
import { block } from './common.ts';
import { rgbFits } from './rgb.ts';
import { forwardFits, weightsFit } from './winograd.ts';

export type ConvPass = 'forward' | 'inputGradient' | 'weightGradient';
export type ConvAlgorithm = 'direct' | 'winograd-f2' | 'winograd-f6' | 'rgb' | 'phases';

/** A conv as the router sees it: kernel KH × KW from cin to cout channels, input h × w,
 *  output ho × wo. */
export interface ConvShape {
  h: number;
  w: number;
  kh: number;
  kw: number;
  cin: number;
  cout: number;
  ho: number;
  wo: number;
  stride: number;
  /** Input dilation (the input gradient as a conv of dy dilated by the stride); default 1. */
  dilation?: number;
  /** Pixel-shuffle factor of the stored output (forward); default 1. */
  shuffle?: number;
}

interface Rule {
  algorithm: ConvAlgorithm;
  /** Applies under algorithm: 'direct' too. */
  always?: boolean;
  when: (s: Required<ConvShape>, rt: Runtime) => boolean;
}

const is3x3s1 = (s: Required<ConvShape>) => s.kh === 3 && s.kw === 3 && s.stride === 1 && s.dilation === 1;
const rgb = (s: Required<ConvShape>) => s.stride === 1 && s.dilation === 1 && s.shuffle === 1 && rgbFits(s.kh, s.kw) && (s.cin === 3 || s.cout === 3);
const winogradForward = (s: Required<ConvShape>, rt: Runtime) =>
  is3x3s1(s) && s.cin % 4 === 0 && s.cout % (4 * block().CV) === 0 && forwardFits(rt, s.cin, s.cout);

const RULES: Record<ConvPass, Rule[]> = {
  forward: [
    { algorithm: 'winograd-f6', when: (s, rt) => winogradForward(s, rt) && s.cout % 16 === 0 },
    { algorithm: 'winograd-f2', when: (s, rt) => winogradForward(s, rt) && s.shuffle === 1 },
    { algorithm: 'rgb', when: rgb },
    { algorithm: 'direct', always: true, when: () => true },
  ],
  // Otherwise: the forward rules on the transposed, dilated conv (see chooseConvAlgorithm).
  inputGradient: [{ algorithm: 'phases', always: true, when: (s) => s.stride > 1 && s.cin % (4 * block().CV) === 0 }],
  weightGradient: [
    { algorithm: 'rgb', when: rgb },
    { algorithm: 'winograd-f6', when: (s, rt) => s.kh === 3 && s.kw === 3 && s.stride === 1 && weightsFit(rt, s.cin, s.cout) },
    { algorithm: 'direct', always: true, when: () => true },
  ],
};

/**
 * The kernels for one pass of a conv of `shape` (the forward conv's shape for every pass).
 * The input gradient not taken per phase runs as a forward conv of dy (Cout → Cin channels,
 * dilated by the stride, at stride 1): the returned algorithm is that forward's.
 */
export function chooseConvAlgorithm(pass: ConvPass, shape: ConvShape, options: { algorithm?: 'auto' | 'direct' }, rt: Runtime): ConvAlgorithm {
  const s = { dilation: 1, shuffle: 1, ...shape };
  const auto = (options.algorithm ?? 'auto') === 'auto';
  const rule = RULES[pass].find((r) => (auto || r.always) && r.when(s, rt));
  if (rule) return rule.algorithm;
  // Only the input gradient falls through: the forward of dy dilated by the stride.
  return chooseConvAlgorithm('forward', { h: s.ho, w: s.wo, ho: s.h, wo: s.w, kh: s.kh, kw: s.kw, cin: s.cout, cout: s.cin, stride: 1, dilation: s.stride }, options, rt);
}
