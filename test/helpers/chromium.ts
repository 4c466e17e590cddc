// Flags for Debian's chromium in the browser tests (test/web, test/packaging).

// SwiftShader is Chromium's CPU Vulkan: --enable-unsafe-webgpu is what Linux builds need to
// expose WebGPU at all; headless=new keeps the GPU process (old headless had none).
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-gpu-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
