// Image files <-> float images. Everything inside the engine works on RgbImage (row-major,
// interleaved, values in [0,1]); this module is the only place that knows about PNG/JPEG bytes.
//
// PNG goes through pngjs with `skipRescale: true`, so 16-bit samples arrive as a Uint16Array
// of raw 0..65535 values and keep their full precision (pngjs would otherwise round them to
// 8 bits). With skipRescale, sub-8-bit grayscale also stays raw (0..2^depth-1), so we divide
// by the file's own maximum; palette entries are always 8-bit.

import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { writeFileAtomic } from './atomic.ts';

export interface RgbImage {
  width: number;
  height: number;
  /** 4 when the file had alpha (alpha is the 4th channel, straight, not premultiplied). */
  channels: 3 | 4;
  /** row-major interleaved, values in [0,1] */
  data: Float32Array;
}

export function createImage(width: number, height: number, channels: 3 | 4 = 3): RgbImage {
  return { width, height, channels, data: new Float32Array(width * height * channels) };
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, sig: readonly number[]): boolean {
  return bytes.length >= sig.length && sig.every((b, i) => bytes[i] === b);
}

function hexPrefix(bytes: Uint8Array): string {
  const n = Math.min(8, bytes.length);
  return Array.from(bytes.subarray(0, n), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Decode PNG (any colour type, 1..16 bits) or baseline JPEG. `name` only labels errors. */
export function decodeImage(bytes: Uint8Array, name = '<image>'): RgbImage {
  if (bytes.length === 0) throw new Error(`${name}: empty file`);
  if (startsWith(bytes, PNG_SIGNATURE)) return decodePng(bytes, name);
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return decodeJpeg(bytes, name);
  throw new Error(`${name}: not a PNG or JPEG (starts with ${hexPrefix(bytes)})`);
}

/**
 * Walk the chunk list before handing the file to pngjs: pngjs reports a cut-off file with
 * messages like "unexpected end of file" or an inflate error, which do not say what happened.
 * Returns a description of the structural problem, or null when the chunk list is intact.
 */
function pngStructureProblem(bytes: Uint8Array): string | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let chunks = 0;
  while (pos < bytes.length) {
    if (pos + 8 > bytes.length) return `truncated PNG: chunk header cut off at byte ${pos} of ${bytes.length}`;
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    const end = pos + 12 + length;
    if (end > bytes.length) {
      return `truncated PNG: ${type} chunk needs ${end - bytes.length} more bytes (file is ${bytes.length} bytes)`;
    }
    chunks++;
    if (type === 'IEND') return null;
    pos = end;
  }
  return `truncated PNG: no IEND chunk after ${chunks} chunks (file is ${bytes.length} bytes)`;
}

function decodePng(bytes: Uint8Array, name: string): RgbImage {
  const problem = pngStructureProblem(bytes);
  if (problem) throw new Error(`${name}: ${problem}`);
  let png;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
  } catch (e) {
    throw new Error(`${name}: corrupt PNG (${(e as Error).message})`);
  }
  const { width, height } = png;
  // pngjs always hands back RGBA (grayscale replicated, palette expanded, tRNS turned into
  // alpha); `alpha` says whether the file actually carried transparency.
  const src = png.data as unknown as ArrayLike<number>;
  const max = png.palette ? 255 : 2 ** png.depth - 1;
  const channels: 3 | 4 = png.alpha ? 4 : 3;
  const out = createImage(width, height, channels);
  const n = width * height;
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < channels; c++) out.data[p * channels + c] = src[p * 4 + c]! / max;
  }
  return out;
}

function decodeJpeg(bytes: Uint8Array, name: string): RgbImage {
  let raw;
  try {
    // tolerantDecoding would paper over a cut-off scan by leaving blocks grey; we'd rather fail.
    raw = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false });
  } catch (e) {
    const msg = (e as Error).message;
    // A complete JPEG ends with the EOI marker FF D9; without it the likeliest story is a cut-off file.
    const cut = bytes[bytes.length - 2] !== 0xff || bytes[bytes.length - 1] !== 0xd9;
    const what = cut ? `truncated JPEG (no end-of-image marker, file is ${bytes.length} bytes)` : 'corrupt JPEG';
    throw new Error(`${name}: ${what}: ${msg}`);
  }
  const { width, height, data } = raw;
  if (data.length !== width * height * 3) throw new Error(`${name}: JPEG decoded to ${data.length} bytes, expected ${width}x${height}x3`);
  const out = createImage(width, height, 3);
  for (let i = 0; i < data.length; i++) out.data[i] = data[i]! / 255;
  return out;
}

/** round(clamp(v,0,1)·max): the single quantisation rule used for every file we write. */
export function quantize(v: number, max: number): number {
  return Math.round(Math.min(1, Math.max(0, v)) * max);
}

/** The image rounded to 8-bit levels (values stay in [0,1]); what a PNG round trip would give. */
export function quantize8(img: RgbImage): RgbImage {
  const data = new Float32Array(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = quantize(img.data[i]!, 255) / 255;
  return { ...img, data };
}

export function encodePng(img: RgbImage, opts: { bitDepth?: 8 | 16 } = {}): Uint8Array {
  const bitDepth = opts.bitDepth ?? 8;
  const { width, height, channels } = img;
  const colorType = channels === 4 ? 6 : 2;
  const n = width * height * channels;
  let data: Buffer;
  if (bitDepth === 8) {
    data = Buffer.alloc(n);
    for (let i = 0; i < n; i++) data[i] = quantize(img.data[i]!, 255);
  } else {
    // pngjs reads 16-bit input as a native-endian Uint16Array over the buffer's own
    // ArrayBuffer (it ignores byteOffset), so it must own a fresh, exactly sized one.
    const u16 = new Uint16Array(n);
    for (let i = 0; i < n; i++) u16[i] = quantize(img.data[i]!, 65535);
    data = Buffer.from(u16.buffer);
  }
  const png = new PNG({ width, height });
  png.data = data;
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: channels === 4, bitDepth, deflateLevel: 6 });
}

/** Baseline JPEG, quality 1..100. Alpha, if any, is dropped (JPEG has none). */
export function encodeJpeg(img: RgbImage, quality = 90): Uint8Array {
  const { width, height, channels } = img;
  // jpeg-js's encoder takes RGBA and ignores A.
  const rgba = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) rgba[p * 4 + c] = quantize(img.data[p * channels + c]!, 255);
    rgba[p * 4 + 3] = 255;
  }
  return jpeg.encode({ width, height, data: rgba }, quality).data;
}

export async function readImage(path: string): Promise<RgbImage> {
  return decodeImage(await readFile(path), path);
}

export interface WriteImageOptions {
  /** PNG only; default 8. */
  bitDepth?: 8 | 16;
  /** JPEG only; default 90. */
  quality?: number;
}

/** Write PNG or JPEG by extension (.png, .jpg, .jpeg), atomically. */
export async function writeImage(path: string, img: RgbImage, opts: WriteImageOptions = {}): Promise<void> {
  const ext = extname(path).toLowerCase();
  let bytes: Uint8Array;
  if (ext === '.png') bytes = encodePng(img, { bitDepth: opts.bitDepth ?? 8 });
  else if (ext === '.jpg' || ext === '.jpeg') bytes = encodeJpeg(img, opts.quality ?? 90);
  else throw new Error(`${path}: unknown image extension '${ext}' (use .png, .jpg or .jpeg)`);
  writeFileAtomic(path, bytes); // temp file in the same folder + rename (src/io/atomic.ts)
}
