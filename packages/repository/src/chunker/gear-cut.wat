;; The gear-hash cut finder of chunker/index.ts (findCut) in WebAssembly: the same arithmetic,
;; so the same cut points (tests compare them), about twice as fast as V8's code for the loop
;; (no bounds checks on the two loads per byte). The write pool's workers use it; findCut in
;; TypeScript stays the reference and the inline path.
;;
;; Memory layout: bytes 0..1023 hold the 256 gear words (little-endian i32, as Int32Array
;; writes them on every host Node supports); the data to chunk starts at byte 1024, so data
;; offset i is address 1024 + i. The host grows memory to fit its data.
;;
;; Rebuild gear-cut-wasm.ts after editing: node packages/repository/scripts/build-gear-cut-wasm.mjs
(module
  (memory (export "memory") 1)
  ;; Returns the end (exclusive) of the chunk that starts at $start in data[$start, $end).
  (func (export "findCut")
    (param $start i32) (param $end i32) (param $min i32) (param $avg i32) (param $max i32)
    (param $maskS i32) (param $maskL i32) (result i32)
    (local $n i32) (local $normal i32) (local $stop i32) (local $h i32) (local $i i32)
    (local.set $n (i32.sub (local.get $end) (local.get $start)))
    (if (i32.le_u (local.get $n) (local.get $min)) (then (return (local.get $end))))
    (if (i32.gt_u (local.get $n) (local.get $max)) (then (local.set $n (local.get $max))))
    ;; normal = start + min(n, avg); stop = start + n
    (local.set $normal (i32.add (local.get $start)
      (select (local.get $n) (local.get $avg) (i32.lt_u (local.get $n) (local.get $avg)))))
    (local.set $stop (i32.add (local.get $start) (local.get $n)))
    (local.set $i (i32.add (local.get $start) (local.get $min)))
    ;; Before the average size: the stricter mask (normalized chunking). Two bytes a turn while
    ;; two are left (half the loop's compare-and-branch per byte, ~10-15% faster), then the
    ;; one-byte loop takes the remainder; the hash and the cut points are the same.
    (block $doneS2
      (loop $small2
        (br_if $doneS2 (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $normal)))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.shl (i32.load8_u offset=1024 (local.get $i)) (i32.const 2)))))
        (if (i32.eqz (i32.and (local.get $h) (local.get $maskS)))
          (then (return (i32.add (local.get $i) (i32.const 1)))))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.shl (i32.load8_u offset=1025 (local.get $i)) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (if (i32.eqz (i32.and (local.get $h) (local.get $maskS))) (then (return (local.get $i))))
        (br $small2)))
    (block $doneS
      (loop $small
        (br_if $doneS (i32.ge_u (local.get $i) (local.get $normal)))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.shl (i32.load8_u offset=1024 (local.get $i)) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.eqz (i32.and (local.get $h) (local.get $maskS))) (then (return (local.get $i))))
        (br $small)))
    ;; After it: the looser mask, up to the forced cut; two bytes a turn the same way.
    (block $doneL2
      (loop $large2
        (br_if $doneL2 (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $stop)))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.shl (i32.load8_u offset=1024 (local.get $i)) (i32.const 2)))))
        (if (i32.eqz (i32.and (local.get $h) (local.get $maskL)))
          (then (return (i32.add (local.get $i) (i32.const 1)))))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.shl (i32.load8_u offset=1025 (local.get $i)) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (if (i32.eqz (i32.and (local.get $h) (local.get $maskL))) (then (return (local.get $i))))
        (br $large2)))
    (block $doneL
      (loop $large
        (br_if $doneL (i32.ge_u (local.get $i) (local.get $stop)))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.shl (i32.load8_u offset=1024 (local.get $i)) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.eqz (i32.and (local.get $h) (local.get $maskL))) (then (return (local.get $i))))
        (br $large)))
    (local.get $stop))
)
