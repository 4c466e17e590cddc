// Comparison strips: the same region cut from several versions of one picture (bicubic, each
// model's SR, HR) and laid out side by side, one row per picture — what people look at before
// they read PSNR, optionally with each column's name above it and figures under each tile. Used
// by validation during training and by `vivid compare`.

import { createImage, type RgbImage } from '../io/image.ts';
import { drawText, fitText, GLYPH_HEIGHT, textWidth } from './font.ts';

const GAP = 4;

export interface CropBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An RGB copy of the box (x, y, w, h) of `img` (RGB or RGBA). */
export function cropRgb(img: RgbImage, x0: number, y0: number, w: number, h: number): RgbImage {
  const out = createImage(w, h, 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) out.data[(y * w + x) * 3 + c] = img.data[((y0 + y) * img.width + x0 + x) * img.channels + c]!;
    }
  }
  return out;
}

/**
 * A box of at most size × size pixels of an image `scale` times its LR input, its corner on the
 * LR grid, so the bicubic, SR and HR tiles show exactly the same region. Centred unless `at`
 * (HR pixels) places its top-left corner; it is moved inside the image if it would leave it.
 */
export function centredCrop(img: { width: number; height: number }, size: number, scale: number, at?: { x: number; y: number }): CropBox {
  const width = Math.min(size, img.width), height = Math.min(size, img.height);
  const place = (want: number, room: number) => Math.floor(Math.min(Math.max(0, want), room) / scale) * scale;
  const x = place(at ? at.x : (img.width - width) / 2, img.width - width);
  const y = place(at ? at.y : (img.height - height) / 2, img.height - height);
  return { x, y, width, height };
}

/** Text drawn on a strip: a name above each column, and caption lines under each tile. */
export interface StripLabels {
  columns?: string[];
  /** captions[row][column]: lines under that tile (e.g. its PSNR and SSIM). */
  captions?: string[][][];
}

const INK = [0.1, 0.1, 0.1];

/** Where the tiles and text of a strip go: font scale, band heights, tile origins. */
export function stripLayout(rows: RgbImage[][], labels: StripLabels = {}) {
  const tw = Math.max(...rows.flat().map((t) => t.width)), th = Math.max(...rows.flat().map((t) => t.height));
  const cols = Math.max(...rows.map((r) => r.length));
  const scale = tw >= 256 ? 2 : 1;
  const line = (GLYPH_HEIGHT + 2) * scale;
  const header = labels.columns?.length ? line : 0;
  const caption = line * Math.max(0, ...(labels.captions ?? []).flat().map((c) => c.length));
  const top = GAP + header;
  return {
    tw, th, cols, scale, line, caption,
    width: cols * tw + (cols + 1) * GAP,
    height: top + rows.length * (th + caption + GAP),
    origin: (r: number, c: number) => ({ x: GAP + c * (tw + GAP), y: top + r * (th + caption + GAP) }),
  };
}

/** Rows of equal-sized tiles on a white background, with optional column names and captions. */
export function tileStrip(rows: RgbImage[][], labels: StripLabels = {}): RgbImage {
  const L = stripLayout(rows, labels);
  const out = createImage(L.width, L.height, 3);
  out.data.fill(1);
  const centred = (text: string, x: number, y: number) => {
    const t = fitText(text, L.tw, L.scale);
    drawText(out, t, x + Math.floor((L.tw - textWidth(t, L.scale)) / 2), y, { scale: L.scale, colour: INK });
  };
  labels.columns?.forEach((name, c) => centred(name, L.origin(0, c).x, GAP + L.scale));
  rows.forEach((row, r) => row.forEach((t, c) => {
    const { x: ox, y: oy } = L.origin(r, c);
    for (let y = 0; y < t.height; y++) {
      for (let x = 0; x < t.width; x++) {
        for (let k = 0; k < 3; k++) out.data[((oy + y) * out.width + ox + x) * 3 + k] = t.data[(y * t.width + x) * t.channels + k]!;
      }
    }
    labels.captions?.[r]?.[c]?.forEach((text, k) => centred(text, ox, oy + L.th + L.scale + k * L.line));
  }));
  return out;
}
