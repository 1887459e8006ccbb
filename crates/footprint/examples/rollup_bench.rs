//! Times a full roll-up of the benchmark supply tree (10,000 parts, 50 organizations, 5 tiers):
//! `cargo run --release -p junkan-footprint --example rollup_bench`. Prints one JSON line.

use std::time::Instant;

use junkan_footprint::rollup::rollup;
use junkan_footprint::synthetic::benchmark_graph;

fn main() {
    let started = Instant::now();
    let (graph, root) = benchmark_graph(1);
    let build_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut timings = Vec::new();
    let mut total = String::new();
    for _ in 0..20 {
        let started = Instant::now();
        let result = rollup(&graph, &root).expect("the benchmark graph rolls up");
        timings.push(started.elapsed().as_secs_f64() * 1000.0);
        total = result.total.to_string();
    }
    timings.sort_by(f64::total_cmp);
    println!(
        "{{\"parts\":{},\"build_ms\":{build_ms:.2},\"rollup_ms_min\":{:.2},\"rollup_ms_median\":{:.2},\"rollup_ms_max\":{:.2},\"total\":\"{total}\"}}",
        graph.parts().len(),
        timings[0],
        timings[timings.len() / 2],
        timings[timings.len() - 1]
    );
}
