// `vivid convert <in> <out.safetensors>`: import a PyTorch generator checkpoint (legacy or zip
// format, architecture detected from names and shapes) and save it as a viVID generator file,
// which loads without the pickle reader and carries its configuration in the metadata.

import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { loadGenerator, saveGenerator } from '../models/load.ts';
import { archOption, describeModel } from './common.ts';

const USAGE = `usage: vivid convert <in.pth|in.safetensors> <out.safetensors> [--arch leftthomas|srresnet-tutorial]`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { arch: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [input, output] = positionals;
  if (!input || !output || positionals.length > 2) {
    console.error(USAGE);
    return 2;
  }
  if (extname(output) !== '.safetensors') throw new Error(`output must end in .safetensors, got ${output}`);
  const g = loadGenerator(input, { arch: archOption(values.arch) });
  const params = [...g.weights.values()].reduce((s, t) => s + t.data.length, 0);
  saveGenerator(output, g.config, g.weights, { 'vivid.source': input, 'vivid.arch': g.arch });
  console.log(`wrote ${output}: ${describeModel(g)}, ${g.weights.size} tensors, ${params.toLocaleString('en')} values`);
  return 0;
}
