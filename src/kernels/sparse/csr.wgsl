// Sparse (CSR) x dense product for a pruned dense layer: y[b][o] = bias[o] + sum over the
// nonzeros j of row o of W^T of vals[j] * x[b][cols[j]]. One thread per (batch row, output);
// x = output unit (64 a workgroup), y = batch row.
struct Params { batch: u32, inputs: u32, outputs: u32, hasBias: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;       // [batch][inputs]
@group(0) @binding(1) var<storage, read> rowPtr: array<u32>;  // [outputs + 1]
@group(0) @binding(2) var<storage, read> cols: array<u32>;
@group(0) @binding(3) var<storage, read> vals: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>; // [batch][outputs]
@group(0) @binding(6) var<uniform> p: Params;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let o = gid.x;
  let b = gid.y;
  if (o >= p.outputs || b >= p.batch) { return; }
  var sum = 0.0;
  for (var j = rowPtr[o]; j < rowPtr[o + 1u]; j++) { sum += vals[j] * x[b * p.inputs + cols[j]]; }
  if (p.hasBias != 0u) { sum += bias[o]; }
  y[b * p.outputs + o] = sum;
}
