// onnxruntime-node side of `npm run bench` (bench/run.ts starts it, one process per case):
//   tsx bench/ort-case.ts --case ID --dir D [--runs-min 2 --runs-max 5 --budget-s 30]
// gen cases: the bench's generator weights (D/weights-vivid.safetensors) written as ONNX by
// viVID's exporter (src/models/onnx-export.ts), run on the CPU execution provider with its
// default threading; the first call's output goes to D/out-ort-cpu-ID.safetensors (NHWC, as
// viVID's), then timed calls. job: bench/ort-upscale.mjs (what a user of onnxruntime-node
// writes) on D/in-ID.png with D/model-job.onnx, each run a fresh process. One JSON line on stdout.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { readImage } from '../src/io/image.ts';
import { PAPER_SRRESNET } from '../src/models/generator.ts';
import { fromNchw, generatorToOnnx, toNchw } from '../src/models/onnx-export.ts';
import { caseById, need, parseFlags, readF32File, timeCalls, timeProcesses, writeF32File, type HostMap, type WorkerResult } from './common.ts';

const args = parseFlags(process.argv.slice(2));
const dir = args.get('dir')!;
const c = caseById(args.get('case') ?? '');
const SCRIPT = fileURLToPath(new URL('./ort-upscale.mjs', import.meta.url));

async function main(): Promise<void> {
  const res: WorkerResult = { backend: 'ort-cpu', case: c.id, adapter: `onnxruntime-node ${ort.env.versions.node ?? ''} CPU execution provider` };
  const out: HostMap = new Map();
  const [n, h, w] = c.shape;
  const runs = { minRuns: Number(args.get('runs-min') ?? 2), maxRuns: Number(args.get('runs-max') ?? 5), budgetMs: Number(args.get('budget-s') ?? 30) * 1000 };
  if (c.kind === 'job') {
    const png = join(dir, `out-ort-cpu-${c.id}.png`);
    res.impl = 'bench/ort-upscale.mjs: sharp decode, InferenceSession.run on the whole image, sharp encode';
    res.timing = timeProcesses([process.execPath, SCRIPT, join(dir, 'model-job.onnx'), join(dir, `in-${c.id}.png`), png], runs.minRuns);
    const img = await readImage(png);
    out.set('output', { shape: [1, img.height, img.width, 3], data: img.data });
  } else if (c.kind === 'gen') {
    const session = await ort.InferenceSession.create(generatorToOnnx({ config: PAPER_SRRESNET, weights: readF32File(join(dir, 'weights-vivid.safetensors')) }));
    const input = new ort.Tensor('float32', toNchw(need(readF32File(join(dir, `in-${c.id}.safetensors`)), 'input').data, n, h, w), [n, 3, h, w]);
    res.impl = 'viVID ONNX export (Conv, DepthToSpace, PRelu, Add), default session options';
    const t0 = performance.now();
    const first = (await session.run({ input })).output!;
    res.firstMs = performance.now() - t0;
    out.set('output', { shape: [n, 4 * h, 4 * w, 3], data: fromNchw(first.data as Float32Array, n, 4 * h, 4 * w) });
    res.timing = await timeCalls(async () => void (await session.run({ input })), { warmup: res.firstMs < 10000 ? 1 : 0, ...runs, knownMs: res.firstMs });
  } else throw new Error(`${c.id}: no onnxruntime counterpart`);
  writeF32File(join(dir, `out-ort-cpu-${c.id}.safetensors`), out, { backend: res.backend, case: c.id });
  console.log(JSON.stringify(res));
}

await main();
