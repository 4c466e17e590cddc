// CLI conventions: version, help, short aliases, missing-option messages, nearest-flag suggestions.

import { describe, expect, it } from 'vitest';
import { nearestFlag } from '../../src/cli/args.ts';
import { spec as upscaleSpec } from '../../src/cli/upscale.ts';
import { runCli } from '../helpers/cli.ts';
import { noiseFilter } from '../../bin/quiet-stderr.js';

describe('vivid CLI conventions', () => {
  it('--version and -V print the package version', async () => {
    for (const f of ['--version', '-V']) {
      const r = await runCli([f]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    }
  });
  it('vivid help lists commands; vivid help <cmd> and <cmd> --help show its options', async () => {
    expect((await runCli(['help'])).stdout).toMatch(/upscale .*\n[\s\S]*compare/);
    const h = await runCli(['help', 'upscale']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/-o, --output <path> +\(required\)/);
    expect(h.stdout).toMatch(/-m, -n, --model <M>/);
    expect((await runCli(['upscale', '--help'])).stdout).toBe(h.stdout);
    const e = await runCli(['help', 'eval']);
    expect(e.stdout).not.toMatch(/--model <M> +\(required\)/);
    expect(e.stdout).toMatch(/flicker[\s\S]*Lower is better/);
  });
  it('names a missing option and suggests the nearest flag', async () => {
    const m = await runCli(['upscale', 'x.png']);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/vivid upscale: missing -o, --output <path>/);
    const u = await runCli(['upscale', 'x.png', '--ouput', 'y.png']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/unknown option '--ouput'; did you mean --output\?/);
    expect((await runCli(['upscal'])).stderr).toMatch(/did you mean 'upscale'/);
    const dash = await runCli(['upscale', 'x.png', '-o', 'y', '--suffix', '-big']);
    expect(dash.code).toBe(2);
    expect(dash.stderr).toMatch(/option --suffix needs a value; one that starts with '-' is written --suffix=-value/);
    expect((await runCli(['upscale', 'x.png', '-o', 'y', '-s', '-4'])).stderr).toMatch(/option -s needs a value; one that starts with '-' is written --scale=-value/);
    expect(nearestFlag('--qualty', upscaleSpec.options)).toBe('--quality');
    expect(nearestFlag('--zzzzzz', upscaleSpec.options)).toBeUndefined();
  });
  it('every command takes --quiet, --json, --backend and --verbose', async () => {
    for (const cmd of ['doctor', 'train', 'upscale', 'video', 'eval', 'compare', 'convert', 'export', 'demo']) {
      const r = await runCli(['help', cmd]);
      for (const f of ['--quiet', '--json', '--backend', '--verbose']) expect(r.stdout, `${cmd} ${f}`).toContain(f);
    }
  });
});

describe('Dawn adapter-limit warnings filter', () => {
  it('drops exactly those lines, passes everything else, even split across chunks', () => {
    const f = noiseFilter();
    const noise = 'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 90 to 16 to fit dynamic offset allocation limit.\n';
    const text = 'progress 1/2\r' + noise.slice(0, 20) + '|' + noise.slice(20) + 'Error: device lost\nWarning: something real\n';
    const out = text.split('|').map((c) => f.feed(c)).join('') + f.end();
    expect(out).toBe('progress 1/2\rError: device lost\nWarning: something real\n');
  });
});
