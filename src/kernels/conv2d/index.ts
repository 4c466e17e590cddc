// 2-D convolution: forward with a fused bias + activation epilogue, input gradient (a conv of
// dy with the flipped, transposed kernel over dy dilated by the stride) and weight gradient.
// router.ts picks the kernels of each pass: direct.ts (shaders/conv2d.wgsl), winograd.ts
// (shaders/conv2d_winograd.wgsl) or rgb.ts (shaders/conv2d_rgb.wgsl).
// NHWC activations, HWIO weights [kh, kw, cin, cout], zero padding, odd or even kernels.

import { grid1d } from '../../graph/grid.ts';
import type { Runtime } from '../../graph/runtime.ts';
import type { Shape, Tensor } from '../../graph/tensor.ts';
import { type Conv2dOptions, type ConvCall, type ConvOptions, convOutSize, dims4, forwardPadding, geometry } from './common.ts';
import { directDxPhases, directForward, directWeights } from './direct.ts';
import { rgbForward, rgbWeights } from './rgb.ts';
import { type ConvShape, chooseConvAlgorithm } from './router.ts';
import { winogradForward, winogradWeights } from './winograd.ts';

export type { Conv2dOptions, ConvOptions, Epilogue, Padding } from './common.ts';
export { convOutSize } from './common.ts';
export { type ConvAlgorithm, type ConvPass, type ConvShape, chooseConvAlgorithm } from './router.ts';

/** Run a forward-shaped conv (a forward, or an input gradient over the dilated dy) on the
 *  router's kernels; returns the kept Winograd input transform if c.keepTransform asked. */
function launchForward(rt: Runtime, c: ConvCall, options: ConvOptions): Tensor | null {
  const [, H, W, cin] = dims4('x', c.x);
  const [KH, KW, , cout] = dims4('w', c.w);
  const [, yh, yw] = dims4('y', c.y);
  const ho = yh / c.shuffle, wo = yw / c.shuffle;
  if (c.bias && c.bias.size !== cout) throw new Error(`conv2d: bias has ${c.bias.size} values for ${cout} channels`);
  const shape = { h: H, w: W, kh: KH, kw: KW, cin, cout, ho, wo, stride: c.stride, dilation: c.dilation, shuffle: c.shuffle };
  switch (chooseConvAlgorithm('forward', shape, options, rt)) {
    case 'winograd-f6':
      return winogradForward(rt, c, 6);
    case 'winograd-f2':
      return winogradForward(rt, c, 2);
    case 'rgb':
      rgbForward(rt, c);
      return null;
    default:
      directForward(rt, c);
      return null;
  }
}

/** y = act(conv(x, w) + bias): x [N,H,W,Cin], w [KH,KW,Cin,Cout] → [N,Ho,Wo,Cout]. */
export function conv2d(rt: Runtime, x: Tensor, w: Tensor, bias: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  return forward(rt, x, w, bias, opts, false).y;
}

/**
 * conv2d for training: also returns x's Winograd F(6×6) input transform when the conv made one
 * (in a single image chunk). Passed to conv2dBackwardWeights, it spares the weight gradient the
 * same pass over x; the caller disposes it after the backward.
 */
export function conv2dTrain(rt: Runtime, x: Tensor, w: Tensor, bias: Tensor | null, opts: Conv2dOptions = {}): { y: Tensor; saved: Tensor | null } {
  return forward(rt, x, w, bias, opts, true);
}

function forward(rt: Runtime, x: Tensor, w: Tensor, bias: Tensor | null, opts: Conv2dOptions, keepTransform: boolean): { y: Tensor; saved: Tensor | null } {
  const [N, H, W, cin] = dims4('x', x);
  const [KH, KW, wcin, cout] = dims4('w', w);
  if (cin !== wcin) throw new Error(`conv2d: x has ${cin} channels, weights expect ${wcin}`);
  const { stride } = geometry(KH, KW, opts);
  const pad = forwardPadding(KH, KW, opts);
  const ho = Math.floor((H + pad.top + pad.bottom - KH) / stride) + 1;
  const wo = Math.floor((W + pad.left + pad.right - KW) / stride) + 1;
  if (ho < 1 || wo < 1) throw new Error(`conv2d: ${H}×${W} input is smaller than the ${KH}×${KW} kernel`);
  const r = opts.shuffle ?? 1;
  if (!Number.isInteger(r) || r < 1 || cout % (r * r)) throw new Error(`conv2d: shuffle ${r} needs a positive integer r with Cout (${cout}) divisible by r²`);
  const y = rt.empty([N, ho * r, wo * r, cout / (r * r)], 'conv2d.y');
  const call = { x, w, y, bias, epilogue: opts.epilogue ?? { kind: 'none' }, stride, dilation: 1, padH: pad.top, padW: pad.left, shuffle: r, keepTransform } as const;
  return { y, saved: launchForward(rt, call, opts) };
}

/** The forward conv's shape and geometry for a backward pass, after checking that dy fits. */
function backwardShape(op: string, xShape: Shape, wShape: Shape, dy: Tensor, opts: ConvOptions): { shape: ConvShape; padH: number; padW: number } {
  const [N, H, W, cin] = dims4('x', xShape);
  const [KH, KW, wcin, cout] = dims4('w', wShape);
  const [dn, ho, wo, dc] = dims4('dy', dy);
  const g = geometry(KH, KW, opts);
  if (wcin !== cin || dc !== cout || dn !== N || ho !== convOutSize(H, KH, g.stride, g.padH) || wo !== convOutSize(W, KW, g.stride, g.padW)) {
    throw new Error(`${op}: dy [${dy.shape}] does not fit x [${xShape}] and w [${wShape}] at stride ${g.stride}, pad ${g.padH}`);
  }
  return { shape: { h: H, w: W, kh: KH, kw: KW, cin, cout, ho, wo, stride: g.stride }, padH: g.padH, padW: g.padW };
}

/**
 * dx for y = conv(x, w): dx[ih] = Σ_kh dy[(ih + pad − kh) / s] · w[kh] over the taps where the
 * division is exact. That is a stride-1 conv of dy dilated by s (zeros between rows/columns)
 * with the kernel flipped in space and transposed in channels, padded by K − 1 − pad.
 */
export function conv2dBackwardInput(rt: Runtime, dy: Tensor, w: Tensor, xShape: Shape, opts: ConvOptions = {}): Tensor {
  const { shape: s, padH, padW } = backwardShape('conv2dBackwardInput', xShape, w.shape, dy, opts);
  const { kh: KH, kw: KW, cin, cout } = s;
  const wT = rt.empty([KH, KW, cout, cin], 'conv2d.wflip');
  const total = wT.size;
  rt.run(
    { shader: 'conv2d', entry: 'flip_weights', constants: { KH, KW, WG: 256 } },
    { bind: { wsrc: w, wflip: wT }, uniforms: { cin, cout, total }, workgroups: grid1d(total, 256) },
  );
  const dx = rt.empty(xShape, 'conv2d.dx');
  const tPadH = KH - 1 - padH, tPadW = KW - 1 - padW;
  if (chooseConvAlgorithm('inputGradient', s, opts, rt) === 'phases') directDxPhases(rt, dy, wT, dx, s.stride, tPadH, tPadW);
  else launchForward(rt, { x: dy, w: wT, y: dx, bias: null, epilogue: { kind: 'none' }, stride: 1, dilation: s.stride, padH: tPadH, padW: tPadW, shuffle: 1 }, opts);
  // Safe to release now: later users of this buffer are recorded after these dispatches.
  wT.dispose();
  return dx;
}

/**
 * dw[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s − pad + kh, ow·s − pad + kw, ci] · dy[n,oh,ow,co].
 * `saved`: the forward's input transform (conv2dTrain), used where the Winograd weight gradient
 * would compute the same tensor.
 */
export function conv2dBackwardWeights(rt: Runtime, x: Tensor, dy: Tensor, wShape: Shape, opts: ConvOptions = {}, saved: Tensor | null = null): Tensor {
  const { shape: s, padH, padW } = backwardShape('conv2dBackwardWeights', x.shape, wShape, dy, opts);
  switch (chooseConvAlgorithm('weightGradient', s, opts, rt)) {
    case 'rgb':
      return rgbWeights(rt, x, dy, s.kh, s.kw, padH, padW);
    case 'winograd-f6':
      return winogradWeights(rt, x, dy, padH, padW, saved);
    default:
      return directWeights(rt, x, dy, s.kh, s.kw, s.stride, padH, padW);
  }
}
