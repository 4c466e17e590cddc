// A tiny random-weight generator (×4, 2 blocks, 8 channels) for tests that exercise the
// plumbing (tiling, CLI, video) rather than image quality: seconds instead of minutes on a
// software adapter. Batch-norm statistics are perturbed so that folding them is not a no-op.

import { Generator, type GeneratorConfig } from '../../src/models/generator.ts';
import { saveGenerator } from '../../src/models/load.ts';
import type { HostTensor } from '../../src/graph/tensor.ts';
import type { Runtime } from '../../src/graph/runtime.ts';
import { Rng } from '../../src/util/rng.ts';

export const TINY_CONFIG: GeneratorConfig = {
  scale: 4,
  blocks: 2,
  channels: 8,
  batchNorm: true,
  prelu: 'channel',
  blockBias: false,
  post: 'conv-bn',
  head: 'shift',
};

export async function tinyWeights(rt: Runtime, seed = 7, config: GeneratorConfig = TINY_CONFIG): Promise<Map<string, HostTensor>> {
  const g = new Generator(rt, config, seed);
  const weights: Map<string, HostTensor> = await g.eval().snapshot();
  g.dispose();
  const rng = new Rng(seed + 1);
  for (const [name, t] of weights) {
    const d = t.data;
    if (name.endsWith('.running_mean')) for (let i = 0; i < d.length; i++) d[i] = 0.1 * rng.normal();
    else if (name.endsWith('.running_var')) for (let i = 0; i < d.length; i++) d[i] = 0.5 + rng.uniform(0, 1);
    else if (name.endsWith('.gamma')) for (let i = 0; i < d.length; i++) d[i] = 1 + 0.2 * rng.normal();
    else if (name.endsWith('.beta')) for (let i = 0; i < d.length; i++) d[i] = 0.1 * rng.normal();
  }
  return weights;
}

/** Save the tiny generator as a viVID .safetensors file (what the CLI tests pass as --model). */
export async function saveTinyModel(rt: Runtime, path: string, seed = 7): Promise<void> {
  saveGenerator(path, TINY_CONFIG, await tinyWeights(rt, seed));
}
