// ONNX export: the exported model, run by onnxruntime-node (CPU), gives what viVID's own
// inference gives on the same input (≥ 45 dB PSNR; fp32 on both sides, so in practice > 100 dB):
// the shipped models, PyTorch imports from ../shared, and tiny random generators covering every
// config branch (tanh / shift / linear heads, shared slopes, no BN, ×2 / ×8, the bicubic skip).
// Odd sizes, and one session run at two sizes and a batch of 2 (the dimensions are dynamic).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/graph/runtime.ts';
import type { GeneratorConfig } from '../../src/models/generator.ts';
import { InferenceGenerator } from '../../src/models/inference.ts';
import { loadGenerator, saveGenerator } from '../../src/models/load.ts';
import { generatorToOnnx, toNchw } from '../../src/models/onnx-export.ts';
import type { HostTensor } from '../../src/graph/tensor.ts';
import type { Rng } from '../../src/util/rng.ts';
import { runCli, tempDir } from '../helpers/cli.ts';
import { gpu, seeded } from '../helpers/gpu.ts';
import { hasShared, sharedPath } from '../helpers/shared.ts';
import { TINY_CONFIG, tinyWeights } from '../helpers/tiny-model.ts';

interface Gen {
  config: GeneratorConfig;
  weights: Map<string, HostTensor>;
}

function psnr(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10(1 / (se / a.length));
}

/** PSNR between onnxruntime's output and viVID's for each [n, h, w] input, on one session. */
async function agreement(rt: Runtime, g: Gen, rng: Rng, sizes: Array<[number, number, number]>): Promise<number[]> {
  const session = await ort.InferenceSession.create(generatorToOnnx(g));
  expect(session.inputNames).toEqual(['input']);
  expect(session.outputNames).toEqual(['output']);
  const model = new InferenceGenerator(rt, g.config, g.weights);
  const s = g.config.scale;
  const out: number[] = [];
  try {
    for (const [n, h, w] of sizes) {
      const x = rng.fill(n * h * w * 3, (r) => r.uniform(0, 1));
      const input = rt.tensor([n, h, w, 3], x);
      const y = model.forward(input);
      const mine = toNchw(await y.read(), n, h * s, w * s);
      input.dispose();
      y.dispose();
      const r = await session.run({ input: new ort.Tensor('float32', toNchw(x, n, h, w), [n, 3, h, w]) });
      expect(r.output!.dims).toEqual([n, 3, h * s, w * s]);
      out.push(psnr(r.output!.data as Float32Array, mine));
    }
  } finally {
    model.dispose();
    await session.release();
  }
  return out;
}

describe('ONNX export against onnxruntime-node', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await gpu();
  });

  for (const name of ['srresnet-x4', 'srgan-x4']) {
    it(`shipped ${name}: ≥ 45 dB at 13×17, 9×7 and a batch of 2`, async () => {
      await seeded(name, async (rng) => {
        const got = await agreement(rt, loadGenerator(name), rng, [[1, 13, 17], [1, 9, 7], [2, 5, 6]]);
        for (const db of got) expect(db).toBeGreaterThanOrEqual(45);
      });
    });
  }

  for (const file of ['weights/srresnet8-pytorch/srresnet8_x4.pth', 'weights/leftthomas-srgan/netG_epoch_2_100.pth']) {
    it.skipIf(!hasShared(file))(`PyTorch-imported ${file.split('/').pop()}: ≥ 45 dB at 11×9`, async () => {
      await seeded(file, async (rng) => {
        const [db] = await agreement(rt, loadGenerator(sharedPath(file)), rng, [[1, 11, 9]]);
        expect(db).toBeGreaterThanOrEqual(45);
      });
    });
  }

  const variants: Array<[string, GeneratorConfig]> = [
    ['shift head, BN', TINY_CONFIG],
    ['×2, tanh head, shared slopes, no BN, conv-prelu post, block bias, bicubic skip', { ...TINY_CONFIG, scale: 2, head: 'tanh', prelu: 'shared', batchNorm: false, post: 'conv-prelu', blockBias: true, skip: 'bicubic' }],
    ['×8, linear head, bicubic skip', { ...TINY_CONFIG, scale: 8, blocks: 1, head: 'linear', skip: 'bicubic' }],
  ];
  for (const [what, config] of variants) {
    it(`tiny generator (${what}): ≥ 45 dB at 7×5`, async () => {
      await seeded(what, async (rng, seed) => {
        const [db] = await agreement(rt, { config, weights: await tinyWeights(rt, seed, config) }, rng, [[1, 7, 5]]);
        expect(db).toBeGreaterThanOrEqual(45);
      });
    });
  }
});

describe('vivid export', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await gpu();
  });
  it('--onnx writes a model onnxruntime loads; --json reports it', async () => {
    const dir = tempDir();
    const model = join(dir, 'tiny.safetensors'), out = join(dir, 'tiny.onnx');
    saveGenerator(model, TINY_CONFIG, await tinyWeights(rt));
    const r = await runCli(['export', '--onnx', out, '--model', model, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout) as { output: string; bytes: number; config: GeneratorConfig; opset: number };
    expect(info).toMatchObject({ output: out, config: TINY_CONFIG, opset: 13 });
    expect(info.bytes).toBe(readFileSync(out).length);
    const session = await ort.InferenceSession.create(out);
    const y = await session.run({ input: new ort.Tensor('float32', new Float32Array(3 * 3 * 5).fill(0.5), [1, 3, 3, 5]) });
    expect(y.output!.dims).toEqual([1, 3, 12, 20]);
    await session.release();
  });

  it('refuses an output that is not .onnx and a missing --onnx, before loading anything', async () => {
    const dir = tempDir();
    const r = await runCli(['export', '--onnx', join(dir, 'x.bin'), '--model', 'no-such-model']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ONNX output must end in \.onnx, got .*x\.bin/);
    expect(existsSync(join(dir, 'x.bin'))).toBe(false);
    const m = await runCli(['export', '--model', 'srresnet-x4']);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/missing --onnx <file>/);
    const c = await runCli(['convert', 'in.pth', 'out.onnx']);
    expect(c.stderr).toMatch(/for ONNX run `vivid export --onnx out\.onnx --model in\.pth`/);
  });
});
