// Winograd convolutions of 3×3 stride-1 convs (shaders/conv2d_winograd.wgsl). Forward (and the
// input gradient of a stride-1 conv): F(6×6, 3×3) (5.1× fewer multiplies) with U blocks in
// workgroup memory when Cout % 16 == 0, else F(2×2, 3×3) (2.25× fewer) with its 16 GEMMs on
// the direct conv_fwd4 as a 1×1 conv. Weight gradient: F(3×3, 6×6). On llvmpipe/lavapipe every
// storage-buffer element load is a per-lane scalar load with a bounds check, so the direct
// kernel is bound by loads per multiply-add; the Winograd GEMMs do far fewer of both, and the
// transforms cost far less than they save. router.ts decides when these run.

import { grid1d } from '../../graph/grid.ts';
import type { Runtime } from '../../graph/runtime.ts';
import type { Tensor } from '../../graph/tensor.ts';
import { type ConvCall, WG, block, dims4, epilogueParams, foldGrid, shaderConsts } from './common.ts';

const SHADER = 'conv2d_winograd';
/** wino_gemm blocking (GB × GB blocks of U, LT tiles per lane) and the weight-gradient GEMM's
 *  input (WI) × vec4 output (WC) channels per lane. */
const wino = shaderConsts(SHADER, ['GB', 'LT', 'WI', 'WC']);
/** Bytes of one Winograd scratch buffer (V or M) per chunk of images: small enough for one
 *  binding and for the pool to recycle. */
const CHUNK_BYTES = 64 << 20;
/** wino_gemm lanes per workgroup: each workgroup copies a 16 KiB U block, so more lanes share
 *  one copy (256 is slower on small images; measurements in docs/BENCHMARKS.md). */
const GEMM_WG = 128;
/** Tiles per chunk of the weight-gradient reduction (partial sums per chunk). */
const DW_CHUNK = 512;

export type WinogradTile = 2 | 6;

/** Bytes per output tile of edge F of one transformed tensor (V or M). */
const bytesPerTile = (F: number, cin: number, cout: number) => (F + 2) ** 2 * Math.max(cin, cout) * 4;

const chunkLimit = (rt: Runtime) => Math.min(CHUNK_BYTES, rt.limits.maxStorageBufferBindingSize);

/** Whether the transformed weights U fit one binding (the tensors' transforms go in chunks of
 *  tiles, so any image size fits). */
export function forwardFits(rt: Runtime, cin: number, cout: number): boolean {
  return 64 * cin * cout * 4 <= rt.limits.maxStorageBufferBindingSize;
}

/** The weight gradient's channel blocking and whether its partial sums fit. */
export function weightsFit(rt: Runtime, cin: number, cout: number): boolean {
  const { WI, WC } = wino();
  if (cin % WI !== 0 || cin % 4 !== 0 || cout % (4 * WC) !== 0) return false;
  return 64 * cin * cout * 4 <= rt.limits.maxStorageBufferBindingSize;
}

/** Output tiles of edge F over [N, ho, wo] (images, rows, columns), in chunks of consecutive
 *  tiles whose transforms fit one scratch buffer. */
interface Tiling {
  F: WinogradTile;
  /** Values per tile of the transformed tensors: (F + 2)². */
  XI: number;
  th: number;
  tw: number;
  /** Tiles of the largest chunk (the scratch buffers' middle dimension). */
  maxTiles: number;
  /** Each chunk: its first tile and tile count. */
  chunks: Array<{ t0: number; tiles: number }>;
}

function tiling(rt: Runtime, F: WinogradTile, N: number, ho: number, wo: number, cin: number, cout: number): Tiling {
  const th = Math.ceil(ho / F), tw = Math.ceil(wo / F);
  const total = N * th * tw;
  const perChunk = Math.max(1, Math.min(total, Math.floor(chunkLimit(rt) / bytesPerTile(F, cin, cout))));
  const chunks = [];
  for (let t0 = 0; t0 < total; t0 += perChunk) chunks.push({ t0, tiles: Math.min(perChunk, total - t0) });
  return { F, XI: (F + 2) ** 2, th, tw, maxTiles: perChunk, chunks };
}

const prefix = (F: WinogradTile) => (F === 6 ? 'wino6' : 'wino');

/** The (F+2)×(F+2) input patches of one chunk of x into v ([XI, tiles, cin]). */
function inputTransform(rt: Runtime, t: Tiling, x: Tensor, v: Tensor, chunk: { t0: number; tiles: number }, padH: number, padW: number): void {
  const [, H, W, cin] = dims4('x', x);
  const total = chunk.tiles * (cin / 4);
  rt.run(
    { shader: SHADER, entry: `${prefix(t.F)}_input`, constants: { WG: 64 } },
    {
      bind: { x4: x, v4: v },
      uniforms: { h: H, w: W, cin4: cin / 4, t0: chunk.t0, th: t.th, tw: t.tw, tiles: chunk.tiles, pad_h: padH, pad_w: padW, total },
      workgroups: grid1d(total, 64),
    },
  );
}

/** Forward on tiles of edge F; returns V if c.keepTransform asked for it and one chunk held every tile. */
export function winogradForward(rt: Runtime, c: ConvCall, F: WinogradTile): Tensor | null {
  const [N, , , cin] = dims4('x', c.x);
  const [, , , cout] = dims4('w', c.w);
  const [, yh, yw] = dims4('y', c.y);
  const ho = yh / c.shuffle, wo = yw / c.shuffle;
  if (c.shuffle !== 1 && F !== 6) throw new Error('conv2d: only the F(6×6) output transform stores a shuffled output (router.ts)');
  const { PX, CV } = block();
  const { GB, LT } = wino();
  const t = tiling(rt, F, N, ho, wo, cin, cout);
  const { XI } = t;
  const ep = epilogueParams(c.epilogue, cout);
  // Unused bindings still need a buffer: the weights stand in (read-only, never read).
  const bias = c.bias ?? c.w;
  const alpha = ep.alpha ?? c.w;

  // U: F(6×6) in GB × GB blocks for wino_gemm, F(2×2) as [16, cin, cout] weights of a 1×1 conv.
  const coBlocks = Math.ceil(cout / GB), ciChunks = Math.ceil(cin / GB);
  const u = F === 6 ? rt.empty([XI * coBlocks * ciChunks, GB * GB], 'conv2d.wino.ublk') : rt.empty([16, cin, cout], 'conv2d.wino.u');
  rt.run(
    { shader: SHADER, entry: `${prefix(F)}_weights`, constants: { WG: 256 } },
    {
      bind: { wsrc: c.w, u },
      uniforms: { cin, cout, total: cin * cout, blocked: F === 6 ? 1 : 0, co_blocks: coBlocks, ci_chunks: ciChunks },
      workgroups: grid1d(cin * cout, 256),
    },
  );
  const v = rt.empty([XI, t.maxTiles, cin], 'conv2d.wino.v');
  const m = rt.empty([XI, t.maxTiles, cout], 'conv2d.wino.m');
  for (const chunk of t.chunks) {
    const { t0, tiles } = chunk;
    inputTransform(rt, t, c.x, v, chunk, c.padH, c.padW);
    if (F === 6) {
      for (let k = 0; k < ciChunks; k++) {
        rt.run(
          { shader: SHADER, entry: 'wino_gemm', constants: { WG: GEMM_WG, KC4: Math.min(GB, cin - k * GB) / 4 } },
          {
            bind: { ublk: u, va4: v, mo: m },
            uniforms: { tiles, cin, cout4: cout / 4, co_blocks: coBlocks, ci_chunks: ciChunks, chunk: k, accum: k > 0 ? 1 : 0 },
            workgroups: [Math.ceil(tiles / (LT * GEMM_WG)), XI, coBlocks],
          },
        );
      }
    } else {
      // The 16 GEMMs as a 1×1 conv over [16 (ξ), 1, tiles, cin] with weights U[ξ].
      const tilesW = Math.ceil(tiles / PX);
      const threads = 16 * tilesW;
      rt.run(
        { shader: 'conv2d', entry: 'conv_fwd4', constants: { KH: 1, KW: 1, S: 1, D: 1, WG, ACT: 0, HAS_BIAS: 0 } },
        {
          bind: { x: v, w4: u, bias4: u, alpha: u, y4: m },
          uniforms: {
            n: 16, h: 1, w: tiles, cin, ho: 1, wo: tiles, cout, pad_h: 0, pad_w: 0,
            tiles_w: tilesW, threads, slope: 0, alpha_stride: 0, w_stride: (cin * cout) / 4,
          },
          workgroups: foldGrid(threads, WG, cout / (4 * CV)),
        },
      );
    }
    const outTotal = tiles * (cout / 4);
    rt.run(
      { shader: SHADER, entry: `${prefix(F)}_output`, constants: { WG: 64, ACT: ep.act, HAS_BIAS: c.bias ? 1 : 0, ...(F === 6 ? { R: c.shuffle } : {}) } },
      {
        bind: { m4: m, bias4: bias, alpha, y4: c.y },
        uniforms: { ho, wo, cout4: cout / 4, t0, th: t.th, tw: t.tw, tiles, total: outTotal, slope: ep.slope, alpha_stride: ep.alphaStride },
        workgroups: grid1d(outTotal, 64),
      },
    );
  }
  // V of x in one chunk is what the F(3×3, 6×6) weight gradient transforms again: keep it if
  // asked. The rest is safe to release now: later users are recorded after these dispatches.
  const kept = c.keepTransform && F === 6 && t.chunks.length === 1 ? v : null;
  for (const s of kept ? [u, m] : [u, v, m]) s.dispose();
  return kept;
}

/**
 * Weight gradient of a 3×3 stride-1 conv by F(3×3, 6×6): the 8×8 input patches (the forward's
 * V when `saved` holds it) and the 6×6 dy tiles transformed, 64 GEMMs reducing over tiles in
 * chunks (wino_bwd_w_gemm), then wino6_dw_out sums the chunks and transforms back to 3×3:
 * 64 multiply-adds per 36 dy pixels and (ci, co) instead of 324.
 */
export function winogradWeights(rt: Runtime, x: Tensor, dy: Tensor, padH: number, padW: number, saved: Tensor | null): Tensor {
  const [N, , , cin] = dims4('x', x);
  const [, ho, wo, cout] = dims4('dy', dy);
  const { WI, WC } = wino();
  const t = tiling(rt, 6, N, ho, wo, cin, cout);
  const { XI } = t;
  const size = cin * cout;
  const maxParts = Math.max(1, Math.floor(rt.limits.maxStorageBufferBindingSize / (XI * size * 4)));
  const totalTiles = N * t.th * t.tw;
  const partsFor = (c: number) => t.chunks.reduce((n, ch) => n + Math.ceil(ch.tiles / c), 0);
  let chunk = DW_CHUNK;
  while (partsFor(chunk) > maxParts) chunk = Math.max(chunk * 2, Math.ceil(totalTiles / maxParts));
  const parts = rt.empty([partsFor(chunk), XI, size], 'conv2d.wino.dw.parts');
  // The forward's V (same 8×8 patches, tiles and pad) when it covered all tiles in one chunk.
  const reuse = saved !== null && t.chunks.length === 1 && saved.shape.join() === [XI, t.maxTiles, cin].join();
  const v = reuse ? saved : rt.empty([XI, t.maxTiles, cin], 'conv2d.wino.v');
  const gd = rt.empty([XI, t.maxTiles, cout], 'conv2d.wino.gd');
  const coGroups = cout / (4 * WC);
  const lanes = (cin / WI) * coGroups;
  const wg = Math.min(64, Math.ceil(lanes / 8) * 8);
  let part0 = 0;
  for (const ch of t.chunks) {
    const { t0, tiles } = ch;
    if (!reuse) inputTransform(rt, t, x, v, ch, padH, padW);
    const dyTotal = tiles * (cout / 4);
    rt.run(
      { shader: SHADER, entry: 'wino6_dy', constants: { WG: 64 } },
      { bind: { dy4: dy, gd4: gd }, uniforms: { ho, wo, cout4: cout / 4, t0, th: t.th, tw: t.tw, tiles, total: dyTotal }, workgroups: grid1d(dyTotal, 64) },
    );
    const chunks = Math.ceil(tiles / chunk);
    rt.run(
      { shader: SHADER, entry: 'wino_bwd_w_gemm', constants: { WG: wg } },
      {
        bind: { vb4: v, gb4: gd, pb4: parts },
        uniforms: { tiles, cin, cout4: cout / 4, chunk, chunks, part0, co_groups: coGroups, lanes, nxi: XI },
        workgroups: [XI * chunks, Math.ceil(lanes / wg)],
      },
    );
    part0 += chunks;
  }
  const dw = rt.empty([3, 3, cin, cout], 'conv2d.dw');
  rt.run(
    { shader: SHADER, entry: 'wino6_dw_out', constants: { WG: 64 } },
    { bind: { pw: parts, dw }, uniforms: { size, parts: part0 }, workgroups: grid1d(size, 64) },
  );
  // Safe to release now: later users of these buffers are recorded after these dispatches.
  for (const s of reuse ? [parts, gd] : [parts, v, gd]) s.dispose();
  return dw;
}
