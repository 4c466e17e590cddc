// Planning tiled inference from the receptive field, exactly and without a GPU. The generator
// has two parts of very different cost and size:
//   - the low-resolution part (head, residual blocks, post conv, + the head's output): C
//     channels at the input's resolution, most of the depth, a large receptive radius;
//   - the upsampling tail (conv → shuffle → PReLU per ×2, then the 9×9 output conv, + the
//     bicubic skip): shallow, with a small radius, but its tensors are scale² times larger.
// So the low-resolution part runs on regions as large as the adapter's storage bindings allow
// (the whole image when it fits), each with its own radius of context, and the tail on bands of
// each region's core, each conv computing exactly the rows and columns its successor reads:
// zero padding where the image ends, cropping (negative padding) elsewhere. No pixel of the
// trunk is computed twice when one region holds the image; the tail recomputes a few rows per
// band edge. The plan also prices every step in FLOPs (src/models/flops.ts's accounting), which
// is what progress reports.

import { bucketSize } from '../graph/pool.ts';
import { convFlops } from '../models/flops.ts';
import type { GeneratorConfig } from '../models/generator.ts';
import { type ConvStage, type Layer, srresnetLayers, stagesOf } from '../models/srresnet.ts';

/** A half-open pixel rectangle [x0, x1) × [y0, y1). */
export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export const rectW = (r: Rect) => r.x1 - r.x0;
export const rectH = (r: Rect) => r.y1 - r.y0;
const area = (r: Rect) => rectW(r) * rectH(r);
const grow = (r: Rect, d: number): Rect => ({ x0: r.x0 - d, y0: r.y0 - d, x1: r.x1 + d, y1: r.y1 + d });
const clip = (r: Rect, w: number, h: number): Rect => ({ x0: Math.max(0, r.x0), y0: Math.max(0, r.y0), x1: Math.min(w, r.x1), y1: Math.min(h, r.y1) });
const scaleRect = (r: Rect, f: number): Rect => ({ x0: r.x0 * f, y0: r.y0 * f, x1: r.x1 * f, y1: r.y1 * f });
/** Grown outward to multiples of a (a shuffled tensor comes in whole a × a blocks). */
const align = (r: Rect, a: number): Rect => ({
  x0: Math.floor(r.x0 / a) * a, y0: Math.floor(r.y0 / a) * a, x1: Math.ceil(r.x1 / a) * a, y1: Math.ceil(r.y1 / a) * a,
});

/** The generator's stages split where the resolution first changes. */
export interface Parts {
  /** Head, residual blocks, post conv (with their residual structure). */
  lowRes: Layer[];
  /** Upsampling convs (each shuffled ×2) and the output conv. */
  tail: ConvStage[];
}

const partsCache = new WeakMap<GeneratorConfig, Parts>();

export function generatorParts(c: GeneratorConfig): Parts {
  let parts = partsCache.get(c);
  if (!parts) {
    const layers = srresnetLayers(c);
    const first = layers.findIndex((l) => !('residual' in l) && l.shuffle);
    parts = { lowRes: layers.slice(0, first), tail: stagesOf(layers.slice(first)) };
    partsCache.set(c, parts);
  }
  return parts;
}

const radius = (s: { k: number }) => (s.k - 1) / 2;
const shuffleOf = (s: ConvStage) => (s.shuffle ? 2 : 1);

/** LR pixels of context the low-resolution part needs: one radius per conv. */
export function trunkRadius(c: GeneratorConfig): number {
  return stagesOf(generatorParts(c).lowRes).reduce((r, s) => r + radius(s), 0);
}


/** One tail conv of a band: the rectangle it reads (at its input's resolution, inside the
 *  image) and the one it writes (after its shuffle, at the next resolution). */
export interface TailStep {
  stage: ConvStage;
  in: Rect;
  out: Rect;
  flops: number;
}

export interface Band {
  /** Output pixels (at ×scale) this band produces. */
  out: Rect;
  steps: TailStep[];
  flops: number;
}

/**
 * The tail for output rectangle `out` (at ×scale, aligned to the scale) of a W × H image,
 * planned backwards from the output: each conv reads its output rectangle grown by its radius,
 * clipped to the image (the whole-image run sees zeros beyond it), grown to whole shuffle
 * blocks of the conv before.
 */
export function planBand(c: GeneratorConfig, W: number, H: number, out: Rect): Band {
  const { tail } = generatorParts(c);
  const steps: TailStep[] = [];
  let next = out, res = c.scale, flops = 0;
  for (let i = tail.length - 1; i >= 0; i--) {
    const s = tail[i]!;
    res /= shuffleOf(s);
    const o = scaleRect(next, 1 / shuffleOf(s));
    const before = i > 0 ? shuffleOf(tail[i - 1]!) : 1;
    const input = align(clip(grow(o, radius(s)), W * res, H * res), before);
    const f = convFlops(1, rectH(o), rectW(o), s.cin, s.cout, s.k);
    steps.unshift({ stage: s, in: input, out: next, flops: f });
    flops += f;
    next = input;
  }
  return { out, steps, flops };
}

/** Padding that makes a conv of radius r over tensor rectangle `have` produce exactly rectangle
 *  `o` (same resolution): zeros where `have` lacks rows the conv reads, cropping where it has more. */
export function paddingFor(have: Rect, o: Rect, r: number): { top: number; bottom: number; left: number; right: number } {
  return { top: have.y0 - (o.y0 - r), bottom: o.y1 + r - have.y1, left: have.x0 - (o.x0 - r), right: o.x1 + r - have.x1 };
}

/** LR pixels of features beyond its core that a band reads (at an edge inside the image). */
export function tailRadius(c: GeneratorConfig): number {
  const n = 64; // an interior 1-pixel band of a large image
  const band = planBand(c, 2 * n, 2 * n, scaleRect({ x0: n, y0: n, x1: n + 1, y1: n + 1 }, c.scale));
  return n - band.steps[0]!.in.y0;
}

/** LR pixels of context that make tiled inference exact: the low-resolution part's radius plus
 *  the features the tail reads beyond a region's core. */
export function receptiveRadius(c: GeneratorConfig): number {
  return trunkRadius(c) + tailRadius(c);
}

export interface Region {
  /** LR pixels whose output this region produces. */
  core: Rect;
  /** LR pixels the low-resolution part runs on: the core with `overlap` of context, clipped. */
  input: Rect;
  /** FLOPs of each low-resolution conv on `input`, in order. */
  trunkFlops: number[];
  bands: Band[];
}

export interface TilePlan {
  regions: Region[];
  /** FLOPs of the whole plan (the convolutions; flops.ts leaves the skip out as well). */
  flops: number;
}

export interface PlanOptions {
  /** The largest buffer one storage binding may hold, bytes. */
  limit: number;
  /** Core size of the low-resolution regions in LR pixels (default: the fewest that fit). */
  tileSize?: number;
  /** LR pixels of context per region side (default: receptiveRadius). */
  overlap?: number;
}

/** Bytes of the largest tensor of the low-resolution part on a w × h region (the head's input
 *  is smaller than its C-channel output). */
export const largestLayerBytes = (c: GeneratorConfig, w: number, h: number): number => 4 * w * h * c.channels;

/** The same as the buffer pool allocates it. */
export const trunkBytes = (c: GeneratorConfig, w: number, h: number): number => bucketSize(largestLayerBytes(c, w, h));

/** Bytes of a band's largest tensor: a tail conv's (shuffled) output, or the RGB output. */
function bandBytes(band: Band): number {
  const outputs = band.steps.map((s) => area(s.out) * (s.stage.cout / shuffleOf(s.stage) ** 2));
  return bucketSize(4 * Math.max(3 * area(band.out), ...outputs));
}

/** n near-equal parts of [a, b). */
function split(a: number, b: number, n: number): Array<[number, number]> {
  return Array.from({ length: n }, (_, i) => [a + Math.floor(((b - a) * i) / n), a + Math.floor(((b - a) * (i + 1)) / n)]);
}

function grid(r: Rect, nx: number, ny: number): Rect[] {
  return split(r.y0, r.y1, ny).flatMap(([y0, y1]) => split(r.x0, r.x1, nx).map(([x0, x1]) => ({ x0, y0, x1, y1 })));
}

/** A region's core in bands: the fewest that fit, full width while one output row fits. The
 *  bands' tensors add up to at least the whole core's, which bounds their count from below. */
function planBands(c: GeneratorConfig, W: number, H: number, core: Rect, limit: number): Band[] {
  const bands = (nx: number, ny: number) => grid(core, nx, ny).map((b) => planBand(c, W, H, scaleRect(b, c.scale)));
  const fits = (bs: Band[]) => bs.every((b) => bandBytes(b) <= limit);
  const least = Math.ceil(bandBytes(bands(1, 1)[0]!) / limit);
  for (let nx = 1; nx <= rectW(core); nx++) {
    const ny0 = Math.min(rectH(core), Math.max(1, Math.ceil(least / nx)));
    if (!fits(bands(nx, ny0)) && !fits(bands(nx, rectH(core)))) continue; // not even one-row bands: more columns
    for (let ny = ny0; ; ny++) {
      const bs = bands(nx, ny);
      if (fits(bs)) return bs;
    }
  }
  throw new RangeError(`no band of the ×${c.scale} tail fits a ${limit}-byte storage binding`);
}

function region(c: GeneratorConfig, W: number, H: number, core: Rect, overlap: number, limit: number): Region {
  const input = clip(grow(core, overlap), W, H);
  const trunkFlops = stagesOf(generatorParts(c).lowRes).map((s) => convFlops(1, rectH(input), rectW(input), s.cin, s.cout, s.k));
  return { core, input, trunkFlops, bands: planBands(c, W, H, core, limit) };
}

const regionFits = (c: GeneratorConfig, r: Rect, limit: number) => trunkBytes(c, rectW(r), rectH(r)) <= limit;

/** The region grid with the least low-resolution work whose every region fits: one region
 *  when the image fits whole. */
function autoCores(c: GeneratorConfig, W: number, H: number, overlap: number, limit: number): Rect[] {
  const image = { x0: 0, y0: 0, x1: W, y1: H };
  const inputs = (nx: number, ny: number) => grid(image, nx, ny).map((r) => clip(grow(r, overlap), W, H));
  let best: { cores: Rect[]; work: number } | null = null;
  for (let nx = 1; nx <= W; nx++) {
    let ny = 1;
    while (ny <= H && !inputs(nx, ny).every((r) => regionFits(c, r, limit))) ny++;
    if (ny > H) continue;
    const work = inputs(nx, ny).reduce((a, r) => a + area(r), 0);
    if (!best || work < best.work) best = { cores: grid(image, nx, ny), work };
    if (ny === 1) break; // more columns only add context
  }
  if (!best) throw new RangeError(`no region of the generator fits a ${limit}-byte storage binding`);
  return best.cores;
}

/** Square cores of `tile` LR pixels (the last row and column shorter). */
function fixedCores(W: number, H: number, tile: number): Rect[] {
  const cores: Rect[] = [];
  for (let y0 = 0; y0 < H; y0 += tile) for (let x0 = 0; x0 < W; x0 += tile) cores.push({ x0, y0, x1: Math.min(W, x0 + tile), y1: Math.min(H, y0 + tile) });
  return cores;
}

export function planTiles(c: GeneratorConfig, W: number, H: number, o: PlanOptions): TilePlan {
  const overlap = o.overlap ?? receptiveRadius(c);
  const cores = o.tileSize ? fixedCores(W, H, o.tileSize) : autoCores(c, W, H, overlap, o.limit);
  const regions = cores.map((core) => region(c, W, H, core, overlap, o.limit));
  const flops = regions.reduce((f, r) => f + r.trunkFlops.reduce((a, b) => a + b, 0) + r.bands.reduce((a, b) => a + b.flops, 0), 0);
  return { regions, flops };
}
