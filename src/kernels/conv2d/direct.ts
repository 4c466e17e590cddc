// The direct convolution kernels (shaders/conv2d.wgsl): the forward with its fused epilogue
// and optional pixel shuffle of the stored output (conv_fwd4 when Cout fills the vec4 channel blocks, else the channel-guarded conv_fwd_any;
// also the input gradient as a conv of the dilated dy), the input gradient of a strided conv
// per output phase (conv_dx4) and the weight gradient as a chunked reduction over pixels.

import type { Runtime } from '../../graph/runtime.ts';
import type { Tensor } from '../../graph/tensor.ts';
import { sumOfChunks } from '../partial-sums.ts';
import { type ConvCall, WG, block, dims4, epilogueParams, foldGrid } from './common.ts';

/** Pixels per chunk of the weight-gradient reduction: enough work per workgroup to hide its
 *  start-up, enough chunks to keep every core busy. */
const CHUNK_PIXELS = 2048;

export function directForward(rt: Runtime, c: ConvCall): void {
  const [N, H, W, cin] = dims4('x', c.x);
  const [KH, KW, , cout] = dims4('w', c.w);
  const [, yh, yw] = dims4('y', c.y);
  const ho = yh / c.shuffle, wo = yw / c.shuffle;
  const { PX, CV } = block();
  const tilesW = Math.ceil(wo / PX);
  const threads = N * ho * tilesW;
  const ep = epilogueParams(c.epilogue, cout);
  // Unused bindings still need a buffer: the weights stand in (read-only, never read).
  const bias = c.bias ?? c.w;
  const alpha = ep.alpha ?? c.w;
  const constants = { KH, KW, S: c.stride, D: c.dilation, WG, ACT: ep.act, HAS_BIAS: c.bias ? 1 : 0, R: c.shuffle };
  const uniforms = {
    n: N, h: H, w: W, cin, ho, wo, cout, pad_h: c.padH, pad_w: c.padW,
    tiles_w: tilesW, threads, slope: ep.slope, alpha_stride: ep.alphaStride, w_stride: 0,
  };
  if (cout % (4 * CV) === 0) {
    rt.run(
      { shader: 'conv2d', entry: 'conv_fwd4', constants },
      { bind: { x: c.x, w4: c.w, bias4: bias, alpha, y4: c.y }, uniforms, workgroups: foldGrid(threads, WG, cout / (4 * CV)) },
    );
  } else {
    rt.run(
      { shader: 'conv2d', entry: 'conv_fwd_any', constants },
      { bind: { x: c.x, w: c.w, bias, alpha, y: c.y }, uniforms, workgroups: foldGrid(threads, WG, Math.ceil(cout / 4)) },
    );
  }
}

/**
 * Input gradient of a strided conv without the dilation holes (conv_dx4): one dispatch per
 * phase (ph, pw) of dx, each running only the taps that meet real dy pixels. wT is the
 * flipped, transposed kernel [KH, KW, Cout, Cin]; pad = K − 1 − the forward's pad.
 */
export function directDxPhases(rt: Runtime, dy: Tensor, wT: Tensor, dx: Tensor, s: number, padH: number, padW: number): void {
  const [N, h, w, cin] = dims4('dy', dy);
  const [KH, KW, , cout] = dims4('wT', wT);
  const [, ho, wo] = dims4('dx', dx);
  const { PX, CV } = block();
  const constants = { KH, KW, D: s, WG };
  for (let ph = 0; ph < s; ph++) {
    for (let pw = 0; pw < s; pw++) {
      const hs = Math.ceil((ho - ph) / s), ws = Math.ceil((wo - pw) / s);
      if (hs <= 0 || ws <= 0) continue;
      const tilesW = Math.ceil(ws / PX);
      const threads = N * hs * tilesW;
      rt.run(
        { shader: 'conv2d', entry: 'conv_dx4', constants },
        {
          bind: { x: dy, w4: wT, y4: dx },
          uniforms: { n: N, h, w, cin, ho, wo, cout, pad_h: padH, pad_w: padW, ph, pw, hs, ws, tiles_w: tilesW, threads },
          workgroups: foldGrid(threads, WG, cout / (4 * CV)),
        },
      );
    }
  }
}

/** dw [KH, KW, cin, cout] by partial sums over chunks of output pixels (conv_bwd_w4 / _any). */
export function directWeights(rt: Runtime, x: Tensor, dy: Tensor, KH: number, KW: number, stride: number, padH: number, padW: number): Tensor {
  const [N, H, W, cin] = dims4('x', x);
  const [, ho, wo, cout] = dims4('dy', dy);
  const size = KH * KW * cin * cout;
  const pixels = N * ho * wo;
  // Partial sums need chunks · size floats in one binding.
  const maxChunks = Math.max(1, Math.min(65535, Math.floor(rt.limits.maxStorageBufferBindingSize / (size * 4))));
  let chunks = Math.min(maxChunks, Math.max(1, Math.ceil(pixels / CHUNK_PIXELS)));
  const chunk = Math.ceil(pixels / chunks);
  chunks = Math.ceil(pixels / chunk);

  const { CI, CO } = block();
  const fast = cout % (4 * CO) === 0;
  // Lanes run over output channels (CO vec4 groups each on the fast path).
  const lanes = fast ? cout / (4 * CO) : cout;
  const wg = Math.min(16, lanes);
  const coGroups = Math.ceil(lanes / wg);
  const ciBlocks = Math.ceil(cin / CI);
  const uniforms = {
    h: H, w: W, cin, ho, wo, cout, pad_h: padH, pad_w: padW,
    chunk, pixels, size, ci_blocks: ciBlocks, co_groups: coGroups,
  };
  const constants = { KH, KW, S: stride, WG: wg };
  const workgroups = [KH * KW * ciBlocks * coGroups, chunks] as const;
  if (workgroups[0] > rt.limits.maxComputeWorkgroupsPerDimension) throw new Error(`conv2dBackwardWeights: ${workgroups[0]} workgroups along x`);
  return sumOfChunks(rt, [KH, KW, cin, cout], chunks, 'conv2d.dw', (parts) => {
    if (fast) rt.run({ shader: 'conv2d', entry: 'conv_bwd_w4', constants }, { bind: { xin: x, dy4: dy, part4: parts }, uniforms, workgroups });
    else rt.run({ shader: 'conv2d', entry: 'conv_bwd_w_any', constants }, { bind: { xin: x, dy, part: parts }, uniforms, workgroups });
  });
}
