//! Generates the repository's sample types from `schemas/` and `proto/` (as the root crate's
//! build script does) so the fuzz targets run the generated decoders themselves. The runtime
//! is `crate::runtime`, this crate's re-export of `schemaflow-schema`: the main crate, which
//! the generated code names by default, would bring librdkafka in.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    schemaflow_build::Builder::new()
        .avro_dir("../../schemas")
        .proto_dir("../../proto")
        .separate_set("evolution")
        .runtime_crate("crate::runtime")
        .compile()?;
    Ok(())
}
