// Packs the signs of NHWC activations 32 channels to a u32 word (bit 1 = negative; sign(0) = +1,
// bit 0, as Larq Compute Engine) and writes A = mean |x| over the channels of each pixel
// (XNOR-Net §3.2). `lanes` threads share a pixel (one word each, then every lanes-th), so a
// wide layer packs with many threads; their |x| sums meet in workgroup memory. Words past the
// channels hold zero bits.
struct Params { pixels: u32, c: u32, cw: u32, lanes: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> bits: array<u32>;  // [pixels][cw]
@group(0) @binding(2) var<storage, read_write> absMean: array<f32>; // [pixels]
@group(0) @binding(3) var<uniform> p: Params;

var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let perGroup = 64u / p.lanes;
  let local = lid.x / p.lanes;
  let lane = lid.x % p.lanes;
  let pixel = (wg.y * groups.x + wg.x) * perGroup + local;
  let live = local < perGroup && pixel < p.pixels;
  var sum = 0.0;
  if (live) {
    for (var wi = lane; wi < p.cw; wi += p.lanes) {
      var word = 0u;
      for (var k = 0u; k < 32u; k++) {
        let ch = wi * 32u + k;
        if (ch >= p.c) { break; }
        let v = x[pixel * p.c + ch];
        sum += abs(v);
        if (v < 0.0) { word |= 1u << k; }
      }
      bits[pixel * p.cw + wi] = word;
    }
  }
  partial[lid.x] = sum;
  workgroupBarrier();
  if (live && lane == 0u) {
    var total = 0.0;
    for (var l = 0u; l < p.lanes; l++) { total += partial[local * p.lanes + l]; }
    absMean[pixel] = total / f32(p.c);
  }
}
