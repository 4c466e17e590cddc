// Text drawn on an image, as a comparable string: the '#'/'.' pattern of the dark pixels inside
// their bounding box (rows joined by '|'), or '' when the region holds no ink. Two regions show
// the same text when their patterns are equal, wherever the text sits inside them.

import type { RgbImage } from '../../src/io/image.ts';

export function inkPattern(img: RgbImage, box: { x: number; y: number; width: number; height: number } = { x: 0, y: 0, width: img.width, height: img.height }): string {
  const ink = (x: number, y: number) => img.data[(y * img.width + x) * img.channels]! < 0.5;
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let y = box.y; y < box.y + box.height; y++) {
    for (let x = box.x; x < box.x + box.width; x++) {
      if (!ink(x, y)) continue;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  if (x1 < 0) return '';
  const rows: string[] = [];
  for (let y = y0; y <= y1; y++) {
    let row = '';
    for (let x = x0; x <= x1; x++) row += ink(x, y) ? '#' : '.';
    rows.push(row);
  }
  return rows.join('|');
}
