// Worker-thread side of the image loader (src/data/loader.ts): decode a file and degrade it,
// off the main thread so the trainer's event loop keeps feeding the GPU meanwhile.

import { parentPort } from 'node:worker_threads';
import { readImage } from '../io/image.ts';
import { degrade } from './patches.ts';

export interface DecodeRequest {
  id: number;
  path: string;
  scale: number;
  blurSigma: number;
}

parentPort!.on('message', async (req: DecodeRequest) => {
  try {
    const { hr, lr } = degrade(await readImage(req.path), req.scale, req.blurSigma);
    // Transfer the pixel buffers instead of copying them.
    parentPort!.postMessage({ id: req.id, hr, lr }, [hr.data.buffer as ArrayBuffer, lr.data.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ id: req.id, error: (e as Error).message });
  }
});
