// `vivid export --onnx OUT.onnx [--model M]`: a generator as an ONNX model (standard ops,
// opset 13, dynamic size; src/models/onnx-export.ts), so that models viVID ships, trains or
// imports run in any ONNX runtime. `vivid convert` is the other direction of the same idea:
// PyTorch into viVID's own format.

import { defaultModel } from '../index.ts';
import { ONNX_OPSET } from '../io/onnx.ts';
import { exportOnnx } from '../models/load.ts';
import { parseCommand, type CommandSpec } from './args.ts';
import { archOption, describeModel, MODEL_OPTIONS } from './common.ts';

export const spec = {
  name: 'export',
  usage: '--onnx <out.onnx> [--model <M>] [options]',
  options: {
    onnx: { type: 'string', value: '<file>', required: true, help: 'the ONNX model to write (.onnx)' },
    model: MODEL_OPTIONS.model,
    arch: MODEL_OPTIONS.arch,
  },
  notes: [
    'The ONNX model takes input [N, 3, H, W] (RGB in 0..1, any N, H, W) and gives [N, 3, s·H, s·W], not',
    'clamped: clamp to 0..1 before quantising. Batch norm is folded into the convolutions; the',
    'ops are Conv, DepthToSpace (CRD), PRelu, Tanh, Add, Mul. Example with onnxruntime-node:',
    "  const s = await ort.InferenceSession.create('model.onnx');",
    "  const { output } = await s.run({ input: new ort.Tensor('float32', chw, [1, 3, h, w]) });",
  ].join('\n'),
} as const satisfies CommandSpec;

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommand(spec, args);
  const { generator, bytes } = exportOnnx(values.model ?? defaultModel(), values.onnx, { arch: archOption(values.arch) });
  const c = generator.config;
  if (values.json) console.log(JSON.stringify({ output: values.onnx, bytes, config: c, arch: generator.arch, source: generator.source, opset: ONNX_OPSET }));
  else if (!values.quiet) console.log(`wrote ${values.onnx} (${(bytes / 2 ** 20).toFixed(1)} MiB, ONNX opset ${ONNX_OPSET}): ${describeModel(generator)}`);
  return 0;
}
