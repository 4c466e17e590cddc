// What the page exposes as `window.vivid`, for the end-to-end test (and curious consoles).

import type { createStabilizer, Upscaler } from '../src/web.ts';

export interface PageHooks {
  upscaler: Upscaler | null;
  /** The last viVID result, exactly as computed (before any canvas colour handling). */
  output: ImageData | null;
  /** Milliseconds the last upscale took. */
  ms: number;
  error: string | null;
  /** The temporal mode for video frames (vivid-sr/web's createStabilizer). */
  createStabilizer: typeof createStabilizer;
}
