// Bilinear backward warp: out[x] = src(x + flow(x)), src clamped to the edge.
// The flow may be coarser than the image by an integer factor s (the LR flow warping an HR
// frame): it is then upsampled on the fly, bilinear at the centre map x ↔ (x + 0.5)/s − 0.5
// and multiplied by s, so no HR flow field is ever stored.

override WG: u32 = 256;

struct Params {
  pixels: u32,  // output pixels (threads)
  w: u32,       // image (and output) width, height, channels
  h: u32,
  c: u32,
  fw: u32,      // flow width and height: w / s, h / s
  fh: u32,
  s: u32,       // image pixels per flow pixel
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> flow: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

//! include lib/grid.wgsl

//! include lib/bilinear.wgsl

fn flow_vec(i: u32) -> vec2<f32> {
  return vec2<f32>(flow[2u * i], flow[2u * i + 1u]);
}

// The flow at image pixel (x, y), in image pixels.
fn flow_at(x: u32, y: u32) -> vec2<f32> {
  let s = f32(p.s);
  let t = tap((f32(x) + 0.5) / s - 0.5, (f32(y) + 0.5) / s - 0.5, p.fw, p.fh);
  return s * mix(mix(flow_vec(t.i00), flow_vec(t.i01), t.ax), mix(flow_vec(t.i10), flow_vec(t.i11), t.ax), t.ay);
}

// src, dst = [H, W, C]; flow = [H/s, W/s, 2].
@compute @workgroup_size(WG)
fn warp(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = flat(gid, nwg);
  if (o >= p.pixels) { return; }
  let x = o % p.w;
  let y = o / p.w;
  let f = flow_at(x, y);
  let t = tap(f32(x) + f.x, f32(y) + f.y, p.w, p.h);
  for (var k = 0u; k < p.c; k++) {
    let top = mix(src[t.i00 * p.c + k], src[t.i01 * p.c + k], t.ax);
    let bottom = mix(src[t.i10 * p.c + k], src[t.i11 * p.c + k], t.ax);
    dst[o * p.c + k] = mix(top, bottom, t.ay);
  }
}
