// `vivid convert <in> <out.safetensors>`: import a PyTorch generator checkpoint (legacy or zip
// format, architecture detected from names and shapes) and save it as a viVID generator file,
// which loads without the pickle reader and carries its configuration in the metadata.

import { extname } from 'node:path';
import { loadGenerator, saveGenerator } from '../models/load.ts';
import { parseCommand, type CommandSpec } from './args.ts';
import { archOption, describeModel } from './common.ts';

export const spec = {
  name: 'convert',
  usage: '<in.pth|in.safetensors> <out.safetensors> [options]',
  positionals: { name: 'the input checkpoint and the output .safetensors', min: 2, max: 2 },
  options: { arch: { type: 'string', value: '<A>', help: 'leftthomas | srresnet-tutorial (default: detected)' } },
} as const satisfies CommandSpec;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(spec, args);
  const [input, output] = positionals as [string, string];
  if (extname(output) === '.onnx') throw new Error(`output must end in .safetensors, got ${output}: for ONNX run \`vivid export --onnx ${output} --model ${input}\``);
  if (extname(output) !== '.safetensors') throw new Error(`output must end in .safetensors, got ${output}`);
  const g = loadGenerator(input, { arch: archOption(values.arch) });
  const params = [...g.weights.values()].reduce((s, t) => s + t.data.length, 0);
  saveGenerator(output, g.config, g.weights, { 'vivid.source': input, 'vivid.arch': g.arch });
  if (values.json) console.log(JSON.stringify({ output, config: g.config, arch: g.arch, tensors: g.weights.size, values: params }));
  else console.log(`wrote ${output}: ${describeModel(g)}, ${g.weights.size} tensors, ${params.toLocaleString('en')} values`);
  return 0;
}
