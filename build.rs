//! Generates Rust types from `schemas/**/*.avsc` and `proto/**/*.proto`.
//! The logic lives in the `schemaflow-codegen` workspace member (pure, golden-tested).
fn main() {
    schemaflow_codegen::build_script();
}
