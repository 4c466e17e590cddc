// Where WGSL sources come from. In Node they are read from the package's `shaders/` folder;
// a bundled page registers them once (see web/) with `registerShaderSources`.

const registered = new Map<string, string>();

export function registerShaderSources(sources: Record<string, string>): void {
  for (const [name, source] of Object.entries(sources)) registered.set(name, source);
}

let readFromDisk: ((name: string) => string) | undefined;

export async function initShaderLoader(): Promise<void> {
  if (readFromDisk || typeof process === 'undefined' || !process.versions?.node) return;
  const fs = await import('node:fs');
  const root = new URL('../../shaders/', import.meta.url);
  readFromDisk = (name) => fs.readFileSync(new URL(`${name}.wgsl`, root), 'utf8');
}

export function shaderSource(name: string): string {
  const known = registered.get(name);
  if (known !== undefined) return known;
  if (!readFromDisk) throw new Error(`shader '${name}' is not registered and no file loader is initialised`);
  const source = readFromDisk(name);
  registered.set(name, source);
  return source;
}
