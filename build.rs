//! Generates this repository's sample types (what `demo`, the examples, the tests and the
//! benchmarks use) from `schemas/`, `schemas/json/` and `proto/` into `$OUT_DIR/schemaflow.rs`,
//! exactly as a user's crate does: the library itself includes none of them. `evolution/`
//! holds v2 of the same types, compiled as a separate set. `schemaflow.lock` holds the released
//! versions: a breaking change to a sample schema fails this build (`schemaflow lock --add`
//! after a release records the new version), for JSON Schema subjects as for the others.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    schemaflow_build::Builder::new()
        .avro_dir("schemas")
        .json_schema_dir("schemas/json")
        .proto_dir("proto")
        .separate_set("evolution")
        .lock_file("schemaflow.lock")
        .compile()?;
    Ok(())
}
