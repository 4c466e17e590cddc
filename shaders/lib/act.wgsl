// The activation codes (src/kernels/activation.ts ACT, test/kernels/activation-codes.test.ts)
// and the pointwise activation that every activating shader applies. The including shader
// declares `override ACT: u32`, so each activation is its own pipeline, without a branch per
// element.
const ACT_NONE = 0u;
const ACT_RELU = 1u;
const ACT_LEAKY = 2u;
const ACT_PRELU = 3u;
const ACT_TANH = 4u;
const ACT_SIGMOID = 5u;

// `slope`: the negative slope of leaky relu, or PReLU's slope of this element's channel.
fn act(v: f32, slope: f32) -> f32 {
  switch ACT {
    case ACT_RELU: { return max(v, 0.0); }
    case ACT_LEAKY, ACT_PRELU: { return select(slope * v, v, v > 0.0); }
    // Some tanh implementations compute (e^2v − 1)/(e^2v + 1) and give inf/inf = NaN for
    // large |v|; tanh(±15) already rounds to ±1 in f32, so clamping changes nothing else.
    case ACT_TANH: { return tanh(clamp(v, -15.0, 15.0)); }
    case ACT_SIGMOID: { return 1.0 / (1.0 + exp(-v)); }
    default: { return v; }
  }
}
