// The generated shader module is what every runtime compiles: it must hold exactly the files in
// shaders/ (a new .wgsl is picked up, a deleted one disappears, an edit shows), with their
// `//! include` lines replaced by the files they name.

import { describe, expect, it } from 'vitest';
import { readShaderDir, resolveIncludes, shaderModuleText } from '../../scripts/generate-shaders.ts';
import { entryBindings } from '../../src/graph/kernel.ts';
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

  it('resolves includes: nested, once per shader, with the directive line marked', () => {
    const lib: Record<string, string> = {
      'lib/a.wgsl': 'fn a() -> u32 { return 1u; }\n',
      'lib/b.wgsl': '//! include lib/a.wgsl\nfn b() -> u32 { return a() + 1u; }\n',
    };
    const out = resolveIncludes('k.wgsl', '//! include lib/b.wgsl\n//! include lib/a.wgsl\nfn k() {}\n', (p) => lib[p]);
    expect(out).toBe([
      '// ==== lib/b.wgsl ====', '// ==== lib/a.wgsl ====', 'fn a() -> u32 { return 1u; }', '// ==== end of lib/a.wgsl ====',
      'fn b() -> u32 { return a() + 1u; }', '// ==== end of lib/b.wgsl ====', '// (lib/a.wgsl: included above)', 'fn k() {}', '',
    ].join('\n'));
  });

  it('names the shader, line and fix for a missing include, a cycle or an unknown directive', () => {
    const lib: Record<string, string> = { 'lib/x.wgsl': '//! include lib/y.wgsl\n', 'lib/y.wgsl': '//! include lib/x.wgsl\n' };
    const read = (p: string) => lib[p];
    expect(() => resolveIncludes('k.wgsl', 'fn k() {}\n//! include lib/nope.wgsl\n', read)).toThrow(
      'shaders/k.wgsl:2: include lib/nope.wgsl: there is no shaders/lib/nope.wgsl (include paths are relative to shaders/)',
    );
    expect(() => resolveIncludes('k.wgsl', '//! include lib/x.wgsl\n', read)).toThrow(/shaders\/lib\/y\.wgsl:1: include cycle k\.wgsl → lib\/x\.wgsl → lib\/y\.wgsl → lib\/x\.wgsl/);
    expect(() => resolveIncludes('k.wgsl', '//! inclde lib/x.wgsl\n', read)).toThrow(/shaders\/k\.wgsl:1: unknown directive '\/\/! inclde lib\/x\.wgsl'/);
  });

  it('reflects the bindings an included file uses (the conv epilogue reads alpha)', () => {
    expect(SHADER_SOURCES.conv2d).not.toMatch(/^\/\/! include/m);
    const names = entryBindings('conv2d_winograd', 'wino_output').map((b) => b.name);
    expect(names).toContain('alpha');
  });

  it('names the missing file and the fix for an unknown shader', () => {
    expect(() => shaderSource('no_such_kernel')).toThrow(/shaders\/no_such_kernel\.wgsl.*npm run build/);
  });
});
