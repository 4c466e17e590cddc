// Loss and validation history for the curves. Per-step losses are averaged into bins; when
// there are more than MAX_POINTS bins, neighbours merge and the bin width doubles, so a
// million-step run still stores ~1000 points in every checkpoint. The whole state (including
// the partly filled bin) is JSON, saved in checkpoints so a resumed run draws the same curves.

import type { StepLosses } from './types.ts';

export const LOSS_KEYS = ['g', 'mse', 'content', 'adversarial', 'd'] as const;
export type LossKey = (typeof LOSS_KEYS)[number];

export interface LossPoint {
  /** Last step in the bin. */
  step: number;
  /** Steps averaged. */
  n: number;
  lr: number;
  /** Mean of each loss present. */
  losses: Partial<Record<LossKey, number>>;
}

export interface ValidationPoint {
  step: number;
  psnr_y: number;
  ssim_y: number;
  bicubic_psnr_y: number;
  bicubic_ssim_y: number;
}

export interface HistoryJSON {
  bin: number;
  points: LossPoint[];
  /** Sums of the bin being filled (n < bin). */
  acc: LossPoint | null;
  validation: ValidationPoint[];
}

export const MAX_POINTS = 1000;

function merge(a: LossPoint, b: LossPoint): LossPoint {
  const losses: Partial<Record<LossKey, number>> = {};
  for (const k of LOSS_KEYS) {
    const x = a.losses[k], y = b.losses[k];
    if (x !== undefined && y !== undefined) losses[k] = (x * a.n + y * b.n) / (a.n + b.n);
  }
  return { step: b.step, n: a.n + b.n, lr: b.lr, losses };
}

export class History {
  bin = 1;
  points: LossPoint[] = [];
  private acc: LossPoint | null = null;
  validation: ValidationPoint[] = [];

  static fromJSON(j: HistoryJSON): History {
    const h = new History();
    h.bin = j.bin;
    h.points = structuredClone(j.points);
    h.acc = j.acc ? structuredClone(j.acc) : null;
    h.validation = structuredClone(j.validation);
    return h;
  }

  toJSON(): HistoryJSON {
    return structuredClone({ bin: this.bin, points: this.points, acc: this.acc, validation: this.validation });
  }

  add(step: number, l: StepLosses, lr: number): void {
    const losses: Partial<Record<LossKey, number>> = {};
    for (const k of LOSS_KEYS) if (l[k] !== undefined) losses[k] = l[k];
    const p: LossPoint = { step, n: 1, lr, losses };
    this.acc = this.acc ? merge(this.acc, p) : p;
    if (this.acc.n < this.bin) return;
    this.points.push(this.acc);
    this.acc = null;
    if (this.points.length > MAX_POINTS) {
      const merged: LossPoint[] = [];
      for (let i = 0; i + 1 < this.points.length; i += 2) merged.push(merge(this.points[i]!, this.points[i + 1]!));
      // An odd last bin becomes the partly filled bin of the doubled width.
      this.acc = this.points.length % 2 ? this.points.at(-1)! : null;
      this.points = merged;
      this.bin *= 2;
    }
  }

  /** Points to draw: the full bins and the partly filled one. */
  drawable(): LossPoint[] {
    return this.acc ? [...this.points, this.acc] : [...this.points];
  }
}

/** The losses present, for messages: `g 0.0123 mse 0.0123`. */
export function formatLosses(l: StepLosses): string {
  return LOSS_KEYS.filter((k) => l[k] !== undefined).map((k) => `${k} ${l[k]!.toPrecision(4)}`).join(' ');
}
