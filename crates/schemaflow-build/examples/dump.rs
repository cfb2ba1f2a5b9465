//! Print the generated source for a crate root (default: the current folder) that holds
//! `schemas/` and/or `proto/`, with `evolution/` compiled apart as this repository does.
fn main() {
    let root = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let mut builder = schemaflow_build::Builder::new();
    if root.join("schemas").is_dir() {
        builder.avro_dir(root.join("schemas"));
    }
    if root.join("proto").is_dir() {
        builder.proto_dir(root.join("proto"));
    }
    match builder.separate_set("evolution").generate() {
        Ok(g) => print!("{}", g.source),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
