// A 5×8 bitmap font for the labels drawn on comparison strips: our own pixels, so a strip looks
// the same on every machine (text through sharp's SVG renderer would need system fonts, which a
// fresh machine may not have). Each glyph is rows top to bottom, '#' ink; capitals and digits
// use rows 0–6, lowercase descenders row 7. Characters without a glyph are drawn as '?'.

import type { RgbImage } from '../io/image.ts';

const GLYPHS: Record<string, string> = {
  ' ': '',
  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '##### ...#. ..#.. ...#. ....# #...# .###.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',
  A: '.###. #...# #...# ##### #...# #...# #...#',
  B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.',
  D: '###.. #..#. #...# #...# #...# #..#. ###..',
  E: '##### #.... #.... ####. #.... #.... #####',
  F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####',
  H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.',
  P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#',
  R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.',
  V: '#...# #...# #...# #...# #...# .#.#. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  Z: '##### ....# ...#. ..#.. .#... #.... #####',
  a: '..... ..... .###. ....# .#### #...# .####',
  b: '#.... #.... #.##. ##..# #...# #...# ####.',
  c: '..... ..... .###. #.... #.... #...# .###.',
  d: '....# ....# .##.# #..## #...# #...# .####',
  e: '..... ..... .###. #...# ##### #.... .###.',
  f: '..##. .#..# .#... ###.. .#... .#... .#...',
  g: '..... ..... .#### #...# #...# .#### ....# .###.',
  h: '#.... #.... #.##. ##..# #...# #...# #...#',
  i: '..#.. ..... .##.. ..#.. ..#.. ..#.. .###.',
  j: '...#. ..... ..##. ...#. ...#. ...#. #..#. .##..',
  k: '#.... #.... #..#. #.#.. ##... #.#.. #..#.',
  l: '.##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  m: '..... ..... ##.#. #.#.# #.#.# #.#.# #.#.#',
  n: '..... ..... #.##. ##..# #...# #...# #...#',
  o: '..... ..... .###. #...# #...# #...# .###.',
  p: '..... ..... ####. #...# #...# ####. #.... #....',
  q: '..... ..... .#### #...# #...# .#### ....# ....#',
  r: '..... ..... #.##. ##..# #.... #.... #....',
  s: '..... ..... .###. #.... .###. ....# ####.',
  t: '.#... .#... ###.. .#... .#... .#..# ..##.',
  u: '..... ..... #...# #...# #...# #..## .##.#',
  v: '..... ..... #...# #...# #...# .#.#. ..#..',
  w: '..... ..... #...# #...# #.#.# #.#.# .#.#.',
  x: '..... ..... #...# .#.#. ..#.. .#.#. #...#',
  y: '..... ..... #...# #...# #...# .#### ....# .###.',
  z: '..... ..... ##### ...#. ..#.. .#... #####',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  ',': '..... ..... ..... ..... ..... .##.. ..#.. .#...',
  ':': '..... .##.. .##.. ..... .##.. .##..',
  '-': '..... ..... ..... #####',
  _: '..... ..... ..... ..... ..... ..... #####',
  '/': '....# ....# ...#. ..#.. .#... #.... #....',
  '(': '...#. ..#.. .#... .#... .#... ..#.. ...#.',
  ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#...',
  '[': '.###. .#... .#... .#... .#... .#... .###.',
  ']': '.###. ...#. ...#. ...#. ...#. ...#. .###.',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#..',
  '=': '..... ..... ##### ..... #####',
  '%': '##... ##..# ...#. ..#.. .#... #..## ...##',
  '#': '.#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.',
  '×': '..... #...# .#.#. ..#.. .#.#. #...#',
  '|': '..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  '!': '..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..',
  "'": '..#.. ..#.. .#...',
  '*': '..... ..#.. #.#.# .###. #.#.# ..#..',
  '?': '.###. #...# ....# ...#. ..#.. ..... ..#..',
};

/** The characters with a glyph of their own. */
export const FONT_CHARS: readonly string[] = Object.keys(GLYPHS);

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 8;
/** Horizontal advance of one character, in font pixels (glyph + 1 column of space). */
const ADVANCE = GLYPH_WIDTH + 1;

/** Ink rows of a character (missing characters fall back to '?'). */
function glyph(ch: string): string[] {
  const g = GLYPHS[ch] ?? GLYPHS['?']!;
  return g ? g.split(' ') : [];
}

/** Width in image pixels of `text` drawn at `scale` (no trailing space). */
export function textWidth(text: string, scale = 1): number {
  const n = [...text].length;
  return n ? (n * ADVANCE - 1) * scale : 0;
}

/** `text` cut (with a trailing '..') so that it fits in `width` image pixels at `scale`. */
export function fitText(text: string, width: number, scale = 1): string {
  const chars = [...text];
  if (textWidth(text, scale) <= width) return text;
  const room = Math.max(0, Math.floor((width / scale + 1) / ADVANCE) - 2);
  return chars.slice(0, room).join('') + '..';
}

/**
 * Draws `text` into `img` with its top-left corner at (x, y), each font pixel a scale × scale
 * block of `colour` (RGB in [0, 1]); what falls outside the image is clipped.
 */
export function drawText(img: RgbImage, text: string, x: number, y: number, opts: { scale?: number; colour?: readonly number[] } = {}): void {
  const s = opts.scale ?? 1, colour = opts.colour ?? [0, 0, 0];
  [...text].forEach((ch, i) => {
    glyph(ch).forEach((row, gy) => {
      for (let gx = 0; gx < row.length; gx++) {
        if (row[gx] !== '#') continue;
        for (let dy = 0; dy < s; dy++) {
          for (let dx = 0; dx < s; dx++) {
            const px = x + (i * ADVANCE + gx) * s + dx, py = y + gy * s + dy;
            if (px < 0 || py < 0 || px >= img.width || py >= img.height) continue;
            for (let c = 0; c < 3; c++) img.data[(py * img.width + px) * img.channels + c] = colour[c]!;
          }
        }
      }
    });
  });
}

/**
 * `text` in white on a dark box whose top-left corner is at (x, y), a margin of two font pixels
 * round the ink: readable on any picture (a label burnt into video frames).
 */
export function drawLabel(img: RgbImage, text: string, x: number, y: number, scale = 1): void {
  const pad = 2 * scale;
  const [w, h] = [textWidth(text, scale) + 2 * pad, GLYPH_HEIGHT * scale + 2 * pad];
  for (let py = Math.max(0, y); py < Math.min(img.height, y + h); py++) {
    for (let px = Math.max(0, x); px < Math.min(img.width, x + w); px++) {
      for (let c = 0; c < 3; c++) img.data[(py * img.width + px) * img.channels + c] = LABEL_BOX;
    }
  }
  drawText(img, text, x + pad, y + pad, { scale, colour: [1, 1, 1] });
}

const LABEL_BOX = 0.1;
