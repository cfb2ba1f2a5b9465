//! Generates this repository's sample types (what `demo`, the examples, the tests and the
//! benchmarks use) from `schemas/` and `proto/` into `$OUT_DIR/schemaflow.rs`, exactly as a
//! user's crate does: the library itself includes none of them. `evolution/` holds v2 of the
//! same types, compiled as a separate set.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    schemaflow_build::Builder::new()
        .avro_dir("schemas")
        .proto_dir("proto")
        .separate_set("evolution")
        .compile()?;
    Ok(())
}
