// Seeded mutations of valid files: truncations, bit flips, bytes set to boundary values and
// the format's own size fields set to extremes (with the PNG chunk CRC recomputed, so the
// mutation reaches the decoder instead of stopping at the checksum).

import { crc32 } from '../../src/io/weights/zip.ts';
import type { Rng } from '../../src/util/rng.ts';

export type Format = 'png' | 'jpeg' | 'safetensors' | 'pth';

/** Values that break naive size arithmetic. */
const EXTREMES_32 = [0, 1, 2, 0x7f, 0xff, 0x7fff, 0xffff, 20000, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];
const EXTREMES_16 = [0, 1, 2, 0x7fff, 0x8000, 0xffff];

export interface Mutation {
  name: string;
  bytes: Uint8Array;
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)]!;
}

/** A position, biased towards the first and last 4 KiB where headers and directories live. */
function position(rng: Rng, n: number): number {
  const r = rng.next();
  if (n > 8192 && r < 0.4) return rng.int(4096);
  if (n > 8192 && r < 0.6) return n - 1 - rng.int(4096);
  return rng.int(n);
}

function truncate(rng: Rng, b: Uint8Array): Mutation {
  const at = rng.next() < 0.3 ? rng.int(Math.min(b.length, 64)) : position(rng, b.length);
  return { name: `truncate@${at}`, bytes: b.slice(0, at) };
}

function bitFlips(rng: Rng, b: Uint8Array): Mutation {
  const out = b.slice();
  if (!out.length) return { name: 'empty', bytes: out };
  const n = 1 + rng.int(8);
  for (let i = 0; i < n; i++) out[position(rng, out.length)]! ^= 1 << rng.int(8);
  return { name: `bitflip×${n}`, bytes: out };
}

function setBytes(rng: Rng, b: Uint8Array): Mutation {
  const out = b.slice();
  const at = position(rng, out.length);
  const len = 1 + rng.int(8);
  const v = pick(rng, [0x00, 0xff, 0x7f, 0x80]);
  out.fill(v, at, Math.min(out.length, at + len));
  return { name: `set${len}@${at}=${v}`, bytes: out };
}

function spliceChunk(rng: Rng, b: Uint8Array): Mutation {
  const at = position(rng, b.length);
  const len = 1 + rng.int(64);
  if (rng.next() < 0.5) return { name: `delete${len}@${at}`, bytes: new Uint8Array([...b.subarray(0, at), ...b.subarray(at + len)]) };
  return { name: `duplicate${len}@${at}`, bytes: new Uint8Array([...b.subarray(0, at + len), ...b.subarray(at, at + len), ...b.subarray(at + len)]) };
}

/** PNG: a chunk's length, or IHDR width/height/depth/colour type, to an extreme (CRC fixed). */
function pngField(rng: Rng, b: Uint8Array): Mutation {
  const out = b.slice();
  const v = new DataView(out.buffer);
  const chunks: Array<{ pos: number; type: string; length: number }> = [];
  for (let pos = 8; pos + 8 <= out.length; ) {
    const length = v.getUint32(pos);
    chunks.push({ pos, type: String.fromCharCode(...out.subarray(pos + 4, pos + 8)), length });
    if (pos + 12 + length > out.length) break;
    pos += 12 + length;
  }
  const ihdr = chunks.find((c) => c.type === 'IHDR' && c.length === 13 && c.pos + 25 <= out.length);
  if (ihdr && rng.next() < 0.7) {
    const field = rng.int(5);
    const x = pick(rng, EXTREMES_32);
    if (field < 2) v.setUint32(ihdr.pos + 8 + 4 * field, x);
    else if (field < 4) out[ihdr.pos + 16 + (field - 2)] = x & 0xff; // bit depth, colour type
    else (v.setUint32(ihdr.pos + 8, x), v.setUint32(ihdr.pos + 12, x)); // a decompression bomb: x × x
    v.setUint32(ihdr.pos + 21, crc32(out.subarray(ihdr.pos + 4, ihdr.pos + 21)));
    return { name: `png.IHDR[${['width', 'height', 'depth', 'colour', 'width+height'][field]}]=${x}`, bytes: out };
  }
  if (!chunks.length) return bitFlips(rng, b);
  const c = pick(rng, chunks);
  const x = pick(rng, EXTREMES_32);
  v.setUint32(c.pos, x);
  return { name: `png.${c.type}.length=${x}`, bytes: out };
}

/** JPEG: a marker segment's length, or the frame's height/width/component count, to an extreme. */
function jpegField(rng: Rng, b: Uint8Array): Mutation {
  const out = b.slice();
  const v = new DataView(out.buffer);
  const segments: Array<{ pos: number; marker: number }> = [];
  for (let pos = 2; pos + 4 <= out.length && out[pos] === 0xff && segments.length < 64; ) {
    const marker = out[pos + 1]!;
    segments.push({ pos, marker });
    if (marker === 0xda) break; // entropy-coded data follows
    pos += 2 + v.getUint16(pos + 2);
  }
  const sof = segments.find((s) => s.marker >= 0xc0 && s.marker <= 0xc2 && s.pos + 10 <= out.length);
  const x = pick(rng, EXTREMES_16);
  if (sof && rng.next() < 0.6) {
    const field = rng.int(4);
    if (field === 2) out[sof.pos + 9] = x & 0xff;
    else if (field === 3) (v.setUint16(sof.pos + 5, x), v.setUint16(sof.pos + 7, x)); // x × x
    else v.setUint16(sof.pos + 5 + 2 * field, x);
    return { name: `jpeg.SOF[${['height', 'width', 'components', 'height+width'][field]}]=${x}`, bytes: out };
  }
  if (!segments.length) return bitFlips(rng, b);
  const s = pick(rng, segments);
  v.setUint16(s.pos + 2, x);
  return { name: `jpeg.${s.marker.toString(16)}.length=${x}`, bytes: out };
}

/** safetensors: the header length, or a number inside the JSON header (shape, offset, config), to an extreme. */
function safetensorsField(rng: Rng, b: Uint8Array): Mutation {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 8) return bitFlips(rng, b);
  if (rng.next() < 0.25) {
    const out = b.slice();
    const x = pick(rng, [0n, 1n, 2n, 0xffffffffn, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n]);
    new DataView(out.buffer).setBigUint64(0, x, true);
    return { name: `safetensors.headerLength=${x}`, bytes: out };
  }
  const n = Number(v.getBigUint64(0, true));
  if (!(n <= b.length - 8)) return bitFlips(rng, b);
  const header = new TextDecoder().decode(b.subarray(8, 8 + n));
  const numbers = [...header.matchAll(/-?\d+/g)];
  if (!numbers.length) return bitFlips(rng, b);
  const m = pick(rng, numbers);
  const x = pick(rng, ['0', '-1', '1', '3', '7', '4294967295', '9007199254740993', '1e308', '0.5', '"4"', 'null']);
  // The header stays the same length (spaces pad a shorter value) so tensor data stays in place.
  let text = header.slice(0, m.index) + x + header.slice(m.index! + m[0].length);
  const pad = Math.max(0, n - new TextEncoder().encode(text).length);
  text += ' '.repeat(pad);
  const bytes = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + bytes.length + (b.length - 8 - n));
  new DataView(out.buffer).setBigUint64(0, BigInt(bytes.length), true);
  out.set(bytes, 8);
  out.set(b.subarray(8 + n), 8 + bytes.length);
  return { name: `safetensors.header[${m.index}]:${m[0]}→${x}`, bytes: out };
}

/** PyTorch zip/pickle: a little-endian 32-bit field near the start (pickle, local header) or the end (central directory) to an extreme. */
function pthField(rng: Rng, b: Uint8Array): Mutation {
  if (b.length < 4) return bitFlips(rng, b);
  const out = b.slice();
  const at = Math.min(out.length - 4, position(rng, out.length));
  const x = pick(rng, EXTREMES_32);
  new DataView(out.buffer).setUint32(Math.max(0, at), x, true);
  return { name: `u32le@${at}=${x}`, bytes: out };
}

const FIELD: Record<Format, (rng: Rng, b: Uint8Array) => Mutation> = {
  png: pngField,
  jpeg: jpegField,
  safetensors: safetensorsField,
  pth: pthField,
};

/** One mutation of `seed`, chosen by the RNG; sometimes two stacked. */
export function mutate(rng: Rng, format: Format, seed: Uint8Array): Mutation {
  const ops = [truncate, bitFlips, setBytes, spliceChunk, FIELD[format], FIELD[format]];
  let m = pick(rng, ops)(rng, seed);
  if (m.bytes.length > 0 && rng.next() < 0.2) {
    const second = pick(rng, ops)(rng, m.bytes);
    m = { name: `${m.name} + ${second.name}`, bytes: second.bytes };
  }
  return m;
}
