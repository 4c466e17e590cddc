// One activation enum: the ACT_* constants of shaders/lib/act.wgsl are src/kernels/activation.ts
// ACT, and every shader that takes an ACT override switches on those names only (a bare code
// like `case 3u` would be a second, unchecked copy of the enum).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACT } from '../../src/kernels/activation.ts';
import { SHADER_SOURCES } from '../../src/graph/shaders.generated.ts';

const lib = readFileSync(new URL('../../shaders/lib/act.wgsl', import.meta.url), 'utf8');

describe('activation codes', () => {
  it('lib/act.wgsl defines the ACT codes of src/kernels/activation.ts', () => {
    const codes = Object.fromEntries([...lib.matchAll(/^const ACT_(\w+) = (\d+)u;$/gm)].map((m) => [m[1]!.toLowerCase(), Number(m[2])]));
    expect(codes).toEqual(ACT);
  });

  it('every shader with an ACT override includes lib/act.wgsl and names the codes', () => {
    const users = Object.entries(SHADER_SOURCES).filter(([, src]) => /^override ACT\b/m.test(src));
    expect(users.map(([name]) => name).sort()).toEqual(['activation', 'conv2d', 'conv2d_rgb', 'conv2d_winograd']);
    for (const [name, src] of users) {
      expect(src, name).toContain('// ==== lib/act.wgsl ====');
      expect(src.match(/\bcase [^:]*\du\b[^:]*:/g) ?? [], `${name}: a bare code in a case of switch ACT`).toEqual([]);
    }
  });
});
