;; Sparse (CSR) x dense products for pruned dense layers, WebAssembly SIMD.
;;
;; y[b][o] = bias[o] + sum over the nonzeros j of row o of W^T: vals[j] * x[b][cols[j]].
;; The input is taken transposed, xT [in][batch], so one nonzero meets 4 batch rows in one v128
;; load; the result comes out transposed too, yT [out][batch], and csr_finish turns it back.
;;
;; Assembled by scripts/build-wasm.ts (wabt) into csr.wasm.ts; never edit that file by hand.
(module
  (memory (export "memory") 1)

  ;; dst [cols][rows] = src [rows][cols]
  (func (export "transpose") (param $src i32) (param $rows i32) (param $cols i32) (param $dst i32)
    (local $r i32) (local $c i32)
    (block $done_r (loop $each_r
      (br_if $done_r (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $c (i32.const 0))
      (block $done_c (loop $each_c
        (br_if $done_c (i32.ge_u (local.get $c) (local.get $cols)))
        (f32.store
          (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2)))
          (f32.load (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2)))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $each_c)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $each_r))))

  ;; yT [rows][batch] = W^T (CSR: rowptr [rows + 1], cols, vals) x xT [in][batch].
  ;; Batch columns go 16 at a time (4 v128 accumulators share each nonzero), then 4, then 1.
  (func (export "csr_spmm")
    (param $rowptr i32) (param $cols i32) (param $vals i32) (param $rows i32)
    (param $xT i32) (param $batch i32) (param $yT i32)
    (local $o i32) (local $j i32) (local $end i32) (local $b i32) (local $x i32) (local $s v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $sum f32)
    (local $rowBytes i32) (local $out i32)
    (local.set $rowBytes (i32.shl (local.get $batch) (i32.const 2)))
    (block $done_o (loop $each_o
      (br_if $done_o (i32.ge_u (local.get $o) (local.get $rows)))
      (local.set $end (i32.load (i32.add (local.get $rowptr) (i32.shl (i32.add (local.get $o) (i32.const 1)) (i32.const 2)))))
      (local.set $out (i32.add (local.get $yT) (i32.mul (local.get $o) (local.get $rowBytes))))
      (local.set $b (i32.const 0))
      (block $done_16 (loop $each_16
        (br_if $done_16 (i32.gt_u (i32.add (local.get $b) (i32.const 16)) (local.get $batch)))
        (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (local.get $a0))
        (local.set $a2 (local.get $a0)) (local.set $a3 (local.get $a0))
        (local.set $j (i32.load (i32.add (local.get $rowptr) (i32.shl (local.get $o) (i32.const 2)))))
        (block $done_j (loop $each_j
          (br_if $done_j (i32.ge_u (local.get $j) (local.get $end)))
          (local.set $s (f32x4.splat (f32.load (i32.add (local.get $vals) (i32.shl (local.get $j) (i32.const 2))))))
          (local.set $x (i32.add (local.get $xT)
            (i32.add (i32.mul (i32.load (i32.add (local.get $cols) (i32.shl (local.get $j) (i32.const 2)))) (local.get $rowBytes))
                     (i32.shl (local.get $b) (i32.const 2)))))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $s) (v128.load offset=0 (local.get $x)))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $s) (v128.load offset=16 (local.get $x)))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $s) (v128.load offset=32 (local.get $x)))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $s) (v128.load offset=48 (local.get $x)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $each_j)))
        (local.set $x (i32.add (local.get $out) (i32.shl (local.get $b) (i32.const 2))))
        (v128.store offset=0 (local.get $x) (local.get $a0))
        (v128.store offset=16 (local.get $x) (local.get $a1))
        (v128.store offset=32 (local.get $x) (local.get $a2))
        (v128.store offset=48 (local.get $x) (local.get $a3))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $each_16)))
      (block $done_4 (loop $each_4
        (br_if $done_4 (i32.gt_u (i32.add (local.get $b) (i32.const 4)) (local.get $batch)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.load (i32.add (local.get $rowptr) (i32.shl (local.get $o) (i32.const 2)))))
        (block $done_j4 (loop $each_j4
          (br_if $done_j4 (i32.ge_u (local.get $j) (local.get $end)))
          (local.set $a0 (f32x4.add (local.get $a0)
            (f32x4.mul
              (f32x4.splat (f32.load (i32.add (local.get $vals) (i32.shl (local.get $j) (i32.const 2)))))
              (v128.load (i32.add (local.get $xT)
                (i32.add (i32.mul (i32.load (i32.add (local.get $cols) (i32.shl (local.get $j) (i32.const 2)))) (local.get $rowBytes))
                         (i32.shl (local.get $b) (i32.const 2))))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $each_j4)))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $b) (i32.const 2))) (local.get $a0))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (br $each_4)))
      (block $done_1 (loop $each_1
        (br_if $done_1 (i32.ge_u (local.get $b) (local.get $batch)))
        (local.set $sum (f32.const 0))
        (local.set $j (i32.load (i32.add (local.get $rowptr) (i32.shl (local.get $o) (i32.const 2)))))
        (block $done_j1 (loop $each_j1
          (br_if $done_j1 (i32.ge_u (local.get $j) (local.get $end)))
          (local.set $sum (f32.add (local.get $sum)
            (f32.mul
              (f32.load (i32.add (local.get $vals) (i32.shl (local.get $j) (i32.const 2))))
              (f32.load (i32.add (local.get $xT)
                (i32.add (i32.mul (i32.load (i32.add (local.get $cols) (i32.shl (local.get $j) (i32.const 2)))) (local.get $rowBytes))
                         (i32.shl (local.get $b) (i32.const 2))))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $each_j1)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $b) (i32.const 2))) (local.get $sum))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $each_1)))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $each_o))))

  ;; y [batch][rows] = yT [rows][batch] transposed, plus bias [rows] (0 = none).
  (func (export "csr_finish") (param $yT i32) (param $rows i32) (param $batch i32) (param $bias i32) (param $y i32)
    (local $b i32) (local $o i32) (local $v f32)
    (block $done_b (loop $each_b
      (br_if $done_b (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $o (i32.const 0))
      (block $done_o (loop $each_o
        (br_if $done_o (i32.ge_u (local.get $o) (local.get $rows)))
        (local.set $v (f32.load (i32.add (local.get $yT)
          (i32.shl (i32.add (i32.mul (local.get $o) (local.get $batch)) (local.get $b)) (i32.const 2)))))
        (if (local.get $bias)
          (then (local.set $v (f32.add (local.get $v)
            (f32.load (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2))))))))
        (f32.store (local.get $y) (local.get $v))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $each_o)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $each_b))))
)
