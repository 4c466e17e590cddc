// The end-to-end job as an onnxruntime-node user writes it, for `npm run bench`'s
// upscale-png-480x270 case: a viVID generator exported with `vivid export --onnx`, a PNG in,
// the ×4 PNG out (sharp for decode/encode, as viVID's own CLI uses).
//   node bench/ort-upscale.mjs model.onnx in.png out.png

import * as ort from 'onnxruntime-node';
import sharp from 'sharp';

const [modelPath, inPath, outPath] = process.argv.slice(2);
const { data, info } = await sharp(inPath).removeAlpha().raw().toBuffer({ resolveWithObject: true });
const { width: w, height: h } = info;
const chw = new Float32Array(3 * h * w);
for (let i = 0; i < h * w; i++) for (let c = 0; c < 3; c++) chw[c * h * w + i] = data[i * 3 + c] / 255;
const session = await ort.InferenceSession.create(modelPath);
const { output } = await session.run({ input: new ort.Tensor('float32', chw, [1, 3, h, w]) });
const [, , H, W] = output.dims;
const rgb = Buffer.alloc(H * W * 3);
for (let i = 0; i < H * W; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.round(Math.min(1, Math.max(0, output.data[c * H * W + i])) * 255);
await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toFile(outPath);
