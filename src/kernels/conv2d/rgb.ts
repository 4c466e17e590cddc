// Stride-1 convolutions with 3 channels on one side (shaders/conv2d_rgb.wgsl): the forward and
// input gradient of 3 → C and C → 3 convs (the input gradient of C → 3 is a 3 → C conv of dy
// with the flipped kernel, so router.ts sends it here as a forward), and the weight gradient
// of both. SRResNet's 9×9 head (3→64) and tail (64→3) take them; on the generic direct
// kernels they cost far more than their FLOPs (the 3-channel side cannot fill a channel block,
// and every weight is a per-lane storage load on llvmpipe).

import { grid1d } from '../../graph/grid.ts';
import type { Runtime } from '../../graph/runtime.ts';
import type { Tensor } from '../../graph/tensor.ts';
import { sumOfChunks } from '../partial-sums.ts';
import { type ConvCall, dims4, epilogueParams, shaderConsts } from './common.ts';

const SHADER = 'conv2d_rgb';
/** Floats per uniform window (the WGSL `array<vec4<f32>, 1024>`: 16 KiB). */
const WINDOW = 4096;
const WG = 64;

/** The blocking constants of the WGSL, defined once there. */
const C = shaderConsts(SHADER, ['MAXK', 'PX', 'PY', 'CV', 'WB', 'WV', 'CI', 'CO']);

/** Kernels up to MAXK × MAXK (the register arrays are sized for it). */
export const rgbFits = (KH: number, KW: number): boolean => KH <= C().MAXK && KW <= C().MAXK;

/** 'wide' for 3 → C (cin = 3), 'narrow' for C → 3; a conv the router sent here has one of them. */
function side(cin: number, cout: number, KH: number, KW: number): 'wide' | 'narrow' {
  if (cin !== 3 && cout !== 3) throw new Error(`conv2d_rgb: no RGB kernel for ${cin} → ${cout}, ${KH}×${KW}`);
  return cin === 3 ? 'wide' : 'narrow';
}

/** Forward of a stride-1, undilated conv with 3 channels on one side. */
export function rgbForward(rt: Runtime, c: ConvCall): void {
  const [N, H, W, cin] = dims4('x', c.x);
  const [KH, KW, , cout] = dims4('w', c.w);
  const [, ho, wo] = dims4('y', c.y);
  const sd = side(cin, cout, KH, KW);
  const { PX, PY, CV, WB, WV } = C();
  const ep = epilogueParams(c.epilogue, cout);
  // Unused bindings still need a buffer: x stands in (read-only, never read).
  const bias = c.bias ?? c.x;
  const alpha = ep.alpha ?? c.x;
  const constants = { KH, KW, WG, ACT: ep.act, HAS_BIAS: c.bias ? 1 : 0 };
  const tilesW = Math.ceil(wo / PX);
  // Wide: a lane per PX pixels of a row; narrow: per PY × PX tile.
  const tilesH = sd === 'wide' ? ho : Math.ceil(ho / PY);
  const threads = N * tilesH * tilesW;
  const [gx, gz] = grid1d(threads, WG);
  // Windows: 16 output channels each (wide), or cww input channels each (narrow).
  const cww = sd === 'wide' ? WB : Math.min(cin, Math.floor(WINDOW / (4 * WV * KH)));
  const windows = Math.ceil((sd === 'wide' ? cout : cin) / cww);
  const wpk = rt.empty([windows, WINDOW], 'conv2d_rgb.wpk');
  rt.run(
    { shader: SHADER, entry: `rgb_pack_${sd}`, constants: { KH, KW, WG: 256 } },
    { bind: { wsrc: c.w, wpk }, uniforms: { cin, cout, total: wpk.size, cww }, workgroups: grid1d(wpk.size, 256) },
  );
  for (let b = 0; b < windows; b++) {
    const uniforms = {
      h: H, w: W, cin, ho, wo, cout, pad_h: c.padH, pad_w: c.padW, tiles_w: tilesW, tiles_h: tilesH, threads,
      c0: b * cww, cw: Math.min(cww, (sd === 'wide' ? cout : cin) - b * cww), cww,
      accum: b > 0 ? 1 : 0, finish: b === windows - 1 ? 1 : 0, slope: ep.slope, alpha_stride: ep.alphaStride,
    };
    const bind = { xf: c.x, uw: wpk, bias, alpha, y: c.y };
    const offsets = { uw: b * WINDOW * 4 };
    if (sd === 'wide') {
      // Lanes along y cover the window's channels that exist, 4·CV at a time.
      const groups = Math.ceil(Math.min(WB, cout - b * WB) / (4 * CV));
      rt.run({ shader: SHADER, entry: 'rgb_fwd_wide', constants }, { bind, offsets, uniforms, workgroups: [gx, groups, gz] });
    } else {
      rt.run({ shader: SHADER, entry: 'rgb_fwd_narrow', constants }, { bind, offsets, uniforms, workgroups: [gx, 1, gz] });
    }
  }
  // Safe to release now: later users of this buffer are recorded after these dispatches.
  wpk.dispose();
}

/** Output rows per weight-gradient workgroup: long enough runs along a row to amortise the
 *  window set-up, enough chunks to keep every core busy, few enough partial sums to add. */
const CHUNK_ROWS = 8;

/** dw [KH, KW, cin, cout] of a stride-1 conv with 3 channels on one side: x [N,H,W,cin], dy [N,ho,wo,cout]. */
export function rgbWeights(rt: Runtime, x: Tensor, dy: Tensor, KH: number, KW: number, padH: number, padW: number): Tensor {
  const [N, H, W, cin] = dims4('x', x);
  const [, ho, wo, cout] = dims4('dy', dy);
  const sd = side(cin, cout, KH, KW);
  const { CI, CO } = C();
  const c = sd === 'wide' ? cout : cin; // the wide side's channels: on lanes
  const perLane = sd === 'wide' ? CO : CI;
  const lanes = Math.ceil(c / perLane);
  const wg = Math.min(WG, Math.ceil(lanes / 8) * 8);
  const groups = Math.ceil(lanes / wg);
  const size = KH * KW * cin * cout;
  const rows = N * ho;
  // Partial sums need chunks · size floats in one binding.
  const maxChunks = Math.max(1, Math.min(rt.limits.maxComputeWorkgroupsPerDimension, Math.floor(rt.limits.maxStorageBufferBindingSize / (size * 4))));
  let chunkRows = Math.max(CHUNK_ROWS, Math.ceil(rows / maxChunks));
  const chunks = Math.ceil(rows / chunkRows);
  chunkRows = Math.ceil(rows / chunks);
  return sumOfChunks(rt, [KH, KW, cin, cout], chunks, 'conv2d_rgb.dw', (parts) =>
    rt.run(
      { shader: SHADER, entry: `rgb_bwd_w_${sd}`, constants: { KH, KW, WG: wg } },
      {
        bind: { xin: x, dy, part: parts },
        uniforms: { h: H, w: W, c, ho, wo, pad_h: padH, pad_w: padW, rows, chunk_rows: chunkRows, groups, size },
        workgroups: [KH * groups, chunks],
      },
    ),
  );
}
