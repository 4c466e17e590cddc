// Generator output from tfjs for given weights and input, to check agreement with viVID
// (rel L2 ≤ 1e-3) before timing. Files are safetensors, F32, names as documented in srresnet.ts.
//   npx tsx bench/tfjs/generate.ts --write-weights w.safetensors [--seed 1]
//        seeded random SRResNet weights (HWIO, PyTorch pixel-shuffle order) to load into viVID
//   npx tsx bench/tfjs/generate.ts --backend webgpu-opengl --weights w.safetensors
//        --input in.safetensors --out out.safetensors [--output tanh|linear] [--mode folded|eval]
//        input: one F32 tensor (any name) [N, H, W, 3]; out gets 'output' [N, 4H, 4W, 3]
//        (and 'reference' from the float64 reference when --reference is given; tiny inputs only)
import { initTfjs, isTfjsBackend } from './backends.ts';
import { parseArgs, readF32, writeF32 } from './args.ts';
import { referenceForward } from './reference.ts';
import { SRRESNET, infer, prepareParams, randomWeights, type SrResNetConfig } from './srresnet.ts';
import { relL2 } from './util.ts';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const output = args.get('output') ?? 'tanh';
  if (output !== 'tanh' && output !== 'linear') throw new Error('--output tanh|linear');
  const cfg: SrResNetConfig = { ...SRRESNET, output };
  if (args.has('write-weights')) {
    const seed = Number(args.get('seed') ?? 1);
    writeF32(args.get('write-weights')!, randomWeights(cfg, seed), { generator: 'bench/tfjs srresnet', seed: String(seed), layout: 'HWIO' });
    console.log(JSON.stringify({ wrote: args.get('write-weights'), seed }));
    return;
  }
  const backend = args.get('backend') ?? 'webgpu-opengl';
  if (!isTfjsBackend(backend)) throw new Error(`--backend ${backend}`);
  for (const k of ['weights', 'input', 'out']) if (!args.has(k)) throw new Error(`--${k} is required`);
  const weights = readF32(args.get('weights')!);
  const inputs = [...readF32(args.get('input')!).values()];
  if (inputs.length !== 1 || inputs[0]!.shape.length !== 4) throw new Error('--input must hold exactly one [N,H,W,3] tensor');
  const input = inputs[0]!;
  const shape = input.shape as [number, number, number, number];
  const folded = (args.get('mode') ?? 'folded') === 'folded';

  const { tf, info } = await initTfjs(backend);
  const params = prepareParams(tf, weights, cfg, { fold: folded });
  const y = infer(tf, params, tf.tensor4d(input.data, shape), cfg, folded);
  const data = Float32Array.from(await y.data());
  const out = new Map([['output', { shape: [...y.shape], data }]]);
  const result: Record<string, unknown> = { backend, adapter: info.adapter, mode: folded ? 'folded' : 'eval', output, shape: y.shape, out: args.get('out') };
  if (args.has('reference')) {
    const ref = Float32Array.from(referenceForward(weights, input.data, shape, cfg));
    out.set('reference', { shape: [...y.shape], data: ref });
    result.relL2VsReference = relL2(data, ref);
  }
  writeF32(args.get('out')!, out, { backend, mode: String(result.mode), output });
  console.log(JSON.stringify(result));
}

await main();
