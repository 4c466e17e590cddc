// Image quality metrics with the conventions of the SR literature, so our numbers can be put
// next to published tables (see shared/reference/set5_x4.md): SR output rounded to 8 bits,
// luma Y of ITU-R BT.601 on the 16..235 scale, `scale` pixels shaved off every border,
// PSNR with peak 255 on Y, SSIM of Wang et al. 2004.

import { quantize8, type RgbImage } from '../io/image.ts';
import { colourFidelity, type ColourFidelity } from './colour.ts';

/** A single-channel image on the 0..255 scale (what rgbToY returns). */
export interface Plane {
  width: number;
  height: number;
  data: Float64Array;
}

type Img = RgbImage | Plane;

function channelsOf(img: Img): number {
  return 'channels' in img ? img.channels : 1;
}

/** Planes are 0..255 (peak 255); RgbImages are [0,1] (peak 1). */
function defaultPeak(img: Img): number {
  return 'channels' in img ? 1 : 255;
}

/**
 * BT.601 luma, Y = 16 + 65.481·R + 128.553·G + 24.966·B with R, G, B in [0,1]; Y in 16..235.
 * Not rounded: the reference figures and Python SR toolkits keep Y in floating point.
 */
export function rgbToY(img: RgbImage): Plane {
  const { width, height, channels } = img;
  const data = new Float64Array(width * height);
  for (let p = 0; p < data.length; p++) {
    const i = p * channels;
    data[p] = 16 + 65.481 * img.data[i]! + 128.553 * img.data[i + 1]! + 24.966 * img.data[i + 2]!;
  }
  return { width, height, data };
}

function checkSameShape(a: Img, b: Img, what: string): void {
  if (a.width !== b.width || a.height !== b.height || channelsOf(a) !== channelsOf(b)) {
    throw new Error(`${what}: shapes differ (${a.width}x${a.height}x${channelsOf(a)} vs ${b.width}x${b.height}x${channelsOf(b)})`);
  }
}

export interface MetricOptions {
  /** Pixels removed from every border before measuring (SR convention: the scale factor). */
  shave?: number;
  /** Largest possible value: default 1 for RgbImage, 255 for a Plane. */
  peak?: number;
}

/** Mean squared error over all channels of the shaved region. */
export function mse(a: Img, b: Img, opts: { shave?: number } = {}): number {
  checkSameShape(a, b, 'mse');
  const s = opts.shave ?? 0;
  const ch = channelsOf(a);
  const { width: w, height: h } = a;
  if (w <= 2 * s || h <= 2 * s) throw new Error(`mse: shave ${s} leaves nothing of ${w}x${h}`);
  let sum = 0;
  for (let y = s; y < h - s; y++) {
    for (let i = (y * w + s) * ch; i < (y * w + w - s) * ch; i++) {
      const d = a.data[i]! - b.data[i]!;
      sum += d * d;
    }
  }
  return sum / ((w - 2 * s) * (h - 2 * s) * ch);
}

/** 10·log10(peak² / MSE); Infinity for identical images. */
export function psnr(a: Img, b: Img, opts: MetricOptions = {}): number {
  const peak = opts.peak ?? defaultPeak(a);
  const e = mse(a, b, opts);
  return e === 0 ? Infinity : 10 * Math.log10((peak * peak) / e);
}

/** Normalised 1-D Gaussian; the 2-D window is its outer product (= fspecial('gaussian')). */
function gaussian1d(size: number, sigma: number): Float64Array {
  const g = new Float64Array(size);
  const c = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    g[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
    sum += g[i]!;
  }
  return g.map((v) => v / sum);
}

/** 'valid' separable filtering of a w×h plane: output (w-k+1)×(h-k+1). */
function filterValid(src: Float64Array, w: number, h: number, g: Float64Array): Float64Array {
  const k = g.length;
  const ow = w - k + 1;
  const oh = h - k + 1;
  const tmp = new Float64Array(ow * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += g[j]! * src[y * w + x + j]!;
      tmp[y * ow + x] = s;
    }
  }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += g[j]! * tmp[(y + j) * ow + x]!;
      out[y * ow + x] = s;
    }
  }
  return out;
}

/** Mean SSIM of one channel (already shaved), Wang et al. 2004 with an 11×11 σ=1.5 window. */
function ssimPlane(x: Float64Array, y: Float64Array, w: number, h: number, peak: number): number {
  const g = gaussian1d(11, 1.5);
  if (w < 11 || h < 11) throw new Error(`ssim: ${w}x${h} is smaller than the 11x11 window`);
  const n = w * h;
  const xx = new Float64Array(n);
  const yy = new Float64Array(n);
  const xy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xx[i] = x[i]! * x[i]!;
    yy[i] = y[i]! * y[i]!;
    xy[i] = x[i]! * y[i]!;
  }
  const mx = filterValid(x, w, h, g);
  const my = filterValid(y, w, h, g);
  const sxx = filterValid(xx, w, h, g);
  const syy = filterValid(yy, w, h, g);
  const sxy = filterValid(xy, w, h, g);
  const c1 = (0.01 * peak) ** 2;
  const c2 = (0.03 * peak) ** 2;
  let sum = 0;
  for (let i = 0; i < mx.length; i++) {
    const ux = mx[i]!;
    const uy = my[i]!;
    // Population (biased) moments under the window, as in ssim_index.m.
    const vx = sxx[i]! - ux * ux;
    const vy = syy[i]! - uy * uy;
    const cxy = sxy[i]! - ux * uy;
    sum += ((2 * ux * uy + c1) * (2 * cxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
  }
  return sum / mx.length;
}

/** Take channel c of the region left after shaving s pixels, as a float64 plane. */
function shavedChannel(img: Img, c: number, s: number): Float64Array {
  const ch = channelsOf(img);
  const w = img.width - 2 * s;
  const h = img.height - 2 * s;
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) out[y * w + x] = img.data[((y + s) * img.width + x + s) * ch + c]!;
  }
  return out;
}

/**
 * Mean SSIM (Wang et al. 2004: Gaussian 11×11 window σ=1.5, K1=0.01, K2=0.03, 'valid'
 * filtering, population covariances), averaged over channels. L = peak (255 for a Plane).
 */
export function ssim(a: Img, b: Img, opts: MetricOptions = {}): number {
  checkSameShape(a, b, 'ssim');
  const s = opts.shave ?? 0;
  const peak = opts.peak ?? defaultPeak(a);
  const ch = channelsOf(a);
  let total = 0;
  for (let c = 0; c < ch; c++) {
    total += ssimPlane(shavedChannel(a, c, s), shavedChannel(b, c, s), a.width - 2 * s, a.height - 2 * s, peak);
  }
  return total / ch;
}

/** Only the colour channels, so an alpha channel never enters a quality figure. */
function rgbOnly(img: RgbImage): RgbImage {
  if (img.channels === 3) return img;
  const n = img.width * img.height;
  const data = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) data[p * 3 + c] = img.data[p * 4 + c]!;
  return { width: img.width, height: img.height, channels: 3, data };
}

export interface PairMetrics extends ColourFidelity {
  /** PSNR of BT.601 Y (0..255, peak 255), dB */
  psnr_y: number;
  /** SSIM of Y */
  ssim_y: number;
  /** PSNR over R, G, B in [0,1] (peak 1), dB */
  psnr_rgb: number;
  /** MSE over R, G, B in [0,1] */
  mse: number;
}

/**
 * The standard SR evaluation of one image: SR (and HR) rounded to 8 bits, `scale` pixels
 * shaved from each border, then Y-PSNR, Y-SSIM, RGB PSNR/MSE and the colour bias and ΔE.
 */
export function evaluatePair(sr: RgbImage, hr: RgbImage, scale: number): PairMetrics {
  const a = quantize8(rgbOnly(sr));
  const b = quantize8(rgbOnly(hr));
  checkSameShape(a, b, 'evaluatePair');
  const ya = rgbToY(a);
  const yb = rgbToY(b);
  const e = mse(a, b, { shave: scale });
  return {
    psnr_y: psnr(ya, yb, { shave: scale }),
    ssim_y: ssim(ya, yb, { shave: scale }),
    psnr_rgb: e === 0 ? Infinity : -10 * Math.log10(e),
    mse: e,
    ...colourFidelity(a, b, scale),
  };
}
