// Where WGSL sources come from: the generated module (scripts/generate-shaders.ts writes every
// shaders/*.wgsl into it as text), the same in Node, in a page bundle and in dist/. Tests add
// sources of their own with `registerShaderSources`.

import { SHADER_SOURCES } from './shaders.generated.ts';

const registered = new Map<string, string>(Object.entries(SHADER_SOURCES));

export function registerShaderSources(sources: Record<string, string>): void {
  for (const [name, source] of Object.entries(sources)) registered.set(name, source);
}

export function shaderSource(name: string): string {
  const known = registered.get(name);
  if (known === undefined) {
    throw new Error(`shader '${name}' is unknown: add shaders/${name}.wgsl and regenerate the shader module (npm run build)`);
  }
  return known;
}
