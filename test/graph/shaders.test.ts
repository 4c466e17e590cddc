// The generated shader module is what every runtime compiles: it must hold exactly the files in
// shaders/ (a new .wgsl is picked up, a deleted one disappears, an edit shows).

import { describe, expect, it } from 'vitest';
import { readShaderDir, shaderModuleText } from '../../scripts/generate-shaders.ts';
import { SHADER_SOURCES } from '../../src/graph/shaders.generated.ts';
import { shaderSource } from '../../src/graph/shaders.ts';

describe('generated shader module', () => {
  it('equals shaders/*.wgsl, name for name and byte for byte', () => {
    const files = readShaderDir();
    expect(Object.keys(files).length).toBeGreaterThan(10);
    expect(Object.keys(SHADER_SOURCES)).toEqual(Object.keys(files));
    for (const [name, text] of Object.entries(files)) expect(SHADER_SOURCES[name], name).toBe(text);
    expect(shaderSource('conv2d')).toBe(files.conv2d);
  });

  it('escapes WGSL text so that it reads back unchanged', async () => {
    const tricky = { 'a-b': 'fn f() {}\n// `${x}` "quoted" \\ back\u2028line\r\n' };
    const url = `data:text/javascript;base64,${Buffer.from(shaderModuleText(tricky).replace(/: Readonly<Record<string, string>>/, '')).toString('base64')}`;
    const mod = (await import(/* @vite-ignore */ url)) as { SHADER_SOURCES: Record<string, string> };
    expect(mod.SHADER_SOURCES).toEqual(tricky);
  });

  it('names the missing file and the fix for an unknown shader', () => {
    expect(() => shaderSource('no_such_kernel')).toThrow(/shaders\/no_such_kernel\.wgsl.*npm run build/);
  });
});
