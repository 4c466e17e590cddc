// `vivid convert`: a PyTorch checkpoint becomes a viVID safetensors generator with the same
// configuration and tensors.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGenerator } from '../../src/models/load.ts';
import { runCli, tempDir } from '../helpers/cli.ts';
import { hasShared, sharedPath } from '../helpers/shared.ts';

const PTH = 'weights/srresnet8-pytorch/srresnet8_x4.pth';

describe('vivid convert', () => {
  it.skipIf(!hasShared(PTH))('srresnet8 .pth → .safetensors round trip', async () => {
    const out = join(tempDir(), 'srresnet8.safetensors');
    const r = await runCli(['convert', sharedPath(PTH), out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/8 blocks, 64 channels \(srresnet-tutorial\)/);
    const a = loadGenerator(sharedPath(PTH)), b = loadGenerator(out);
    expect(b.config).toEqual(a.config);
    expect(b.metadata['vivid.arch']).toBe('srresnet-tutorial');
    expect([...b.weights.keys()].sort()).toEqual([...a.weights.keys()].sort());
    // A plain loop: toEqual on a million floats takes tens of seconds.
    for (const [k, t] of a.weights) {
      const got = b.weights.get(k)!.data;
      expect(got.length, k).toBe(t.data.length);
      const diff = t.data.findIndex((v, i) => !Object.is(v, got[i]));
      expect(diff, `${k}: first difference at ${diff}`).toBe(-1);
    }
  });

  it('refuses a non-.safetensors output and an unknown --arch', async () => {
    const r = await runCli(['convert', 'x.pth', 'x.bin']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/must end in \.safetensors/);
    const s = await runCli(['convert', 'x.pth', 'x.safetensors', '--arch', 'esrgan']);
    expect(s.stderr).toMatch(/--arch must be leftthomas or srresnet-tutorial/);
  });
});
