// out/curves.html: a self-contained page (inline SVG, no scripts, no network) with the loss
// curves on a log scale and validation PSNR/SSIM against the bicubic baseline.

import type { History, LossKey } from './history.ts';
import { LOSS_KEYS } from './history.ts';

const COLORS: Record<LossKey, string> = { g: '#1f77b4', mse: '#2ca02c', content: '#9467bd', adversarial: '#ff7f0e', d: '#d62728' };
const W = 760, H = 300, M = { l: 64, r: 16, t: 16, b: 36 };

interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
  dashed?: boolean;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1000 || a < 0.01 ? v.toExponential(1) : String(Number(v.toPrecision(3)));
}

function chart(title: string, series: Series[], opts: { logY: boolean; yLabel: string }): string {
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y) && (!opts.logY || y > 0));
  if (!all.length) return `<h2>${esc(title)}</h2><p>no data yet</p>`;
  const tf = (y: number) => (opts.logY ? Math.log10(y) : y);
  let x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  let y0 = Math.min(...all.map((p) => tf(p[1]))), y1 = Math.max(...all.map((p) => tf(p[1])));
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad; y1 += pad;
  if (x0 > 0 && x0 < (x1 - x0) * 0.1) x0 = 0;
  const px = (x: number) => M.l + ((x - x0) / (x1 - x0)) * (W - M.l - M.r);
  const py = (y: number) => H - M.b - ((tf(y) - y0) / (y1 - y0)) * (H - M.t - M.b);
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const ty = y0 + ((y1 - y0) * i) / 4;
    const y = H - M.b - (i / 4) * (H - M.t - M.b);
    parts.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    parts.push(`<text x="${M.l - 6}" y="${y + 4}" text-anchor="end">${fmt(opts.logY ? 10 ** ty : ty)}</text>`);
    const tx = x0 + ((x1 - x0) * i) / 4;
    const x = px(tx);
    parts.push(`<text x="${x}" y="${H - M.b + 16}" text-anchor="middle">${Math.round(tx)}</text>`);
  }
  parts.push(`<text x="${(W + M.l) / 2}" y="${H - 4}" text-anchor="middle">step</text>`);
  parts.push(`<text x="14" y="${(H - M.b) / 2}" transform="rotate(-90 14 ${(H - M.b) / 2})" text-anchor="middle">${esc(opts.yLabel)}</text>`);
  parts.push(`<rect x="${M.l}" y="${M.t}" width="${W - M.l - M.r}" height="${H - M.t - M.b}" fill="none" stroke="#888"/>`);
  series.forEach((s, i) => {
    const pts = s.points.filter(([, y]) => Number.isFinite(y) && (!opts.logY || y > 0));
    if (!pts.length) return;
    const d = pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="5 4"' : '';
    parts.push(pts.length === 1
      ? `<circle cx="${px(pts[0]![0])}" cy="${py(pts[0]![1])}" r="3" fill="${s.color}"/>`
      : `<polyline points="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"${dash}/>`);
    parts.push(`<text x="${M.l + 10 + i * 130}" y="${M.t + 14}" fill="${s.color}">— ${esc(s.name)}</text>`);
  });
  return `<h2>${esc(title)}</h2>\n<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">${parts.join('')}</svg>`;
}

export function renderCurves(history: History, title: string): string {
  const pts = history.drawable();
  const losses: Series[] = LOSS_KEYS.filter((k) => pts.some((p) => p.losses[k] !== undefined)).map((k) => ({
    name: k,
    color: COLORS[k],
    points: pts.filter((p) => p.losses[k] !== undefined).map((p) => [p.step, p.losses[k]!] as [number, number]),
  }));
  const v = history.validation;
  const psnr: Series[] = [
    { name: 'SR PSNR-Y', color: '#1f77b4', points: v.map((p) => [p.step, p.psnr_y]) },
    { name: 'bicubic', color: '#888', points: v.map((p) => [p.step, p.bicubic_psnr_y]), dashed: true },
  ];
  const ssim: Series[] = [
    { name: 'SR SSIM-Y', color: '#2ca02c', points: v.map((p) => [p.step, p.ssim_y]) },
    { name: 'bicubic', color: '#888', points: v.map((p) => [p.step, p.bicubic_ssim_y]), dashed: true },
  ];
  const last = v.at(-1);
  const summary = last ? `<p>Last validation (step ${last.step}): PSNR-Y ${last.psnr_y.toFixed(2)} dB, SSIM-Y ${last.ssim_y.toFixed(4)} (bicubic ${last.bicubic_psnr_y.toFixed(2)} dB / ${last.bicubic_ssim_y.toFixed(4)}).</p>` : '';
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:24px;color:#222}h2{font-size:15px;margin:20px 0 4px}</style></head>
<body><h1 style="font-size:18px">${esc(title)}</h1>
<p>Generated ${new Date().toISOString()}; losses averaged over ${history.bin}-step bins.</p>${summary}
${chart('Training losses (log scale)', losses, { logY: true, yLabel: 'loss' })}
${chart('Validation PSNR (Y, dB)', psnr, { logY: false, yLabel: 'dB' })}
${chart('Validation SSIM (Y)', ssim, { logY: false, yLabel: 'SSIM' })}
</body></html>
`;
}
