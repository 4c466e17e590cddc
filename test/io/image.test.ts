import { describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { createImage, decodeImage, encodeImage, flattenAlpha, probeImage, readImage, writeImage, type RgbImage } from '../../src/io/image.ts';
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
    it(`grayscale ${bitDepth}-bit`, async () => {
      const g = Array.from({ length: W * H }, (_, p) => sample(p, 0, max));
      const img = await decodeImage(pngjsFile(0, bitDepth, g), 'g.png');
      expect([img.width, img.height, img.channels]).toEqual([W, H, 3]);
      for (let p = 0; p < W * H; p++) for (let c = 0; c < 3; c++) expect(img.data[p * 3 + c]).toBe(f32(g[p]!, max));
    });
    it(`grayscale+alpha ${bitDepth}-bit`, async () => {
      const s = Array.from({ length: W * H * 2 }, (_, i) => sample(i >> 1, i & 1, max));
      const img = await decodeImage(pngjsFile(4, bitDepth, s), 'ga.png');
      expect(img.channels).toBe(4);
      for (let p = 0; p < W * H; p++) {
        for (let c = 0; c < 3; c++) expect(img.data[p * 4 + c]).toBe(f32(s[p * 2]!, max));
        expect(img.data[p * 4 + 3]).toBe(f32(s[p * 2 + 1]!, max));
      }
    });
    for (const [colorType, spp] of [[2, 3], [6, 4]] as const) {
      it(`${spp === 3 ? 'RGB' : 'RGBA'} ${bitDepth}-bit`, async () => {
        const s = Array.from({ length: W * H * spp }, (_, i) => sample(Math.floor(i / spp), i % spp, max));
        const img = await decodeImage(pngjsFile(colorType, bitDepth, s), 'c.png');
        expect(img.channels).toBe(spp);
        expect(Array.from(img.data)).toEqual(s.map((k) => f32(k, max)));
      });
    }
  }

  it('keeps 16-bit precision (values that 8 bits cannot tell apart)', async () => {
    const g = Array.from({ length: W * H }, (_, p) => 30000 + p); // all within one 8-bit step
    const img = await decodeImage(pngjsFile(0, 16, g), 'g16.png');
    expect(new Set(Array.from(img.data)).size).toBe(W * H);
  });

  for (const depth of [1, 2, 4] as const) {
    it(`grayscale ${depth}-bit`, async () => {
      const max = 2 ** depth - 1;
      const g = Array.from({ length: W * H }, (_, p) => sample(p, 0, max));
      const img = await decodeImage(handmadePng(0, depth, g), 'low.png');
      for (let p = 0; p < W * H; p++) expect(img.data[p * 3]).toBe(f32(g[p]!, max));
    });
  }

  it('palette (4-bit indices) with and without tRNS', async () => {
    const palette = [[255, 0, 0], [0, 128, 255], [10, 20, 30]];
    const plte = chunk('PLTE', Buffer.from(palette.flat()));
    const idx = Array.from({ length: W * H }, (_, p) => p % 3);
    const opaque = await decodeImage(handmadePng(3, 4, idx, [plte]), 'pal.png');
    expect(opaque.channels).toBe(3);
    for (let p = 0; p < W * H; p++) {
      for (let c = 0; c < 3; c++) expect(opaque.data[p * 3 + c]).toBe(f32(palette[idx[p]!]![c]!, 255));
    }
    const trns = chunk('tRNS', Buffer.from([0, 77])); // entry 2 stays opaque
    const alpha = await decodeImage(handmadePng(3, 4, idx, [plte, trns]), 'pal-a.png');
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
    it(`8-bit, ${channels} channels: exact to 8-bit quantisation`, async () => {
      const img = gradient(channels);
      const back = await decodeImage(await encodeImage(img, 'png', { bitDepth: 8 }));
      expect(back.channels).toBe(channels);
      expect(Array.from(back.data)).toEqual(Array.from(img.data, (v) => f32(Math.round(v * 255), 255)));
    });
    it(`16-bit, ${channels} channels: within half a 16-bit step`, async () => {
      const img = gradient(channels);
      const back = await decodeImage(await encodeImage(img, 'png', { bitDepth: 16 }));
      let worst = 0;
      for (let i = 0; i < img.data.length; i++) worst = Math.max(worst, Math.abs(back.data[i]! - img.data[i]!));
      expect(worst).toBeLessThanOrEqual(0.5 / 65535 + 1e-7);
    });
  }
  it('clamps out-of-range values', async () => {
    const img = createImage(2, 1);
    img.data.set([-0.5, 1.5, 0.5, 2, -1, 0]);
    expect(Array.from((await decodeImage(await encodeImage(img, 'png'))).data)).toEqual([0, 1, f32(128, 255), 1, 0, 0]);
  });
});

/** Smooth colour waves (lossy codecs keep these well), alpha a ramp when there is one. */
function smooth(w: number, h: number, channels: 3 | 4): RgbImage {
  const img = createImage(w, h, channels);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < channels; c++) {
    img.data[(y * w + x) * channels + c] = c === 3 ? 0.2 + 0.6 * (x / w) : 0.5 + 0.4 * Math.sin(x / 6 + c) * Math.cos(y / 5);
  }
  return img;
}

describe('JPEG', () => {
  it('round trip of a smooth image has PSNR > 30 dB', async () => {
    const img = createImage(40, 33);
    for (let y = 0; y < 33; y++) for (let x = 0; x < 40; x++) for (let c = 0; c < 3; c++) {
      img.data[(y * 40 + x) * 3 + c] = 0.5 + 0.4 * Math.sin(x / 6 + c) * Math.cos(y / 5);
    }
    const back = await decodeImage(await encodeImage(img, 'jpg', { quality: 90 }), 'smooth.jpg');
    expect([back.width, back.height, back.channels]).toEqual([40, 33, 3]);
    expect(psnr(back, img)).toBeGreaterThan(30);
  });
});

describe('bad input', () => {
  it('names the file and what it starts with when it is neither PNG nor JPEG', async () => {
    await expect(decodeImage(Buffer.from('hello world'), 'img.png')).rejects.toThrow(
      'img.png: not a supported image (.png, .jpg, .jpeg, .webp, .avif, .tif, .tiff); it starts with 68 65 6c 6c 6f 20 77 6f');
    await expect(decodeImage(new Uint8Array(0), 'empty.png')).rejects.toThrow('empty.png: empty file');
  });
  it('reports a truncated PNG', async () => {
    const png = await encodeImage(gradient(3), 'png');
    for (const n of [10, 40, png.length >> 1, png.length - 5]) {
      await expect(decodeImage(png.subarray(0, n), 'cut.png')).rejects.toThrow(/^cut\.png: truncated PNG/);
    }
  });
  it('reports a corrupt PNG (damaged IDAT)', async () => {
    const png = Uint8Array.from(await encodeImage(gradient(3), 'png'));
    const idat = Buffer.from(png).indexOf('IDAT');
    for (let i = idat + 6; i < idat + 16; i++) png[i] = png[i]! ^ 0x5a;
    await expect(decodeImage(png, 'bad.png')).rejects.toThrow(/^bad\.png: corrupt PNG \(.+\)/);
  });
  it('reports a truncated JPEG', async () => {
    const jpg = await encodeImage(gradient(3), 'jpg', { quality: 80 });
    for (const n of [20, jpg.length >> 1, jpg.length - 2]) {
      await expect(decodeImage(jpg.subarray(0, n), 'cut.jpg')).rejects.toThrow(/^cut\.jpg: truncated JPEG/);
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

describe('formats (sharp)', () => {
  for (const format of ['webp', 'avif', 'tiff'] as const) {
    it(`${format}: RGB and RGBA round trip`, async () => {
      for (const channels of [3, 4] as const) {
        const img = smooth(24, 17, channels);
        const back = await decodeImage(await encodeImage(img, format, { quality: 95 }), `x.${format}`);
        expect([back.width, back.height, back.channels]).toEqual([24, 17, channels]);
        expect(psnr(back, img)).toBeGreaterThan(format === 'tiff' ? 50 : 30);
      }
    });
  }
  it('16-bit TIFF keeps 16 bits', async () => {
    const img = gradient(3);
    const back = await decodeImage(await encodeImage(img, 'tiff', { bitDepth: 16 }));
    expect(psnr(back, img)).toBeGreaterThan(90);
    expect((await probeImage(await encodeImage(img, 'tiff', { bitDepth: 16 }))).bitDepth).toBe(16);
  });
  it('JPEG quality option: lower quality, smaller file', async () => {
    const img = smooth(64, 48, 3);
    const q30 = await encodeImage(img, 'jpg', { quality: 30 });
    const q95 = await encodeImage(img, 'jpg', { quality: 95 });
    expect(q30.length).toBeLessThan(q95.length);
    await expect(encodeImage(img, 'jpg', { quality: 0 })).rejects.toThrow(/quality must be an integer 1..100/);
  });
  it('alpha is composited on the background for JPEG', async () => {
    const img = createImage(8, 8, 4);
    for (let p = 0; p < 64; p++) img.data.set([1, 0, 0, p < 32 ? 0 : 1], p * 4); // top half transparent
    const onBlue = await decodeImage(await encodeImage(img, 'jpg', { quality: 100, background: [0, 0, 1] }));
    expect(onBlue.channels).toBe(3);
    const px = (p: number) => Array.from(onBlue.data.subarray(p * 3, p * 3 + 3), (v) => Math.round(v * 10) / 10);
    expect(px(9)).toEqual([0, 0, 1]); // transparent: the background
    expect(px(54)).toEqual([1, 0, 0]); // opaque: the pixel
    expect(flattenAlpha(img).data.subarray(0, 3)).toEqual(new Float32Array([1, 1, 1])); // default white
  });
  it('an embedded ICC profile is converted to sRGB', async () => {
    const srgb = Buffer.alloc(4 * 4 * 3);
    for (let p = 0; p < 16; p++) srgb.set([200, 100, 50], p * 3);
    const p3 = await sharp(srgb, { raw: { width: 4, height: 4, channels: 3 } }).withIccProfile('p3').png().toBuffer();
    const stored = await sharp(p3, { ignoreIcc: true }).raw().toBuffer();
    expect(Math.abs(stored[0]! - 200)).toBeGreaterThan(5); // the file really holds other numbers
    const img = await decodeImage(p3, 'p3.png');
    const got = Array.from(img.data.subarray(0, 3), (v) => v * 255);
    [200, 100, 50].forEach((want, c) => expect(Math.abs(got[c]! - want)).toBeLessThanOrEqual(1.5)); // two 8-bit roundings
  });
  it('EXIF orientation is applied: the image comes out upright', async () => {
    const raw = Buffer.alloc(3 * 2 * 3);
    raw.set([255, 255, 255], 0); // top-left of the stored 3×2 image is white
    const jpg = await sharp(raw, { raw: { width: 3, height: 2, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(jpg, 'o6.jpg');
    expect([img.width, img.height]).toEqual([2, 3]); // orientation 6: rotate 90° clockwise
    const lum = (x: number, y: number) => img.data[(y * 2 + x) * 3]!;
    expect(lum(1, 0)).toBeGreaterThan(lum(0, 0) + 0.2); // the white corner is now top-right
  });
});

/** A PNG whose header declares w×h but whose pixel data is a few bytes: decoding it would fail. */
function pngHeaderOnly(w: number, h: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from(PNG_SIG), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(64))), chunk('IEND', Buffer.alloc(0))]);
}
const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A valid small JPEG with its frame header patched to declare w×h. */
async function jpegDeclaring(w: number, h: number): Promise<Uint8Array> {
  const b = Buffer.from(await encodeImage(smooth(16, 16, 3), 'jpg'));
  for (let i = 2; i < b.length; i += 2 + b.readUInt16BE(i + 2)) {
    if (b[i + 1] === 0xc0 || b[i + 1] === 0xc2) {
      b.writeUInt16BE(h, i + 5);
      b.writeUInt16BE(w, i + 7);
      return b;
    }
  }
  throw new Error('no SOF marker');
}

describe('pixel budget (checked from the header, before decoding)', () => {
  const tooLarge = (w: number, h: number, mp: string) =>
    new RegExp(`^bomb: too large: ${w}×${h} = ${mp} MP exceeds the pixel budget of 100 MP; raise it with --max-pixels`);
  it('refuses a 20000×20000 and a 100000×100000 PNG header', async () => {
    await expect(decodeImage(pngHeaderOnly(20000, 20000), 'bomb')).rejects.toThrow(tooLarge(20000, 20000, '400'));
    await expect(decodeImage(pngHeaderOnly(100000, 100000), 'bomb')).rejects.toThrow(tooLarge(100000, 100000, '10000'));
  });
  it('refuses a 65000×65000 JPEG', async () => {
    await expect(decodeImage(await jpegDeclaring(65000, 65000), 'bomb')).rejects.toThrow(tooLarge(65000, 65000, '4225'));
  });
  it('the budget is an option: lower refuses a small image, higher lets the decoder look at it', async () => {
    const png = await encodeImage(gradient(3), 'png'); // 21×15
    await expect(decodeImage(png, 'small', { maxPixels: 100 })).rejects.toThrow(/small: too large: 21×15 = 0\.0 MP exceeds the pixel budget of 0\.0 MP/);
    await expect(decodeImage(pngHeaderOnly(20000, 20000), 'bomb', { maxPixels: 1e9 })).rejects.toThrow(/^bomb: (corrupt|truncated) PNG/);
  });
  it('applies to readImage, the path every loader goes through', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vivid-image-'));
    try {
      writeFileSync(join(dir, 'bomb.png'), pngHeaderOnly(20000, 20000));
      await expect(readImage(join(dir, 'bomb.png'))).rejects.toThrow(/bomb\.png: too large: 20000×20000/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
