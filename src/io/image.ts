// Image files <-> float images. Everything inside the engine works on RgbImage (row-major,
// interleaved, values in [0,1]); this module is the only place that knows about file bytes.
//
// The codecs are libvips through sharp (PNG, JPEG, WebP, AVIF, TIFF). What decoding does, for
// every caller (CLI, API, training data, eval):
// - the pixel count is read from the header and checked against a budget BEFORE any pixel is
//   decoded, so a small file declaring a huge image is refused as "too large", not "corrupt";
// - the EXIF orientation is applied, so the image comes out upright the way viewers show it;
// - an embedded ICC profile is used to convert the pixels to sRGB (outputs are sRGB, untagged);
// - 16-bit samples (PNG, TIFF) keep their full precision; alpha is kept as a 4th channel.
// sharp is loaded on first use, so importing this module for its types or for createImage
// (the browser bundle does) never pulls in native code.

import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Sharp, SharpOptions } from 'sharp';
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

/** The formats we read and write; the file extensions that name them. */
export const IMAGE_FORMATS = { png: ['.png'], jpg: ['.jpg', '.jpeg'], webp: ['.webp'], avif: ['.avif'], tiff: ['.tif', '.tiff'] } as const;
export type ImageFormat = keyof typeof IMAGE_FORMATS;

/** Matches file names with one of the extensions above. */
export const IMAGE_EXT = /\.(png|jpe?g|webp|avif|tiff?)$/i;

/** The format a path's extension names, or undefined. */
export function formatOfPath(path: string): ImageFormat | undefined {
  const ext = extname(path).toLowerCase();
  return (Object.keys(IMAGE_FORMATS) as ImageFormat[]).find((f) => (IMAGE_FORMATS[f] as readonly string[]).includes(ext));
}

export const SUPPORTED_EXTENSIONS = Object.values(IMAGE_FORMATS).flat().join(', ');

/** The default pixel budget: generous for real photos (a 100 MP camera), far below a bomb. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

export interface DecodeOptions {
  /** Refuse images with more pixels than this (read from the header, before decoding). */
  maxPixels?: number;
}

/** What the header says, without decoding pixels. */
export interface ImageInfo {
  format: string;
  width: number;
  height: number;
  /** Bits per sample of the decoded pixels: 16 for 16-bit PNG/TIFF, else 8. */
  bitDepth: 8 | 16;
  hasAlpha: boolean;
}

type SharpConstructor = typeof import('sharp').default;
let sharpLoaded: Promise<SharpConstructor> | undefined;
async function sharpOf(input: Uint8Array | Uint16Array, options: SharpOptions = {}): Promise<Sharp> {
  sharpLoaded ??= import('sharp').then((m) => m.default);
  return (await sharpLoaded)(input, options);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, sig: readonly number[]): boolean {
  return bytes.length >= sig.length && sig.every((b, i) => bytes[i] === b);
}

function hexPrefix(bytes: Uint8Array): string {
  const n = Math.min(8, bytes.length);
  return Array.from(bytes.subarray(0, n), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Walk the chunk list before handing a PNG to the decoder: libpng reports a cut-off file with
 * messages that do not say what happened. Returns the structural problem, or null when intact.
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

function formatLabel(format: string): string {
  return format === 'jpeg' ? 'JPEG' : format.toUpperCase();
}

/** libvips' error (first line; later lines repeat its warnings) as our message. */
function codecError(name: string, format: string, e: unknown): Error {
  const msg = ((e as Error).message ?? String(e)).split('\n')[0]!.replace(/^Input buffer has corrupt header: /, '');
  const label = formatLabel(format);
  const cut = /premature end|truncated|unexpected end|not enough data/i.test(msg);
  return new Error(`${name}: ${cut ? `truncated ${label}` : `corrupt ${label}`} (${msg})`);
}

function sniffFormat(bytes: Uint8Array): string {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'jpeg';
  return 'image';
}

function megapixels(n: number): string {
  return n >= 1e7 ? (n / 1e6).toFixed(0) : (n / 1e6).toFixed(1);
}

/** The error for an image over the pixel budget (also used by callers that know sizes early). */
export function tooLargeError(name: string, width: number, height: number, maxPixels: number): Error {
  return new Error(
    `${name}: too large: ${width}×${height} = ${megapixels(width * height)} MP exceeds the pixel budget of ` +
      `${megapixels(maxPixels)} MP; raise it with --max-pixels (API: maxPixels)`,
  );
}

/** Read the header: format, size, depth, alpha. Throws a clear error for what is not an image. */
export async function probeImage(bytes: Uint8Array, name = '<image>'): Promise<ImageInfo> {
  if (bytes.length === 0) throw new Error(`${name}: empty file`);
  const sniffed = sniffFormat(bytes);
  if (sniffed === 'png') {
    const problem = pngStructureProblem(bytes);
    if (problem) throw new Error(`${name}: ${problem}`);
  }
  let meta;
  try {
    // No pixel limit here: we want the declared size to refuse it with our own message.
    meta = await (await sharpOf(bytes, { limitInputPixels: false })).metadata();
  } catch (e) {
    if (/unsupported image format/i.test((e as Error).message)) {
      throw new Error(`${name}: not a supported image (${SUPPORTED_EXTENSIONS}); it starts with ${hexPrefix(bytes)}`);
    }
    throw codecError(name, sniffed, e);
  }
  const deep = meta.depth !== 'uchar' && meta.depth !== 'char';
  return { format: meta.format, width: meta.width, height: meta.height, bitDepth: deep ? 16 : 8, hasAlpha: meta.hasAlpha };
}

/** Decode any supported image (see the top of this file for what decoding guarantees). */
export async function decodeImage(bytes: Uint8Array, name = '<image>', opts: DecodeOptions = {}): Promise<RgbImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const info = await probeImage(bytes, name);
  if (info.width * info.height > maxPixels) throw tooLargeError(name, info.width, info.height, maxPixels);
  const channels: 3 | 4 = info.hasAlpha ? 4 : 3;
  let raw: Buffer;
  let width: number, height: number;
  try {
    let s = await sharpOf(bytes, { autoOrient: true, failOn: 'error', limitInputPixels: maxPixels });
    s = s.toColourspace(info.bitDepth === 16 ? 'rgb16' : 'srgb');
    if (!info.hasAlpha) s = s.removeAlpha();
    const out = await s.raw(info.bitDepth === 16 ? { depth: 'ushort' } : {}).toBuffer({ resolveWithObject: true });
    raw = out.data;
    ({ width, height } = out.info);
    if (out.info.channels !== channels) throw new Error(`decoded to ${out.info.channels} channels, expected ${channels}`);
  } catch (e) {
    throw codecError(name, info.format, e);
  }
  const img = createImage(width, height, channels);
  if (info.bitDepth === 16) {
    const src = new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2);
    for (let i = 0; i < src.length; i++) img.data[i] = src[i]! / 65535;
  } else {
    for (let i = 0; i < raw.length; i++) img.data[i] = raw[i]! / 255;
  }
  return img;
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

/** An RGB colour in [0,1] per channel. */
export type Rgb = readonly [number, number, number];

export interface EncodeOptions {
  /** PNG and TIFF only; default 8. */
  bitDepth?: 8 | 16;
  /** JPEG, WebP and AVIF; 1..100, default 90. */
  quality?: number;
  /** Formats without alpha (JPEG): the colour transparent pixels are composited on; default white. */
  background?: Rgb;
}

const HAS_ALPHA: Record<ImageFormat, boolean> = { png: true, jpg: false, webp: true, avif: true, tiff: true };
const HAS_16_BIT: Record<ImageFormat, boolean> = { png: true, jpg: false, webp: false, avif: false, tiff: true };

/** Straight alpha composited over an opaque background: c·a + bg·(1−a). */
export function flattenAlpha(img: RgbImage, background: Rgb = [1, 1, 1]): RgbImage {
  if (img.channels === 3) return img;
  const out = createImage(img.width, img.height, 3);
  const n = img.width * img.height;
  for (let p = 0; p < n; p++) {
    const a = Math.min(1, Math.max(0, img.data[p * 4 + 3]!));
    for (let c = 0; c < 3; c++) out.data[p * 3 + c] = img.data[p * 4 + c]! * a + background[c]! * (1 - a);
  }
  return out;
}

/** Encode to `format`. Alpha is kept where the format has it, composited on `background` where not. */
export async function encodeImage(img: RgbImage, format: ImageFormat, opts: EncodeOptions = {}): Promise<Uint8Array> {
  const src = HAS_ALPHA[format] ? img : flattenAlpha(img, opts.background);
  const deep = (opts.bitDepth ?? 8) === 16 && HAS_16_BIT[format];
  const { width, height, channels } = src;
  const n = width * height * channels;
  const samples = deep ? new Uint16Array(n) : new Uint8Array(n);
  const max = deep ? 65535 : 255;
  for (let i = 0; i < n; i++) samples[i] = quantize(src.data[i]!, max);
  const quality = opts.quality ?? 90;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new Error(`quality must be an integer 1..100, got ${quality}`);
  let s = await sharpOf(samples, { raw: { width, height, channels } });
  if (deep) s = s.toColourspace('rgb16');
  switch (format) {
    case 'png': s = s.png({ compressionLevel: 6 }); break;
    case 'jpg': s = s.jpeg({ quality }); break;
    case 'webp': s = s.webp({ quality }); break;
    case 'avif': s = s.avif({ quality }); break;
    case 'tiff': s = s.tiff({ compression: 'lzw' }); break;
  }
  return new Uint8Array(await s.toBuffer());
}

export async function readImage(path: string, opts: DecodeOptions = {}): Promise<RgbImage> {
  return decodeImage(await readFile(path), path, opts);
}

export type WriteImageOptions = EncodeOptions;

/** The format a path must be written in, or an error naming the extensions we know. */
export function outputFormatOf(path: string): ImageFormat {
  const format = formatOfPath(path);
  if (!format) throw new Error(`${path}: unknown image extension '${extname(path)}' (use ${SUPPORTED_EXTENSIONS})`);
  return format;
}

/** Write by extension (.png, .jpg/.jpeg, .webp, .avif, .tif/.tiff), atomically. */
export async function writeImage(path: string, img: RgbImage, opts: WriteImageOptions = {}): Promise<void> {
  const bytes = await encodeImage(img, outputFormatOf(path), opts);
  writeFileAtomic(path, bytes); // temp file in the same folder + rename (src/io/atomic.ts)
}
