// Conv 3×3 64→64 on [16, 96, 96, 64] (an SRResNet residual-block conv at training batch size):
// forward, input gradient and weight gradient, in GFLOP/s (2·N·Ho·Wo·Cout·Cin·KH·KW per call).
//   npx tsx bench/conv.ts              both backends (one child process each)
//   VIVID_BACKEND=opengl npx tsx bench/conv.ts
//   BENCH_N=4 BENCH_CASES=forward,weights BENCH_ITERS=3 ...   smaller batch / some cases / fewer runs
// Writes bench/results/conv-<backend>.json.

import { Runtime } from '../src/graph/runtime.ts';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeights } from '../src/kernels/conv2d/index.ts';
import { Rng } from '../src/util/rng.ts';
import { forEachBackend, printTable, saveJson, timeGpu, type Row } from './lib.ts';

if (!forEachBackend(import.meta.url)) await main();

async function main(): Promise<void> {
  const rt = await Runtime.create();
  const backend = rt.gpu.backend;
  const [N, H, W, C, K] = [Number(process.env.BENCH_N ?? 16), 96, 96, 64, 3];
  const rng = new Rng(1);
  const rand = (n: number, s: number) => Float32Array.from({ length: n }, () => rng.normal() * s);
  const x = rt.tensor([N, H, W, C], rand(N * H * W * C, 1));
  const w = rt.tensor([K, K, C, C], rand(K * K * C * C, 1 / Math.sqrt(K * K * C)));
  const dy = rt.tensor([N, H, W, C], rand(N * H * W * C, 1));
  const flops = 2 * N * H * W * C * C * K * K;
  const shape = `[${N},${H},${W},${C}] ${K}×${K} ${C}→${C}`;

  const only = process.env.BENCH_CASES?.split(',');
  const iters = Number(process.env.BENCH_ITERS ?? 7);
  const direct = { algorithm: 'direct' } as const;
  const cases: Array<[string, () => void]> = [
    ['forward', () => conv2d(rt, x, w, null).dispose()],
    ['forward (direct)', () => conv2d(rt, x, w, null, direct).dispose()],
    ['backward-input', () => conv2dBackwardInput(rt, dy, w, x.shape).dispose()],
    ['backward-input (direct)', () => conv2dBackwardInput(rt, dy, w, x.shape, direct).dispose()],
    ['backward-weights', () => conv2dBackwardWeights(rt, x, dy, w.shape).dispose()],
  ];
  const rows: Row[] = [];
  for (const [name, fn] of cases) {
    if (only && !only.some((o) => name.includes(o))) continue;
    rows.push(await timeGpu(rt, `${name} ${shape}`, flops, fn, iters));
  }

  const device = `${rt.gpu.info.vendor} ${rt.gpu.info.architecture} ${rt.gpu.info.description}`.trim();
  printTable(`conv2d on ${backend} (${device})`, rows);
  const file = saveJson(`conv-${backend}`, { backend, device, date: new Date().toISOString(), rows });
  console.log(`wrote ${file}`);
  rt.destroy();
}
