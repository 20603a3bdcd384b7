// XNOR-Net binary convolution on packed bits with countOneBits (dense layers are the 1 x 1 case
// on a 1 x 1 image). For output pixel q and filter o:
//   dot = sum over the taps inside the image of (c - 2 * countOneBits(x_bits ^ w_bits)),
//   y = dot * alpha[o] * K[q] + bias[o],  K[q] = (sum of A over those taps) / (kh * kw).
// Taps in the zero padding are skipped outright, so no bit ever has to mean 0 here (the WASM
// kernel, which packs the padding as +1 bits, subtracts Larq's correction instead). Channel bits
// past c are zero in both operands and xor to 0. With rawDots = 1 the kernel writes dot alone.
// Threads: x = filter (64 a workgroup, so they share each input word), y = output pixel.
struct Params {
  n: u32, h: u32, w: u32, c: u32,
  cw: u32, kh: u32, kw: u32, k: u32,
  sh: u32, sw: u32, dh: u32, dw: u32,
  padTop: u32, padLeft: u32, oh: u32, ow: u32,
  hasBias: u32, rawDots: u32, pad0: u32, pad1: u32,
}

@group(0) @binding(0) var<storage, read> bits: array<u32>;     // [n * h * w][cw]
@group(0) @binding(1) var<storage, read> absMean: array<f32>;  // [n * h * w]
@group(0) @binding(2) var<storage, read> wbits: array<u32>;    // [k][kh * kw][cw]
@group(0) @binding(3) var<storage, read> alpha: array<f32>;    // [k]
@group(0) @binding(4) var<storage, read> bias: array<f32>;     // [k]
@group(0) @binding(5) var<storage, read_write> y: array<f32>;  // [n * oh * ow][k]
@group(0) @binding(6) var<uniform> p: Params;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let o = wg.x * 64u + lid.x;
  let q = wg.z * groups.y + wg.y;
  if (o >= p.k || q >= p.n * p.oh * p.ow) { return; }
  let b = q / (p.oh * p.ow);
  let oy = (q / p.ow) % p.oh;
  let ox = q % p.ow;
  var dot = 0i;
  var kSum = 0.0;
  for (var ky = 0u; ky < p.kh; ky++) {
    let iy = i32(oy * p.sh + ky * p.dh) - i32(p.padTop);
    if (iy < 0 || iy >= i32(p.h)) { continue; }
    for (var kx = 0u; kx < p.kw; kx++) {
      let ix = i32(ox * p.sw + kx * p.dw) - i32(p.padLeft);
      if (ix < 0 || ix >= i32(p.w)) { continue; }
      let pixel = (b * p.h + u32(iy)) * p.w + u32(ix);
      kSum += absMean[pixel];
      let xw = pixel * p.cw;
      let ww = (o * p.kh * p.kw + ky * p.kw + kx) * p.cw;
      var pop = 0u;
      for (var i = 0u; i < p.cw; i++) { pop += countOneBits(bits[xw + i] ^ wbits[ww + i]); }
      dot += i32(p.c) - 2i * i32(pop);
    }
  }
  var v = f32(dot);
  if (p.rawDots == 0u) {
    v = v * alpha[o] * (kSum / f32(p.kh * p.kw));
    if (p.hasBias != 0u) { v += bias[o]; }
  }
  y[q * p.k + o] = v;
}
