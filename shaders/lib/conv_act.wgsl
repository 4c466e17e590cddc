//! include lib/act.wgsl

// The conv epilogue's activation of output channel c (conv2d, conv2d_rgb, conv2d_winograd).
// PReLU reads the channel's slope from `alpha`, which the including shader binds: one slope per
// channel (alpha_stride 1) or one shared (alpha_stride 0).
fn act_at(z: f32, c: u32, slope: f32, alpha_stride: u32) -> f32 {
  if (ACT == ACT_PRELU) { return act(z, alpha[c * alpha_stride]); }
  return act(z, slope);
}

fn act4(z: vec4<f32>, c: u32, slope: f32, alpha_stride: u32) -> vec4<f32> {
  return vec4<f32>(act_at(z.x, c, slope, alpha_stride), act_at(z.y, c + 1u, slope, alpha_stride), act_at(z.z, c + 2u, slope, alpha_stride), act_at(z.w, c + 3u, slope, alpha_stride));
}
