// Colour fidelity of SR against HR: what PSNR-Y cannot see. A GAN can keep luma and shift hue
// or saturation (the early srgan-x4 shifted faces); the mean per-channel bias and the mean
// CIELAB colour difference ΔE*ab (CIE76) measure that. sRGB in, D65 white.

import type { RgbImage } from '../io/image.ts';

export interface ColourFidelity {
  /** Mean SR − HR per channel (R, G, B) on the 0..255 scale. */
  bias_rgb: [number, number, number];
  /** Mean CIE76 ΔE*ab = |Lab(SR) − Lab(HR)| per pixel (1 ≈ a just-noticeable difference). */
  delta_e: number;
}

const D65 = [0.95047, 1.0, 1.08883] as const;

function srgbToLinear(v: number): number {
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

function labF(t: number): number {
  const d = 6 / 29;
  return t > d ** 3 ? Math.cbrt(t) : t / (3 * d * d) + 4 / 29;
}

/** CIELAB (L*, a*, b*) of an sRGB colour with components in [0,1]. */
export function srgbToLab(r: number, g: number, b: number): [number, number, number] {
  const R = srgbToLinear(r), G = srgbToLinear(g), B = srgbToLinear(b);
  const x = (0.4124564 * R + 0.3575761 * G + 0.1804375 * B) / D65[0];
  const y = (0.2126729 * R + 0.7151522 * G + 0.072175 * B) / D65[1];
  const z = (0.0193339 * R + 0.119192 * G + 0.9503041 * B) / D65[2];
  const fx = labF(x), fy = labF(y), fz = labF(z);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/** Bias and ΔE over the region left after shaving `shave` pixels; images RGB or RGBA in [0,1]. */
export function colourFidelity(sr: RgbImage, hr: RgbImage, shave = 0): ColourFidelity {
  if (sr.width !== hr.width || sr.height !== hr.height) throw new Error(`colourFidelity: shapes differ (${sr.width}x${sr.height} vs ${hr.width}x${hr.height})`);
  const { width: w, height: h } = hr;
  if (w <= 2 * shave || h <= 2 * shave) throw new Error(`colourFidelity: shave ${shave} leaves nothing of ${w}x${h}`);
  const bias = [0, 0, 0];
  let de = 0;
  for (let y = shave; y < h - shave; y++) {
    for (let x = shave; x < w - shave; x++) {
      const i = (y * w + x) * sr.channels, j = (y * w + x) * hr.channels;
      for (let c = 0; c < 3; c++) bias[c]! += sr.data[i + c]! - hr.data[j + c]!;
      const a = srgbToLab(sr.data[i]!, sr.data[i + 1]!, sr.data[i + 2]!);
      const b = srgbToLab(hr.data[j]!, hr.data[j + 1]!, hr.data[j + 2]!);
      de += Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    }
  }
  const n = (w - 2 * shave) * (h - 2 * shave);
  return { bias_rgb: [(255 * bias[0]!) / n, (255 * bias[1]!) / n, (255 * bias[2]!) / n], delta_e: de / n };
}
