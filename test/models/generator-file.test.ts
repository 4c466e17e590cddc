// A generator file's config must agree with its tensors, checked once when the file is loaded:
// a damaged or hand-edited config is refused then, naming the file and the mismatch, instead of
// running with garbage (channels 0, too few blocks) or failing per image at inference.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../../src/io/weights/safetensors.ts';
import type { NamedTensor } from '../../src/io/weights/types.ts';
import { Generator, PAPER_SRRESNET, type GeneratorConfig } from '../../src/models/generator.ts';
import { WEIGHTS_DIR, loadGenerator, parseGeneratorFile } from '../../src/models/load.ts';
import { generatorTensorShapes } from '../../src/models/validate-config.ts';
import { gpu } from '../helpers/gpu.ts';

const shipped = readSafetensors(readFileSync(join(WEIGHTS_DIR, 'srresnet-x4.safetensors')));
const shippedConfig = JSON.parse(shipped.metadata['vivid.config']!) as GeneratorConfig;

/** The shipped file with its config (and optionally its tensors) changed. */
function edited(config: object, tensors: (m: Map<string, NamedTensor>) => void = () => {}): Uint8Array {
  const m = new Map(shipped.tensors);
  tensors(m);
  return writeSafetensors(m, { ...shipped.metadata, 'vivid.config': JSON.stringify(config) });
}

function refusal(bytes: Uint8Array): string {
  try {
    parseGeneratorFile(bytes, 'edited.safetensors');
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the file was accepted');
}

describe('generator file: config against tensors', () => {
  it('loads the shipped file unchanged', () => {
    expect(parseGeneratorFile(edited(shippedConfig), 'x').config).toEqual(shippedConfig);
  });

  it('refuses channels 0 and other out-of-range or unknown config fields, naming the field', () => {
    expect(refusal(edited({ ...shippedConfig, channels: 0 }))).toMatch(/^edited\.safetensors: vivid\.config\.channels: must be ≥ 1, got 0/);
    expect(refusal(edited({ ...shippedConfig, scale: 3 }))).toMatch(/vivid\.config\.scale: must be one of 2, 4, 8, got 3/);
    expect(refusal(edited({ ...shippedConfig, blocks: 2.5 }))).toMatch(/vivid\.config\.blocks: expected an integer/);
    expect(refusal(edited({ ...shippedConfig, colour: 'red' }))).toMatch(/vivid\.config\.colour: unknown field/);
    const { head: _, ...noHead } = shippedConfig;
    expect(refusal(edited(noHead))).toMatch(/vivid\.config\.head: is missing/);
  });

  it('refuses blocks 2 on an 8-block file: the unused tensors are named, and what the tensors look like', () => {
    const msg = refusal(edited({ ...shippedConfig, blocks: 2 }));
    expect(msg).toMatch(/^edited\.safetensors: the generator config .* does not match the file's tensors: unused tensor blocks\.2\./);
    expect(msg).toMatch(/and \d+ more/);
    expect(msg).toMatch(/the tensors look like blocks 8, channels 64, scale 4/);
  });

  it('refuses scale 2 on a ×4 file and 16 blocks on an 8-block file (missing tensors)', () => {
    expect(refusal(edited({ ...shippedConfig, scale: 2 }))).toMatch(/unused tensor up\.1\.conv\.w \[3,3,64,256\]/);
    expect(refusal(edited({ ...shippedConfig, blocks: 16 }))).toMatch(/missing blocks\.8\.conv1\.w \[3,3,64,64\]/);
  });

  it('refuses a permuted weight with the same element count, and an unused extra tensor', () => {
    const permuted = refusal(edited(shippedConfig, (m) => {
      const t = m.get('head.conv.w')!;
      m.set('head.conv.w', { ...t, shape: [3, 9, 9, 64] });
    }));
    expect(permuted).toMatch(/head\.conv\.w is \[3,9,9,64\], the config needs \[9,9,3,64\]/);
    const extra = refusal(edited(shippedConfig, (m) => {
      m.set('blocks.0.conv1.b', { name: 'blocks.0.conv1.b', shape: [64], dtype: 'F32', data: new Float32Array(64) });
    }));
    expect(extra).toMatch(/unused tensor blocks\.0\.conv1\.b \[64\]/);
  });

  it('refuses at load time through loadGenerator too, naming the path', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'vivid-genfile-')), 'bad.safetensors');
    writeFileSync(path, edited({ ...shippedConfig, channels: 0 }));
    expect(() => loadGenerator(path)).toThrow(`${path}: vivid.config.channels`);
  });

  it('the expected tensor list is exactly what Generator builds, for every config kind', async () => {
    const rt = await gpu();
    const configs: GeneratorConfig[] = [
      { ...PAPER_SRRESNET, blocks: 2, channels: 4 },
      { scale: 2, blocks: 1, channels: 3, batchNorm: false, prelu: 'shared', blockBias: true, post: 'conv-prelu', head: 'tanh' },
      { scale: 8, blocks: 0, channels: 2, batchNorm: true, prelu: 'channel', blockBias: true, post: 'conv-prelu', head: 'linear', skip: 'bicubic' },
      { ...PAPER_SRRESNET, blocks: 1, channels: 2, batchNorm: false },
    ];
    for (const c of configs) {
      const g = new Generator(rt, c);
      const built = new Map([...g.state()].map(([name, v]) => [name, [...v.shape]]));
      g.dispose();
      expect(new Map([...generatorTensorShapes(c)].sort()), JSON.stringify(c)).toEqual(new Map([...built].sort()));
    }
  });
});
