fn main() -> Result<(), Box<dyn std::error::Error>> {
    schemaflow_build::Builder::new()
        .avro_dir("schemas") // every .avsc below it
        .proto_dir("proto") // every .proto below it; also the import root
        .json_schema_dir("json") // every .json below it; `$ref`s name each other by path
        .separate_set("v2") // schemas/v2/: the next version, compiled apart
        .compile()?; // writes $OUT_DIR/schemaflow.rs, prints rerun-if-changed
    Ok(())
}
