import { describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { createImage, decodeImage, encodeJpeg, encodePng, readImage, writeImage, type RgbImage } from '../../src/io/image.ts';
import { psnr } from '../../src/metrics/quality.ts';

const W = 7; // odd sizes so row padding / sub-byte packing is exercised
const H = 5;

/** Deterministic sample values 0..max, varied across pixels and channels. */
function sample(p: number, c: number, max: number): number {
  return (p * 7919 + c * 104729 + 13) % (max + 1);
}

/** Encode raw samples with pngjs (colour types 0, 2, 4, 6 at 8 or 16 bits). */
function pngjsFile(colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16, samples: number[]): Uint8Array {
  const spp = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType];
  expect(samples.length).toBe(W * H * spp);
  const data = bitDepth === 8 ? Buffer.from(samples) : Buffer.from(new Uint16Array(samples).buffer);
  const png = new PNG({ width: W, height: H });
  png.data = data;
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: colorType === 4 || colorType === 6, bitDepth });
}

// pngjs cannot write palette or sub-8-bit images, so those are assembled by hand.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}
/** One sample per pixel (grayscale or palette index) packed at `depth` bits, filter 0. */
function handmadePng(colorType: 0 | 3, depth: 1 | 2 | 4 | 8, values: number[], extra: Buffer[] = []): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(W, 0);
  ihdr.writeUInt32BE(H, 4);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  const stride = Math.ceil((W * depth) / 8);
  const raw = Buffer.alloc(H * (stride + 1));
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const bit = x * depth;
      raw[y * (stride + 1) + 1 + (bit >> 3)]! |= values[y * W + x]! << (8 - depth - (bit & 7));
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), ...extra, chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Expected float value, computed the way the decoder stores it (float32 of k/max). */
const f32 = (k: number, max: number) => Math.fround(k / max);

describe('PNG decoding', () => {
  for (const bitDepth of [8, 16] as const) {
    const max = 2 ** bitDepth - 1;
    it(`grayscale ${bitDepth}-bit`, () => {
      const g = Array.from({ length: W * H }, (_, p) => sample(p, 0, max));
      const img = decodeImage(pngjsFile(0, bitDepth, g), 'g.png');
      expect([img.width, img.height, img.channels]).toEqual([W, H, 3]);
      for (let p = 0; p < W * H; p++) for (let c = 0; c < 3; c++) expect(img.data[p * 3 + c]).toBe(f32(g[p]!, max));
    });
    it(`grayscale+alpha ${bitDepth}-bit`, () => {
      const s = Array.from({ length: W * H * 2 }, (_, i) => sample(i >> 1, i & 1, max));
      const img = decodeImage(pngjsFile(4, bitDepth, s), 'ga.png');
      expect(img.channels).toBe(4);
      for (let p = 0; p < W * H; p++) {
        for (let c = 0; c < 3; c++) expect(img.data[p * 4 + c]).toBe(f32(s[p * 2]!, max));
        expect(img.data[p * 4 + 3]).toBe(f32(s[p * 2 + 1]!, max));
      }
    });
    for (const [colorType, spp] of [[2, 3], [6, 4]] as const) {
      it(`${spp === 3 ? 'RGB' : 'RGBA'} ${bitDepth}-bit`, () => {
        const s = Array.from({ length: W * H * spp }, (_, i) => sample(Math.floor(i / spp), i % spp, max));
        const img = decodeImage(pngjsFile(colorType, bitDepth, s), 'c.png');
        expect(img.channels).toBe(spp);
        expect(Array.from(img.data)).toEqual(s.map((k) => f32(k, max)));
      });
    }
  }

  it('keeps 16-bit precision (values that 8 bits cannot tell apart)', () => {
    const g = Array.from({ length: W * H }, (_, p) => 30000 + p); // all within one 8-bit step
    const img = decodeImage(pngjsFile(0, 16, g), 'g16.png');
    expect(new Set(Array.from(img.data)).size).toBe(W * H);
  });

  for (const depth of [1, 2, 4] as const) {
    it(`grayscale ${depth}-bit`, () => {
      const max = 2 ** depth - 1;
      const g = Array.from({ length: W * H }, (_, p) => sample(p, 0, max));
      const img = decodeImage(handmadePng(0, depth, g), 'low.png');
      for (let p = 0; p < W * H; p++) expect(img.data[p * 3]).toBe(f32(g[p]!, max));
    });
  }

  it('palette (4-bit indices) with and without tRNS', () => {
    const palette = [[255, 0, 0], [0, 128, 255], [10, 20, 30]];
    const plte = chunk('PLTE', Buffer.from(palette.flat()));
    const idx = Array.from({ length: W * H }, (_, p) => p % 3);
    const opaque = decodeImage(handmadePng(3, 4, idx, [plte]), 'pal.png');
    expect(opaque.channels).toBe(3);
    for (let p = 0; p < W * H; p++) {
      for (let c = 0; c < 3; c++) expect(opaque.data[p * 3 + c]).toBe(f32(palette[idx[p]!]![c]!, 255));
    }
    const trns = chunk('tRNS', Buffer.from([0, 77])); // entry 2 stays opaque
    const alpha = decodeImage(handmadePng(3, 4, idx, [plte, trns]), 'pal-a.png');
    expect(alpha.channels).toBe(4);
    expect([alpha.data[3], alpha.data[7], alpha.data[11]]).toEqual([0, f32(77, 255), 1]);
  });
});

function gradient(channels: 3 | 4): RgbImage {
  const img = createImage(W * 3, H * 3, channels);
  for (let i = 0; i < img.data.length; i++) img.data[i] = ((i * 37) % 1000) / 999;
  return img;
}

describe('PNG encoding round trip', () => {
  for (const channels of [3, 4] as const) {
    it(`8-bit, ${channels} channels: exact to 8-bit quantisation`, () => {
      const img = gradient(channels);
      const back = decodeImage(encodePng(img, { bitDepth: 8 }));
      expect(back.channels).toBe(channels);
      expect(Array.from(back.data)).toEqual(Array.from(img.data, (v) => f32(Math.round(v * 255), 255)));
    });
    it(`16-bit, ${channels} channels: within half a 16-bit step`, () => {
      const img = gradient(channels);
      const back = decodeImage(encodePng(img, { bitDepth: 16 }));
      let worst = 0;
      for (let i = 0; i < img.data.length; i++) worst = Math.max(worst, Math.abs(back.data[i]! - img.data[i]!));
      expect(worst).toBeLessThanOrEqual(0.5 / 65535 + 1e-7);
    });
  }
  it('clamps out-of-range values', () => {
    const img = createImage(2, 1);
    img.data.set([-0.5, 1.5, 0.5, 2, -1, 0]);
    expect(Array.from(decodeImage(encodePng(img)).data)).toEqual([0, 1, f32(128, 255), 1, 0, 0]);
  });
});

describe('JPEG', () => {
  it('round trip of a smooth image has PSNR > 30 dB', () => {
    const img = createImage(40, 33);
    for (let y = 0; y < 33; y++) for (let x = 0; x < 40; x++) for (let c = 0; c < 3; c++) {
      img.data[(y * 40 + x) * 3 + c] = 0.5 + 0.4 * Math.sin(x / 6 + c) * Math.cos(y / 5);
    }
    const back = decodeImage(encodeJpeg(img, 90), 'smooth.jpg');
    expect([back.width, back.height, back.channels]).toEqual([40, 33, 3]);
    expect(psnr(back, img)).toBeGreaterThan(30);
  });
});

describe('bad input', () => {
  it('names the file and what it starts with when it is neither PNG nor JPEG', () => {
    expect(() => decodeImage(Buffer.from('hello world'), 'img.png')).toThrow(
      'img.png: not a PNG or JPEG (starts with 68 65 6c 6c 6f 20 77 6f)');
    expect(() => decodeImage(new Uint8Array(0), 'empty.png')).toThrow('empty.png: empty file');
  });
  it('reports a truncated PNG', () => {
    const png = encodePng(gradient(3));
    for (const n of [10, 40, png.length >> 1, png.length - 5]) {
      expect(() => decodeImage(png.subarray(0, n), 'cut.png')).toThrow(/^cut\.png: truncated PNG/);
    }
  });
  it('reports a corrupt PNG (damaged IDAT)', () => {
    const png = Uint8Array.from(encodePng(gradient(3)));
    const idat = Buffer.from(png).indexOf('IDAT');
    for (let i = idat + 6; i < idat + 16; i++) png[i] = png[i]! ^ 0x5a;
    expect(() => decodeImage(png, 'bad.png')).toThrow(/^bad\.png: corrupt PNG \(.+\)/);
  });
  it('reports a truncated JPEG', () => {
    const jpg = encodeJpeg(gradient(3), 80);
    for (const n of [20, jpg.length >> 1, jpg.length - 2]) {
      expect(() => decodeImage(jpg.subarray(0, n), 'cut.jpg')).toThrow(/^cut\.jpg: truncated JPEG/);
    }
  });
});

describe('readImage / writeImage', () => {
  it('write by extension, read back, leave no temp files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vivid-image-'));
    try {
      const img = gradient(4);
      await writeImage(join(dir, 'a.png'), img);
      await writeImage(join(dir, 'b16.PNG'), img, { bitDepth: 16 });
      await writeImage(join(dir, 'c.jpg'), img, { quality: 95 });
      expect(readdirSync(dir).sort()).toEqual(['a.png', 'b16.PNG', 'c.jpg']);
      expect((await readImage(join(dir, 'a.png'))).channels).toBe(4);
      expect(psnr(await readImage(join(dir, 'b16.PNG')), img)).toBeGreaterThan(90);
      const jpg = await readImage(join(dir, 'c.jpg'));
      expect(jpg.channels).toBe(3); // JPEG drops alpha
      await expect(writeImage(join(dir, 'd.bmp'), img)).rejects.toThrow(/d\.bmp: unknown image extension/);
      await expect(readImage(join(dir, 'missing.png'))).rejects.toThrow(/ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
