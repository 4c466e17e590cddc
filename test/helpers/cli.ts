// Run `vivid <args>` in-process (no new process, no new Dawn instance per call) and capture
// what it prints: console.log/error and direct writes to stdout/stderr (progress bars).

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { getRuntime } from '../../src/index.ts';
import { saveTinyModel } from './tiny-model.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[]): Promise<CliResult> {
  let stdout = '', stderr = '';
  const text = (a: unknown[]) => a.map(String).join(' ') + '\n';
  const spies = [
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += text(a))),
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (stderr += text(a))),
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true)),
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true)),
  ];
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

export function tempDir(prefix = 'vivid-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A fresh temp folder with the tiny model (test/helpers/tiny-model.ts) saved in it. */
export async function tinyModelDir(): Promise<{ dir: string; model: string }> {
  const dir = tempDir();
  const model = join(dir, 'tiny.safetensors');
  await saveTinyModel(await getRuntime(), model);
  return { dir, model };
}
