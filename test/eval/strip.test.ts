// The strip's bitmap font and labels: every glyph stays in its 5×8 cell and differs from the
// others; a labelled strip keeps its tiles' pixels and carries the names and captions as ink.

import { describe, expect, it } from 'vitest';
import { drawLabel, drawText, FONT_CHARS, fitText, GLYPH_HEIGHT, GLYPH_WIDTH, textWidth } from '../../src/eval/font.ts';
import { stripLayout, tileStrip } from '../../src/eval/strip.ts';
import { createImage, type RgbImage } from '../../src/io/image.ts';
import { inkPattern } from '../helpers/ink.ts';

function noise(w: number, h: number, seed: number): RgbImage {
  const img = createImage(w, h, 3);
  let s = seed;
  for (let i = 0; i < img.data.length; i++) img.data[i] = ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return img;
}

describe('bitmap font', () => {
  it('draws every glyph inside its cell, each one different, with ink unless a space', () => {
    const seen = new Map<string, string>();
    for (const ch of FONT_CHARS) {
      const canvas = createImage(3 * GLYPH_WIDTH, 3 * GLYPH_HEIGHT, 3);
      canvas.data.fill(1);
      drawText(canvas, ch, GLYPH_WIDTH, GLYPH_HEIGHT);
      const outside: string[] = [];
      for (let y = 0; y < canvas.height; y++) {
        for (let x = 0; x < canvas.width; x++) {
          const inCell = x >= GLYPH_WIDTH && x < 2 * GLYPH_WIDTH && y >= GLYPH_HEIGHT && y < 2 * GLYPH_HEIGHT;
          if (!inCell && canvas.data[(y * canvas.width + x) * 3] !== 1) outside.push(`${x},${y}`);
        }
      }
      expect(outside, `'${ch}' ink outside its cell`).toEqual([]);
      const pattern = Array.from(canvas.data.filter((_, i) => i % 3 === 0), (v) => (v < 1 ? '#' : '.')).join('');
      expect(pattern.includes('#'), `'${ch}' has ink`).toBe(ch !== ' ');
      expect(seen.get(pattern), `'${ch}' looks like '${seen.get(pattern)}'`).toBeUndefined();
      seen.set(pattern, ch);
    }
  });

  it('measures, scales and cuts text to a width', () => {
    expect(textWidth('ab', 1)).toBe(11);
    expect(textWidth('ab', 2)).toBe(22);
    expect(fitText('tiny-a', 48)).toBe('tiny-a');
    const cut = fitText('a-very-long-model-name', 48);
    expect(cut.endsWith('..')).toBe(true);
    expect(textWidth(cut)).toBeLessThanOrEqual(48);
    // Unknown characters are drawn as '?'.
    const a = createImage(8, 8, 3), b = createImage(8, 8, 3);
    drawText(a, 'é', 0, 0, { colour: [1, 1, 1] });
    drawText(b, '?', 0, 0, { colour: [1, 1, 1] });
    expect(a.data).toEqual(b.data);
  });
});

describe('drawLabel', () => {
  it('draws white text on a dark box, the margin 2 font pixels, and nothing outside the box', () => {
    const img = noise(60, 40, 5), before = img.data.slice();
    drawLabel(img, 'ab', 3, 2, 2);
    const box = { x: 3, y: 2, width: textWidth('ab', 2) + 8, height: 2 * GLYPH_HEIGHT + 8 };
    const inside = (x: number, y: number) => x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
    const values = new Set<number>();
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        const i = (y * img.width + x) * 3;
        if (inside(x, y)) values.add(img.data[i]!);
        else expect(img.data[i], `(${x}, ${y}) outside the box`).toBe(before[i]);
      }
    }
    expect([...values].sort()).toEqual([Math.fround(0.1), 1]);
    // The light pixels are the text as drawText writes it at that scale, 4 pixels in.
    const inverted = { ...img, data: img.data.map((v) => 1 - v) };
    const want = createImage(box.width, box.height, 3);
    want.data.fill(1);
    drawText(want, 'ab', 4, 4, { scale: 2 });
    expect(inkPattern(inverted, box)).toBe(inkPattern(want));
  });

  it('clips at the image edge', () => {
    const img = createImage(10, 6, 3);
    drawLabel(img, 'temporal', 4, 3, 1);
    const at = (x: number, y: number) => img.data[(y * 10 + x) * 3];
    expect([at(3, 5), at(4, 2)]).toEqual([0, 0]);
    expect([at(4, 3), at(9, 5)]).toEqual([Math.fround(0.1), Math.fround(0.1)]);
  });
});

describe('tileStrip labels', () => {
  const rows = [[noise(50, 29, 1), noise(50, 29, 2)], [noise(50, 29, 3), noise(50, 29, 4)]];
  const labels = { columns: ['bicubic', 'HR'], captions: [[['28.43 dB', '0.8110'], ['PSNR-Y', 'SSIM-Y']], [['1.00 dB', '0.1234'], []]] };

  it('keeps each tile where the layout puts it and writes the names above and captions below', () => {
    const plain = tileStrip(rows);
    const strip = tileStrip(rows, labels);
    const L = stripLayout(rows, labels);
    expect([strip.width, strip.height]).toEqual([plain.width, plain.height + L.line + 2 * 2 * L.line]);
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 2; c++) {
        const { x, y } = L.origin(r, c);
        for (let k = 0; k < 50 * 29 * 3; k += 7) {
          const px = k / 3 | 0, ch = k % 3;
          const got = strip.data[((y + ((px / 50) | 0)) * strip.width + x + (px % 50)) * 3 + ch];
          expect(got).toBe(rows[r]![c]!.data[k]);
        }
      }
    }
    // The header band over each column holds exactly its name; the caption under a tile its lines.
    const band = (x: number, y: number, h: number) => ({ x, y, width: L.tw, height: h });
    expect(inkPattern(strip, band(L.origin(0, 0).x, 0, L.origin(0, 0).y))).toBe(inkPattern(rendered('bicubic')));
    expect(inkPattern(strip, band(L.origin(0, 1).x, 0, L.origin(0, 1).y))).toBe(inkPattern(rendered('HR')));
    const under = (r: number, c: number, k: number) => band(L.origin(r, c).x, L.origin(r, c).y + L.th + k * L.line, L.line);
    expect(inkPattern(strip, under(0, 0, 0))).toBe(inkPattern(rendered('28.43 dB')));
    expect(inkPattern(strip, under(0, 0, 1))).toBe(inkPattern(rendered('0.8110')));
    expect(inkPattern(strip, under(1, 0, 1))).toBe(inkPattern(rendered('0.1234')));
    expect(inkPattern(strip, under(1, 1, 0))).toBe('');
  });

  it('draws nothing extra without labels', () => {
    const strip = tileStrip(rows);
    expect(inkPattern(strip, { x: 0, y: 0, width: strip.width, height: 4 })).toBe('');
  });
});

function rendered(text: string): RgbImage {
  const img = createImage(textWidth(text) + 4, GLYPH_HEIGHT + 4, 3);
  img.data.fill(1);
  drawText(img, text, 2, 2);
  return img;
}
