// One tfjs benchmark case on one backend, in this process; prints one JSON line on stdout.
//   npx tsx bench/tfjs/run.ts --backend webgpu-opengl --case conv-fwd [--runs 5] [--warmup 2]
//        [--mode folded|eval] [--output tanh|linear] [--seed 1] [--weights w.safetensors]
//        [--dump out.safetensors]   (write the case's inputs and output instead of timing)
//        [--force]                  (allow a large case on the cpu backend)
// Backends: webgpu-vulkan, webgpu-opengl, wasm, cpu. Cases: see CASES in cases.ts.
import { initTfjs, isTfjsBackend } from './backends.ts';
import { CASES, time, type CaseOptions } from './cases.ts';
import { parseArgs, readF32, writeF32 } from './args.ts';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const backend = args.get('backend') ?? 'webgpu-opengl';
  const caseName = args.get('case') ?? 'conv-fwd';
  if (!isTfjsBackend(backend)) throw new Error(`--backend ${backend}: use webgpu-vulkan, webgpu-opengl, wasm or cpu`);
  const c = CASES[caseName];
  if (!c) throw new Error(`--case ${caseName}: one of ${Object.keys(CASES).join(', ')}`);
  if (backend === 'cpu' && !c.small && !args.has('force')) throw new Error(`${caseName} is too large for the cpu backend (use a -small case, or --force)`);
  const mode = args.get('mode') ?? 'folded';
  const output = args.get('output') ?? 'tanh';
  if (mode !== 'folded' && mode !== 'eval') throw new Error('--mode folded|eval');
  if (output !== 'tanh' && output !== 'linear') throw new Error('--output tanh|linear');
  const opts: CaseOptions = { genMode: mode, output, seed: Number(args.get('seed') ?? 1) };
  if (args.has('weights')) opts.weights = readF32(args.get('weights')!);

  const { tf, info } = await initTfjs(backend);
  const prepared = await c.setup(tf, info, opts);
  const base = { case: caseName, describe: c.describe, backend, impl: prepared.impl, mode, output, tfjs: info.tfjsVersion, adapter: info.adapter, wasm: info.wasm };
  const dumpPath = args.get('dump');
  if (dumpPath) {
    writeF32(dumpPath, await prepared.dump(), { case: caseName, backend, mode, output, seed: String(opts.seed) });
    console.log(JSON.stringify({ ...base, dumped: dumpPath }));
  } else {
    const timing = await time(prepared, Number(args.get('runs') ?? 5), Number(args.get('warmup') ?? 2));
    console.log(JSON.stringify({ ...base, ...timing }));
  }
  prepared.dispose();
}

await main();
