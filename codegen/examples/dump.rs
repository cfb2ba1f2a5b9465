//! Print the generated source for a crate root (default: the current folder).
fn main() {
    let root = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let opts = schemaflow_codegen::Options::for_crate_root(std::path::Path::new(&root));
    match schemaflow_codegen::generate(&opts) {
        Ok(g) => print!("{}", g.source),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
