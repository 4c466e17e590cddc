// MATLAB-compatible bicubic imresize and a Gaussian blur, on float images.
//
// SR benchmarks (Set5, DIV2K "bicubic", Vid4 BIx4) made their LR images with MATLAB's
// imresize, so the degradation we train on and evaluate with has to be that exact operator,
// not a generic bicubic: it uses the a = -0.5 cubic, widens the kernel when shrinking
// (antialiasing), maps coordinates so pixel centres line up, and replicates edge pixels.
// This file follows the algorithm of MATLAB's imresize.m (contributions + resizeAlongDim).

/** Any interleaved float image (RgbImage fits). */
export interface Raster {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

/** MATLAB's cubic kernel (Keys, a = -0.5). Support [-2, 2]. */
export function cubic(x: number): number {
  const ax = Math.abs(x);
  const ax2 = ax * ax;
  const ax3 = ax2 * ax;
  if (ax <= 1) return 1.5 * ax3 - 2.5 * ax2 + 1;
  if (ax <= 2) return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
  return 0;
}

/**
 * Out-of-range taps take the nearest edge pixel. MATLAB's imresize.m clamps its indices
 * ("has the effect of replicating end-points"); we checked this against the Set5 LR files,
 * which the clamp reproduces bit for bit while mirroring the border (as some Python ports
 * of imresize do) changes the outermost two rows and columns.
 */
export function clampIndex(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/** For each output pixel, `taps` input indices (0-based, already clamped) and weights. */
export interface Contributions {
  outLength: number;
  taps: number;
  index: Int32Array;
  weight: Float64Array;
}

/**
 * MATLAB's `contributions(in_length, out_length, scale, kernel, kernel_width, antialiasing)`.
 * `scale` is the one the caller asked for (not out/in), as in MATLAB.
 */
export function contributions(inLength: number, outLength: number, scale: number, antialias = true): Contributions {
  let width = 4;
  let kernel = cubic;
  if (scale < 1 && antialias) {
    // Stretch the kernel by 1/scale so it acts as a low-pass filter before decimation.
    kernel = (x) => scale * cubic(scale * x);
    width = 4 / scale;
  }
  const taps = Math.ceil(width) + 2;
  const index = new Int32Array(outLength * taps);
  const weight = new Float64Array(outLength * taps);
  for (let o = 0; o < outLength; o++) {
    const x = o + 1; // MATLAB is 1-based; keep its arithmetic verbatim so rounding matches.
    const u = x / scale + 0.5 * (1 - 1 / scale);
    const left = Math.floor(u - width / 2);
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const w = kernel(u - (left + j));
      weight[o * taps + j] = w;
      sum += w;
    }
    for (let j = 0; j < taps; j++) {
      weight[o * taps + j] /= sum;
      index[o * taps + j] = clampIndex(left + j - 1, inLength);
    }
  }
  return { outLength, taps, index, weight };
}

/** The resize along one axis as a dense matrix: outLength rows of inLength weights (the
 *  clamped border taps folded onto the edge pixels), so that out = M·in. */
export function resizeMatrix(inLength: number, outLength: number, scale: number): Float64Array[] {
  const c = contributions(inLength, outLength, scale);
  return Array.from({ length: outLength }, (_, o) => {
    const row = new Float64Array(inLength);
    for (let j = 0; j < c.taps; j++) row[c.index[o * c.taps + j]!] += c.weight[o * c.taps + j]!;
    return row;
  });
}

export interface ImresizeOptions {
  /** Default true, as in MATLAB. Only matters when shrinking. */
  antialias?: boolean;
  /**
   * Behave like MATLAB on a uint8 image: MATLAB's resize mex returns the input's class after
   * each 1-D pass, so the intermediate image is rounded (and clamped) to 8 bits too, and so is
   * the result. Off by default: on float input MATLAB keeps full precision.
   */
  uint8?: boolean;
}

/** Resample along height (axis 0) or width (axis 1), in float64. */
function resizeAxis(
  src: Float64Array, h: number, w: number, ch: number,
  axis: 0 | 1, c: Contributions,
): Float64Array {
  const { taps, index, weight, outLength } = c;
  if (axis === 0) {
    // Whole rows at a time: out row o = sum_j w_j * in row index_j.
    const rowLen = w * ch;
    const out = new Float64Array(outLength * rowLen);
    for (let o = 0; o < outLength; o++) {
      const dst = o * rowLen;
      for (let j = 0; j < taps; j++) {
        const wt = weight[o * taps + j]!;
        if (wt === 0) continue;
        const s = index[o * taps + j]! * rowLen;
        for (let k = 0; k < rowLen; k++) out[dst + k] += wt * src[s + k]!;
      }
    }
    return out;
  }
  const out = new Float64Array(h * outLength * ch);
  for (let y = 0; y < h; y++) {
    const srow = y * w * ch;
    const drow = y * outLength * ch;
    for (let o = 0; o < outLength; o++) {
      for (let j = 0; j < taps; j++) {
        const wt = weight[o * taps + j]!;
        if (wt === 0) continue;
        const s = srow + index[o * taps + j]! * ch;
        const d = drow + o * ch;
        for (let k = 0; k < ch; k++) out[d + k] += wt * src[s + k]!;
      }
    }
  }
  return out;
}

/** Round to integer levels 0..255 in place, as MATLAB's mex does for a uint8 result. */
function roundToUint8(a: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] = Math.round(Math.min(255, Math.max(0, a[i]!)));
}

/**
 * MATLAB `imresize(img, scale, 'bicubic')` or `imresize(img, [height width], 'bicubic')`.
 * With a scale the output size is ceil(scale·size) and the coordinate mapping uses the scale
 * itself; with a size, each axis uses out/in, exactly as MATLAB does.
 */
export function imresize<T extends Raster>(
  img: T, size: number | { height: number; width: number }, opts: ImresizeOptions = {},
): T {
  const { width: w, height: h, channels: ch } = img;
  let outH: number, outW: number, scaleH: number, scaleW: number;
  if (typeof size === 'number') {
    if (!(size > 0)) throw new Error(`imresize: scale must be positive, got ${size}`);
    scaleH = scaleW = size;
    outH = Math.ceil(h * size);
    outW = Math.ceil(w * size);
  } else {
    outH = size.height;
    outW = size.width;
    if (!(outH > 0 && outW > 0)) throw new Error(`imresize: bad output size ${outH}x${outW}`);
    scaleH = outH / h;
    scaleW = outW / w;
  }
  const antialias = opts.antialias ?? true;
  // In uint8 mode work on integer levels 0..255, like MATLAB: filtering k/255 instead would
  // move exact .5 ties by an ulp and flip a handful of roundings.
  const levels = opts.uint8 ? 255 : 1;
  let cur: Float64Array = Float64Array.from(img.data, (v) => v * levels);
  if (opts.uint8) roundToUint8(cur);
  let curH = h;
  let curW = w;
  // MATLAB sorts the axes by scale (stable sort) and resizes the smallest scale first, so the
  // strongest reduction happens first; on a tie, rows (height) go first.
  const order: (0 | 1)[] = scaleW < scaleH ? [1, 0] : [0, 1];
  for (const axis of order) {
    if (axis === 0) {
      cur = resizeAxis(cur, curH, curW, ch, 0, contributions(curH, outH, scaleH, antialias));
      curH = outH;
    } else {
      cur = resizeAxis(cur, curH, curW, ch, 1, contributions(curW, outW, scaleW, antialias));
      curW = outW;
    }
    if (opts.uint8) roundToUint8(cur);
  }
  return { ...img, width: outW, height: outH, data: Float32Array.from(cur, (v) => v / levels) };
}

/**
 * Separable Gaussian blur, kernel radius ceil(3σ), weights normalised to sum 1.
 * Borders replicate the edge pixel (… a a | a b c …), the same rule as imresize; unlike zero
 * padding it keeps flat regions flat and does not darken the edges.
 * σ ≤ 0 returns a copy.
 */
export function gaussianBlur<T extends Raster>(img: T, sigma: number): T {
  if (!(sigma > 0)) return { ...img, data: img.data.slice() };
  const radius = Math.ceil(3 * sigma);
  const taps = 2 * radius + 1;
  const g = new Float64Array(taps);
  let sum = 0;
  for (let j = 0; j < taps; j++) {
    const x = j - radius;
    g[j] = Math.exp(-(x * x) / (2 * sigma * sigma));
    sum += g[j]!;
  }
  for (let j = 0; j < taps; j++) g[j] = g[j]! / sum;
  const along = (n: number): Contributions => {
    const index = new Int32Array(n * taps);
    const weight = new Float64Array(n * taps);
    for (let o = 0; o < n; o++) {
      for (let j = 0; j < taps; j++) {
        index[o * taps + j] = clampIndex(o + j - radius, n);
        weight[o * taps + j] = g[j]!;
      }
    }
    return { outLength: n, taps, index, weight };
  };
  const { width: w, height: h, channels: ch } = img;
  let cur: Float64Array = Float64Array.from(img.data);
  cur = resizeAxis(cur, h, w, ch, 0, along(h));
  cur = resizeAxis(cur, h, w, ch, 1, along(w));
  return { ...img, data: Float32Array.from(cur) };
}
