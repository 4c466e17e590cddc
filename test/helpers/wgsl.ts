// Reading shader sources in tests: WGSL has no includes, so a helper that several shaders need
// is copied, and a test checks the copies are one text.

import { readFileSync } from 'node:fs';

export const shaderSource = (name: string) => readFileSync(new URL(`../../shaders/${name}.wgsl`, import.meta.url), 'utf8');

/** The text from `KEYWORD NAME` (`fn act(`, `struct Tap`) up to its closing brace at the start of a line. */
export function declText(src: string, decl: string): string {
  const start = src.indexOf(decl);
  if (start < 0) throw new Error(`no ${decl}`);
  return src.slice(start, src.indexOf('\n}', start) + 2);
}
