//! The Σi² kernel built natively: the peer of the wasm kernel in P5.
//! `cargo xtask bench` builds it with `-C target-cpu=native`.
//! Prints one JSON line: {"kernel_native_ns": median ns for n = 10^7, ...}.

use std::time::Instant;

fn main() {
    let n = 10_000_000u64;
    let mut runs: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            let s = workload::sum_squares(std::hint::black_box(n));
            let ns = t.elapsed().as_nanos() as f64;
            assert_eq!(s, workload::closed_form(n));
            ns
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    println!(
        "{{\"kernel_native_ns\": {}, \"kernel_native_min_ns\": {}, \"kernel_native_max_ns\": {}}}",
        runs[3], runs[0], runs[6]
    );
}
