// The five 9×9 convolutions with 3 channels on one side in an SRResNet MSE training step at the
// paper's batch (16 × 24×24 LR → 96×96 HR): the head conv 3→64 at 24×24 (forward, weight
// gradient; its input needs no gradient) and the tail conv 64→3 at 96×96 (forward, input
// gradient, weight gradient). Each with conv2d's routing ('auto') and, for comparison, on the
// generic direct kernels ('direct').
//   VIVID_BACKEND=opengl npx tsx bench/conv-rgb.ts           (both backends without VIVID_BACKEND)
//   BENCH_N=4 BENCH_CASES=tail BENCH_ITERS=3 BENCH_DIRECT=0 ...  smaller batch / some cases / fewer runs / skip 'direct'
// Prints a table; writes nothing.

import { Runtime } from '../src/graph/runtime.ts';
import type { Tensor } from '../src/graph/tensor.ts';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeights } from '../src/kernels/conv2d/index.ts';
import { Rng } from '../src/util/rng.ts';
import { forEachBackend, printTable, timeGpu, type Row } from './lib.ts';

if (!forEachBackend(import.meta.url)) await main();

async function main(): Promise<void> {
  const rt = await Runtime.create();
  const N = Number(process.env.BENCH_N ?? 16);
  const only = process.env.BENCH_CASES?.split(',');
  const iters = Number(process.env.BENCH_ITERS ?? 5);
  const withDirect = process.env.BENCH_DIRECT !== '0';
  const rng = new Rng(1);
  const rand = (shape: number[], s: number) => rt.tensor(shape, Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal() * s));
  const K = 9;
  // head: x [N,24,24,3], w [9,9,3,64]; tail: x [N,96,96,64], w [9,9,64,3].
  const hx = rand([N, 24, 24, 3], 1), hw = rand([K, K, 3, 64], 1 / Math.sqrt(K * K * 3)), hdy = rand([N, 24, 24, 64], 1);
  const tx = rand([N, 96, 96, 64], 1), tw = rand([K, K, 64, 3], 1 / Math.sqrt(K * K * 64)), tdy = rand([N, 96, 96, 3], 1);
  const flops = (px: number) => 2 * px * 3 * 64 * K * K;
  const headF = flops(N * 24 * 24), tailF = flops(N * 96 * 96);
  const cases: Array<[string, number, (o: { algorithm?: 'direct' }) => Tensor]> = [
    ['head forward 3→64 24×24', headF, (o) => conv2d(rt, hx, hw, null, o)],
    ['head weights 3→64 24×24', headF, (o) => conv2dBackwardWeights(rt, hx, hdy, hw.shape, o)],
    ['tail forward 64→3 96×96', tailF, (o) => conv2d(rt, tx, tw, null, o)],
    ['tail input 64→3 96×96', tailF, (o) => conv2dBackwardInput(rt, tdy, tw, tx.shape, o)],
    ['tail weights 64→3 96×96', tailF, (o) => conv2dBackwardWeights(rt, tx, tdy, tw.shape, o)],
  ];
  const rows: Row[] = [];
  for (const [name, f, fn] of cases) {
    if (only && !only.some((o) => name.includes(o))) continue;
    rows.push(await timeGpu(rt, `${name} (auto)`, f, () => fn({}).dispose(), iters));
    if (withDirect) rows.push(await timeGpu(rt, `${name} (direct)`, f, () => fn({ algorithm: 'direct' }).dispose(), iters));
  }
  printTable(`9×9 RGB convs, N = ${N}, on ${rt.gpu.backend}`, rows);
  rt.destroy();
}
