//! `peer-registry FRAMES.json`: the embedded registry for `scripts/peer_bench.py` (Confluent's
//! Python serdes). Registers the benchmark shapes, writes schemaflow's frames of the benchmark
//! values and the registry URL to FRAMES.json, prints the URL, and serves until killed.
//!
//! In-process (not `schemaflow registry serve`) so the registered subjects and the frames come
//! from the same code as the Rust benchmarks, with no second binary to build.

fn main() -> Result<(), schemaflow_bench::SetupError> {
    let out = std::env::args()
        .nth(1)
        .ok_or("usage: peer-registry FRAMES.json")?;
    let registry = schemaflow_bench::BenchRegistry::start()?;
    let json = registry.frames.to_json(registry.url());
    std::fs::write(&out, serde_json::to_vec_pretty(&json)?)?;
    println!("{}", registry.url());
    // Serve until the script that started us kills us (by pid).
    registry.runtime.block_on(std::future::pending::<()>());
    Ok(())
}
