// Evaluating a generator on HR/LR pairs: per-image Y-PSNR, Y-SSIM, RGB PSNR and MSE with the
// scale-pixel border shaved, a bicubic baseline, and for sequences a temporal-flicker measure.

import { imresize } from '../data/resize.ts';
import { quantize, readImage, type RgbImage } from '../io/image.ts';
import { evaluatePair, type PairMetrics } from '../metrics/quality.ts';
import { findPairs, type EvalPair } from './dataset.ts';

export interface ImageResult extends PairMetrics {
  name: string;
  /** Sequences only: mean |(SR_t − SR_{t−1}) − (HR_t − HR_{t−1})| over RGB in 0..255. */
  flicker?: number;
}

export interface EvalReport {
  images: ImageResult[];
  mean: PairMetrics & { flicker?: number };
  bicubic: { images: ImageResult[]; mean: PairMetrics & { flicker?: number } };
}

/** One image up: what evaluate() measures (a model, or the bicubic baseline). */
export type UpscaleFn = (lr: RgbImage) => Promise<RgbImage>;

/** MATLAB-style bicubic ×scale, the baseline every SR paper reports. */
export const bicubicUpscale = (scale: number): UpscaleFn => async (lr) => imresize(lr, scale);

function meanOf(rows: ImageResult[]): PairMetrics & { flicker?: number } {
  const avg = (k: Exclude<keyof PairMetrics, 'bias_rgb'>) => rows.reduce((s, r) => s + r[k], 0) / rows.length;
  const bias = (c: number) => rows.reduce((s, r) => s + r.bias_rgb[c]!, 0) / rows.length;
  const flick = rows.filter((r) => r.flicker !== undefined);
  return {
    psnr_y: avg('psnr_y'),
    ssim_y: avg('ssim_y'),
    psnr_rgb: avg('psnr_rgb'),
    mse: avg('mse'),
    bias_rgb: [bias(0), bias(1), bias(2)],
    delta_e: avg('delta_e'),
    ...(flick.length ? { flicker: flick.reduce((s, r) => s + r.flicker!, 0) / flick.length } : {}),
  };
}

function flicker(sr: RgbImage, srPrev: RgbImage, hr: RgbImage, hrPrev: RgbImage): number {
  const q = (v: number) => quantize(v, 255);
  let s = 0;
  let n = 0;
  for (let i = 0; i < hr.data.length; i++) {
    if (hr.channels === 4 && i % 4 === 3) continue;
    s += Math.abs(q(sr.data[i]!) - q(srPrev.data[i]!) - (q(hr.data[i]!) - q(hrPrev.data[i]!)));
    n++;
  }
  return s / n;
}

/** An evaluation pair read from disk: HR cropped to a multiple of the scale, LR as given or made from HR. */
export async function loadPair(p: EvalPair, scale: number): Promise<{ hr: RgbImage; lr: RgbImage }> {
  let hr = await readImage(p.hr);
  // Crop HR to a multiple of the scale so SR and HR align (Set5's HR files already are).
  const w = hr.width - (hr.width % scale), h = hr.height - (hr.height % scale);
  if (w !== hr.width || h !== hr.height) hr = crop(hr, w, h);
  const lr = p.lr ? await readImage(p.lr) : imresize(hr, 1 / scale, { uint8: true });
  return { hr, lr };
}

async function run(pairs: ReturnType<typeof findPairs>, scale: number, up: UpscaleFn, onImage?: (r: ImageResult) => void): Promise<ImageResult[]> {
  const rows: ImageResult[] = [];
  let prev: { sr: RgbImage; hr: RgbImage } | null = null;
  for (const p of pairs.pairs) {
    const { hr, lr } = await loadPair(p, scale);
    const sr = await up(lr);
    if (sr.width !== hr.width || sr.height !== hr.height) throw new Error(`${p.name}: SR is ${sr.width}×${sr.height} but HR is ${hr.width}×${hr.height}`);
    const row: ImageResult = { name: p.name, ...evaluatePair(sr, hr, scale) };
    if (pairs.sequence && prev) row.flicker = flicker(sr, prev.sr, hr, prev.hr);
    prev = { sr, hr };
    rows.push(row);
    onImage?.(row);
  }
  return rows;
}

function crop(img: RgbImage, w: number, h: number): RgbImage {
  const out = new Float32Array(w * h * img.channels);
  for (let y = 0; y < h; y++) out.set(img.data.subarray(y * img.width * img.channels, (y * img.width + w) * img.channels), y * w * img.channels);
  return { ...img, width: w, height: h, data: out };
}

export async function evaluate(dir: string, scale: number, up: UpscaleFn, onImage?: (r: ImageResult) => void): Promise<EvalReport> {
  const pairs = findPairs(dir, scale);
  const images = await run(pairs, scale, up, onImage);
  const bicubic = await run(pairs, scale, bicubicUpscale(scale));
  return { images, mean: meanOf(images), bicubic: { images: bicubic, mean: meanOf(bicubic) } };
}
