// Evaluating a generator on HR/LR pairs: per-image Y-PSNR, Y-SSIM, RGB PSNR and MSE with the
// scale-pixel border shaved, a bicubic baseline, and for sequences a temporal-flicker measure.

import { imresize } from '../data/resize.ts';
import { quantize, readImage, type RgbImage } from '../io/image.ts';
import { evaluatePair, type PairMetrics } from '../metrics/quality.ts';
import { findPairs, type EvalPair } from './dataset.ts';
import type { Runtime } from '../graph/runtime.ts';
import { TemporalStabilizer } from '../video/temporal.ts';
import { TemporalMeter, type TemporalMetrics } from './temporal.ts';

export interface ImageResult extends PairMetrics {
  name: string;
  /** Sequences only: mean |(SR_t − SR_{t−1}) − (HR_t − HR_{t−1})| over RGB in 0..255. */
  flicker?: number;
  /** Sequences with SequenceOptions: motion-compensated flicker (Y, 0..255) and tOF (HR px). */
  mc_flicker?: number;
  tof?: number;
}

/** GPU temporal metrics for sequences, optionally of the temporal mode's output. */
export interface SequenceOptions {
  rt: Runtime;
  /** Run the SR frames through the temporal mode (src/video/temporal.ts) before measuring;
   *  the report keeps the frame-by-frame measurements of the same frames next to it. */
  temporal?: boolean;
}

type Means = PairMetrics & { flicker?: number; mc_flicker?: number; tof?: number };

export interface EvalReport {
  /** The measured output: the upscaler's, or with SequenceOptions.temporal the temporal mode's. */
  images: ImageResult[];
  mean: Means;
  /** With SequenceOptions.temporal on a sequence: the same SR frames without the temporal mode. */
  frameByFrame?: { images: ImageResult[]; mean: Means };
  bicubic: { images: ImageResult[]; mean: Means };
}

/** One image up: what evaluate() measures (a model, or the bicubic baseline). */
export type UpscaleFn = (lr: RgbImage) => Promise<RgbImage>;

/** MATLAB-style bicubic ×scale, the baseline every SR paper reports. */
export const bicubicUpscale = (scale: number): UpscaleFn => async (lr) => imresize(lr, scale);

function meanOf(rows: ImageResult[]): Means {
  const avg = (k: Exclude<keyof PairMetrics, 'bias_rgb'>) => rows.reduce((s, r) => s + r[k], 0) / rows.length;
  const bias = (c: number) => rows.reduce((s, r) => s + r.bias_rgb[c]!, 0) / rows.length;
  const optional = (k: 'flicker' | 'mc_flicker' | 'tof') => {
    const have = rows.filter((r) => r[k] !== undefined);
    return have.length ? { [k]: have.reduce((s, r) => s + r[k]!, 0) / have.length } : {};
  };
  return { psnr_y: avg('psnr_y'), ssim_y: avg('ssim_y'), psnr_rgb: avg('psnr_rgb'), mse: avg('mse'), bias_rgb: [bias(0), bias(1), bias(2)], delta_e: avg('delta_e'), ...optional('flicker'), ...optional('mc_flicker'), ...optional('tof') };
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

/** What evaluate() measures: a folder, or pairs already found (e.g. the first N of a folder). */
export type EvalData = string | ReturnType<typeof findPairs>;

/** Called after each image: first for every image of the model pass, then of the bicubic pass. */
export type OnImage = (r: ImageResult, pass: 'model' | 'bicubic') => void;

/** The measurements of one output stream of a sequence (or of unrelated images), frame by frame. */
class Track {
  readonly rows: ImageResult[] = [];
  private prev: { sr: RgbImage; hr: RgbImage } | null = null;

  constructor(
    private readonly scale: number,
    private readonly sequence: boolean,
  ) {}

  /** motion: this stream's temporal metrics for the frame (TemporalMeter), when measured. */
  add(name: string, sr: RgbImage, hr: RgbImage, motion?: TemporalMetrics | null): ImageResult {
    const row: ImageResult = { name, ...evaluatePair(sr, hr, this.scale) };
    if (this.sequence && this.prev) row.flicker = flicker(sr, this.prev.sr, hr, this.prev.hr);
    if (motion) Object.assign(row, { mc_flicker: motion.mc_flicker, tof: motion.tof });
    this.prev = { sr, hr };
    this.rows.push(row);
    return row;
  }
}

/** Rows of the upscaler's output and, with seq.temporal on a sequence, of the temporal mode's
 *  output of the same SR frames (the generator runs once per frame for both, and the GT motion
 *  is measured once for both). */
async function run(pairs: ReturnType<typeof findPairs>, scale: number, up: UpscaleFn, onImage?: (r: ImageResult) => void, seq?: SequenceOptions): Promise<{ plain: ImageResult[]; temporal?: ImageResult[] }> {
  const motion = seq && pairs.sequence;
  const meter = motion ? new TemporalMeter(seq!.rt, scale) : null;
  const plain = new Track(scale, pairs.sequence);
  const stable = motion && seq!.temporal ? { track: new Track(scale, pairs.sequence), stabilizer: new TemporalStabilizer(seq!.rt) } : null;
  try {
    for (const p of pairs.pairs) {
      const { hr, lr } = await loadPair(p, scale);
      const sr = await up(lr);
      if (sr.width !== hr.width || sr.height !== hr.height) throw new Error(`${p.name}: SR is ${sr.width}×${sr.height} but HR is ${hr.width}×${hr.height}`);
      const st = stable ? (await stable.stabilizer.process(lr, sr)).image : null;
      const m = await meter?.add(hr, st ? [sr, st] : [sr]);
      const row = plain.add(p.name, sr, hr, m?.[0]);
      const shown = stable ? stable.track.add(p.name, st!, hr, m?.[1]) : row;
      onImage?.(shown);
    }
  } finally {
    meter?.dispose();
    stable?.stabilizer.dispose();
  }
  return { plain: plain.rows, temporal: stable?.track.rows };
}

function crop(img: RgbImage, w: number, h: number): RgbImage {
  const out = new Float32Array(w * h * img.channels);
  for (let y = 0; y < h; y++) out.set(img.data.subarray(y * img.width * img.channels, (y * img.width + w) * img.channels), y * w * img.channels);
  return { ...img, width: w, height: h, data: out };
}

export async function evaluate(data: EvalData, scale: number, up: UpscaleFn, onImage?: OnImage, seq?: SequenceOptions): Promise<EvalReport> {
  const pairs = typeof data === 'string' ? findPairs(data, scale) : data;
  const { plain, temporal } = await run(pairs, scale, up, onImage && ((r) => onImage(r, 'model')), seq);
  // Not free on sequences (the temporal meter's flow runs on every bicubic frame too).
  const { plain: bicubic } = await run(pairs, scale, bicubicUpscale(scale), onImage && ((r) => onImage(r, 'bicubic')), seq && { rt: seq.rt });
  const summary = (images: ImageResult[]) => ({ images, mean: meanOf(images) });
  return temporal ? { ...summary(temporal), frameByFrame: summary(plain), bicubic: summary(bicubic) } : { ...summary(plain), bicubic: summary(bicubic) };
}
