// Stride-1 convolutions with 3 channels on one side (shaders/conv2d_rgb.wgsl): the forward and
// input gradient of 3 → C and C → 3 convs (the input gradient of C → 3 is a 3 → C conv of dy
// with the flipped kernel, so conv2d.ts routes it here as a forward), and the weight gradient
// of both. SRResNet's 9×9 head (3→64) and tail (64→3) take them; on the generic direct
// kernels they cost far more than their FLOPs (the 3-channel side cannot fill a channel block,
// and every weight is a per-lane storage load on llvmpipe).

import { grid1d } from '../graph/grid.ts';
import type { Runtime } from '../graph/runtime.ts';
import { shaderSource } from '../graph/shaders.ts';
import type { Tensor } from '../graph/tensor.ts';
import { sumOfChunks } from './partial-sums.ts';

const SHADER = 'conv2d_rgb';
/** Floats per uniform window (the WGSL `array<vec4<f32>, 1024>`: 16 KiB). */
const WINDOW = 4096;
const WG = 64;

let consts: Record<'MAXK' | 'PX' | 'PY' | 'CV' | 'WB' | 'WV' | 'CI' | 'CO', number> | undefined;
/** The blocking constants of the WGSL, defined once there. Read lazily: the shader loader is
 *  ready once a Runtime exists. */
function C() {
  if (consts) return consts;
  const src = shaderSource(SHADER);
  const get = (name: string) => {
    const m = new RegExp(`\\bconst\\s+${name}\\s*:\\s*u32\\s*=\\s*(\\d+)u?\\s*;`).exec(src);
    if (!m) throw new Error(`shaders/${SHADER}.wgsl has no 'const ${name}: u32 = <n>;'`);
    return Number(m[1]);
  };
  return (consts = { MAXK: get('MAXK'), PX: get('PX'), PY: get('PY'), CV: get('CV'), WB: get('WB'), WV: get('WV'), CI: get('CI'), CO: get('CO') });
}

export type RgbSide = 'wide' | 'narrow';

/**
 * Which kernel of shaders/conv2d_rgb.wgsl serves a stride-1, undilated conv [KH, KW, cin, cout]:
 * 'wide' when cin = 3 (3 → C), 'narrow' when cout = 3 (C → 3), else null. Kernels up to
 * MAXK × MAXK (the register arrays are sized for it).
 */
export function rgbSide(KH: number, KW: number, cin: number, cout: number, stride: number, dilation = 1): RgbSide | null {
  if (stride !== 1 || dilation !== 1 || KH > C().MAXK || KW > C().MAXK) return null;
  return cin === 3 ? 'wide' : cout === 3 ? 'narrow' : null;
}

export interface RgbConv {
  x: Tensor; // [N, H, W, cin]
  w: Tensor; // [KH, KW, cin, cout]
  y: Tensor; // [N, ho, wo, cout]
  bias: Tensor | null;
  /** Activation code of the WGSL `act()` (conv2d.ts's ACT) and its parameters. */
  act: number;
  slope: number;
  alpha: Tensor | null;
  padH: number;
  padW: number;
}

/** Forward of a stride-1 conv that rgbSide() accepted. */
export function rgbConv(rt: Runtime, c: RgbConv): void {
  const [N, H, W, cin] = c.x.shape as unknown as [number, number, number, number];
  const [KH, KW, , cout] = c.w.shape as unknown as [number, number, number, number];
  const [, ho, wo] = c.y.shape as unknown as [number, number, number, number];
  const side = rgbSide(KH, KW, cin, cout, 1);
  if (!side) throw new Error(`conv2d_rgb: no RGB kernel for ${cin} → ${cout}, ${KH}×${KW}`);
  const { PX, PY, CV, WB, WV } = C();
  const alphaStride = c.alpha && c.alpha.size !== 1 ? 1 : 0;
  // Unused bindings still need a buffer: x stands in (read-only, never read).
  const bias = c.bias ?? c.x;
  const alpha = c.alpha ?? c.x;
  const constants = { KH, KW, WG, ACT: c.act, HAS_BIAS: c.bias ? 1 : 0 };
  const tilesW = Math.ceil(wo / PX);
  // Wide: a lane per PX pixels of a row; narrow: per PY × PX tile.
  const tilesH = side === 'wide' ? ho : Math.ceil(ho / PY);
  const threads = N * tilesH * tilesW;
  const [gx, gz] = grid1d(threads, WG);
  // Windows: 16 output channels each (wide), or cww input channels each (narrow).
  const cww = side === 'wide' ? WB : Math.min(cin, Math.floor(WINDOW / (4 * WV * KH)));
  const windows = Math.ceil((side === 'wide' ? cout : cin) / cww);
  const wpk = rt.empty([windows, WINDOW], 'conv2d_rgb.wpk');
  rt.run(
    { shader: SHADER, entry: `rgb_pack_${side}`, constants: { KH, KW, WG: 256 } },
    { bind: { wsrc: c.w, wpk }, uniforms: { cin, cout, total: wpk.size, cww }, workgroups: grid1d(wpk.size, 256) },
  );
  for (let b = 0; b < windows; b++) {
    const uniforms = {
      h: H, w: W, cin, ho, wo, cout, pad_h: c.padH, pad_w: c.padW, tiles_w: tilesW, tiles_h: tilesH, threads,
      c0: b * cww, cw: Math.min(cww, (side === 'wide' ? cout : cin) - b * cww), cww,
      accum: b > 0 ? 1 : 0, finish: b === windows - 1 ? 1 : 0, slope: c.slope, alpha_stride: alphaStride,
    };
    const bind = { xf: c.x, uw: wpk, bias, alpha, y: c.y };
    const offsets = { uw: b * WINDOW * 4 };
    if (side === 'wide') {
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

/** dw [KH, KW, cin, cout] of a stride-1 conv that rgbSide() accepted: x [N,H,W,cin], dy [N,ho,wo,cout]. */
export function rgbWeights(rt: Runtime, x: Tensor, dy: Tensor, KH: number, KW: number, padH: number, padW: number): Tensor {
  const [N, H, W, cin] = x.shape as unknown as [number, number, number, number];
  const [, ho, wo, cout] = dy.shape as unknown as [number, number, number, number];
  const side = rgbSide(KH, KW, cin, cout, 1);
  if (!side) throw new Error(`conv2d_rgb: no RGB weight gradient for ${cin} → ${cout}, ${KH}×${KW}`);
  const { CI, CO } = C();
  const c = side === 'wide' ? cout : cin; // the wide side's channels: on lanes
  const perLane = side === 'wide' ? CO : CI;
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
      { shader: SHADER, entry: `rgb_bwd_w_${side}`, constants: { KH, KW, WG: wg } },
      {
        bind: { xin: x, dy, part: parts },
        uniforms: { h: H, w: W, c, ho, wo, pad_h: padH, pad_w: padW, rows, chunk_rows: chunkRows, groups, size },
        workgroups: [KH * groups, chunks],
      },
    ),
  );
}
