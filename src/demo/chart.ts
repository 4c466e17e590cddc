// A procedurally drawn resolution chart for the demo, so it needs no image files: a zone plate
// (circular chirp — every spatial frequency, every orientation), a Siemens star (radial spokes),
// bar groups of shrinking pitch (like the USAF 1951 target, a stand-in for text), and colour
// gradients. Drawn at high resolution with 4×4 supersampling; the demo shrinks it with bicubic
// to get a realistic low-resolution input.

import { createImage, type RgbImage } from '../io/image.ts';

type Rgb = [number, number, number];

function hsv(h: number, s: number, v: number): Rgb {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

/** Colour of the chart at a continuous point (u, v) in HR pixels. */
function shade(u: number, v: number, W: number, H: number): Rgb {
  const gradTop = H * 0.82;
  if (v >= gradTop) {
    // Bottom band: hue ramp over a brightness ramp.
    const t = (v - gradTop) / (H - gradTop);
    return hsv(u / W, 0.9, 1 - 0.6 * t);
  }
  const zone = { cx: H * 0.41, cy: H * 0.41, r: H * 0.38 };
  const dz = Math.hypot(u - zone.cx, v - zone.cy);
  if (dz < zone.r) {
    // Zone plate: cos(k r²), frequency rising to about Nyquist/2 of the LR image at the rim.
    const k = Math.PI / (zone.r * 8);
    const g = 0.5 + 0.5 * Math.cos(k * dz * dz);
    return [g, g, g];
  }
  const star = { cx: W * 0.66, cy: H * 0.3, r: H * 0.26 };
  const ds = Math.hypot(u - star.cx, v - star.cy);
  if (ds < star.r) {
    const a = Math.atan2(v - star.cy, u - star.cx);
    const on = Math.sin(a * 24) > 0; // 24 spoke pairs
    return on ? [0.08, 0.08, 0.1] : [0.95, 0.93, 0.85];
  }
  // Bar groups right of the zone plate, below the star: pitch halves every group.
  const bx0 = W * 0.47, by0 = H * 0.6, bh = H * 0.18;
  if (v >= by0 && v < by0 + bh && u >= bx0) {
    let x = bx0;
    for (let g = 0, pitch = 16; pitch >= 2 && x < W; g++, pitch = Math.max(2, pitch * 0.7)) {
      const width = pitch * 5; // 5 pitches: 2.5 bars and gaps
      if (u < x + width) {
        const horizontal = g % 2 === 1;
        const p = horizontal ? (v - by0) % pitch : (u - x) % pitch;
        const ink = p < pitch / 2;
        const tint: Rgb = g % 3 === 0 ? [0.1, 0.1, 0.1] : g % 3 === 1 ? [0.55, 0.1, 0.1] : [0.1, 0.2, 0.55];
        return ink ? tint : [0.96, 0.96, 0.94];
      }
      x += width + pitch * 2;
    }
  }
  // Background: a soft diagonal gradient.
  const t = (u / W + v / H) / 2;
  return [0.75 - 0.25 * t, 0.78 - 0.15 * t, 0.82];
}

/** The chart at width×height (HR), values in [0,1]. */
export function drawChart(width = 480, height = 360): RgbImage {
  const img = createImage(width, height, 3);
  const S = 4;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const c = shade(x + (sx + 0.5) / S, y + (sy + 0.5) / S, width, height);
          r += c[0];
          g += c[1];
          b += c[2];
        }
      }
      const i = (y * width + x) * 3;
      img.data[i] = r / (S * S);
      img.data[i + 1] = g / (S * S);
      img.data[i + 2] = b / (S * S);
    }
  }
  return img;
}

/** a | b side by side with a `gap`-pixel separator (same height; RGB). */
export function sideBySide(a: RgbImage, b: RgbImage, gap = 4, colour: Rgb = [1, 1, 1]): RgbImage {
  const H = Math.max(a.height, b.height);
  const W = a.width + gap + b.width;
  const out = createImage(W, H, 3);
  for (let p = 0; p < W * H; p++) out.data.set(colour, p * 3);
  const blit = (img: RgbImage, x0: number) => {
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        const s = (y * img.width + x) * img.channels, d = (y * W + x0 + x) * 3;
        out.data[d] = img.data[s]!;
        out.data[d + 1] = img.data[s + 1]!;
        out.data[d + 2] = img.data[s + 2]!;
      }
    }
  };
  blit(a, 0);
  blit(b, a.width + gap);
  return out;
}
