// The four grid neighbours of real position (x, y) in a w×h grid, clamped to the edge, and the
// bilinear weights between them: flow, warp and blend sample through this one definition.
struct Tap {
  i00: u32,
  i01: u32,
  i10: u32,
  i11: u32,
  ax: f32,
  ay: f32,
}

fn tap(x: f32, y: f32, w: u32, h: u32) -> Tap {
  let fx = clamp(x, 0.0, f32(w - 1u));
  let fy = clamp(y, 0.0, f32(h - 1u));
  let x0 = u32(floor(fx));
  let y0 = u32(floor(fy));
  let x1 = min(x0 + 1u, w - 1u);
  let y1 = min(y0 + 1u, h - 1u);
  return Tap(y0 * w + x0, y0 * w + x1, y1 * w + x0, y1 * w + x1, fx - f32(x0), fy - f32(y0));
}
