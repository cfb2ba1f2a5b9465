//! The benchmark shapes, generated the way a user's crate generates its own: `schemas/` (the
//! sample `UserEvent` + `Address`, the 6-field `Small`, the 50-field `Wide`), `evolution/` (v2
//! of `UserEvent`, compiled apart, for the resolution rows) and `proto/`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    schemaflow_build::Builder::new()
        .avro_dir("schemas")
        .proto_dir("proto")
        .separate_set("evolution")
        .compile()?;
    Ok(())
}
