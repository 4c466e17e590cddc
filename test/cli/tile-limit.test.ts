// `vivid upscale --tile 100000` on an image whose one tile would not fit the adapter's storage
// buffers: a clear refusal naming the largest tile that fits, not Dawn's validation errors.

import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getModel, shutdown } from '../../src/index.ts';
import { createImage, encodeImage } from '../../src/io/image.ts';
import { largestLayerBytes } from '../../src/inference/tiling.ts';
import { runCli, tinyModelDir } from '../helpers/cli.ts';
import { TINY_CONFIG } from '../helpers/tiny-model.ts';

describe('vivid upscale --tile beyond the adapter limit', () => {
  let dir = '', model = '';
  beforeAll(async () => ({ dir, model } = await tinyModelDir()));
  afterAll(() => shutdown());

  it('exits 1 with the largest tile that fits; no Dawn message, no output', async () => {
    const { model: m } = await getModel(model);
    const limit = Math.min(m.rt.limits.maxStorageBufferBindingSize, m.rt.limits.maxBufferSize);
    const width = 1024, height = Math.ceil((1.2 * limit) / largestLayerBytes(TINY_CONFIG, 1, 1) / width);
    const input = join(dir, 'wide.png');
    writeFileSync(input, await encodeImage(createImage(width, height), 'png'));
    const out = join(dir, 'wide-x4.png');
    const r = await runCli(['upscale', input, '-o', out, '--tile', '100000', '--model', model]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/tile size 100000 is too large for this GPU: .* Use a tile size of at most \d+ \(--tile/);
    expect(r.stderr).not.toMatch(/Binding size|GPUValidationError/);
    expect(existsSync(out)).toBe(false);
  });
});
