// Before any test file loads: (re)generate the shader module from shaders/*.wgsl, so a direct
// `npx vitest run …` sees the current WGSL like `npm test` does.

import { generateShaderModule } from '../scripts/generate-shaders.ts';

export default function setup(): void {
  generateShaderModule();
}
