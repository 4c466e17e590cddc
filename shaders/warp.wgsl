// Backward warp: out[x] = src(x + flow(x)), src clamped to the edge, sampled bilinearly (`warp`)
// or with Keys' cubic convolution, a = −0.5 (`warp_cubic`: a 4×4 footprint that keeps detail a
// bilinear warp would blur, for the temporal mode's recursive warps of the previous detail).
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

// Where output pixel o reads src: its position moved by the flow, clamped to the image.
fn source_pos(o: u32) -> vec2<f32> {
  let x = o % p.w;
  let y = o / p.w;
  let f = flow_at(x, y);
  return clamp(vec2<f32>(f32(x) + f.x, f32(y) + f.y), vec2<f32>(0.0), vec2<f32>(f32(p.w - 1u), f32(p.h - 1u)));
}

// src, dst = [H, W, C]; flow = [H/s, W/s, 2].
@compute @workgroup_size(WG)
fn warp(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = flat(gid, nwg);
  if (o >= p.pixels) { return; }
  let q = source_pos(o);
  let t = tap(q.x, q.y, p.w, p.h);
  for (var k = 0u; k < p.c; k++) {
    let top = mix(src[t.i00 * p.c + k], src[t.i01 * p.c + k], t.ax);
    let bottom = mix(src[t.i10 * p.c + k], src[t.i11 * p.c + k], t.ax);
    dst[o * p.c + k] = mix(top, bottom, t.ay);
  }
}

// Keys' cubic weights (a = −0.5) of the taps at −1, 0, 1, 2 from the left one, at fraction t.
fn cubic_weights(t: f32) -> vec4<f32> {
  let t2 = t * t;
  let t3 = t2 * t;
  return vec4<f32>(-0.5 * t3 + t2 - 0.5 * t, 1.5 * t3 - 2.5 * t2 + 1.0, -1.5 * t3 + 2.0 * t2 + 0.5 * t, 0.5 * t3 - 0.5 * t2);
}

// The four tap columns (or rows) around position v in [0, n − 1], clamped to the edge.
fn cubic_taps(v: f32, n: u32) -> vec4<u32> {
  let i = i32(floor(v));
  let last = i32(n) - 1;
  return vec4<u32>(vec4<i32>(clamp(i - 1, 0, last), i, min(i + 1, last), min(i + 2, last)));
}

fn cubic_row(k: u32, y: u32, xs: vec4<u32>, wx: vec4<f32>) -> f32 {
  let b = y * p.w;
  return dot(wx, vec4<f32>(src[(b + xs.x) * p.c + k], src[(b + xs.y) * p.c + k], src[(b + xs.z) * p.c + k], src[(b + xs.w) * p.c + k]));
}

@compute @workgroup_size(WG)
fn warp_cubic(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = flat(gid, nwg);
  if (o >= p.pixels) { return; }
  let q = source_pos(o);
  let xs = cubic_taps(q.x, p.w);
  let ys = cubic_taps(q.y, p.h);
  let wx = cubic_weights(fract(q.x));
  let wy = cubic_weights(fract(q.y));
  for (var k = 0u; k < p.c; k++) {
    dst[o * p.c + k] = dot(wy, vec4<f32>(cubic_row(k, ys.x, xs, wx), cubic_row(k, ys.y, xs, wx), cubic_row(k, ys.z, xs, wx), cubic_row(k, ys.w, xs, wx)));
  }
}
