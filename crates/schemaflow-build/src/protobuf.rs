//! `.proto` → prost messages, compiled by `protox` (pure Rust: no `protoc` needed).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use prost::Message as _;
use prost_build::Module;
use prost_types::{DescriptorProto, FileDescriptorProto, FileDescriptorSet};

use crate::rust::{field_ident, str_lit, type_ident};
use crate::{CodegenError, SourceFile};

/// True for the well-known files that registries never get as references
/// (Confluent's `skip.known.types`): `google/protobuf/*`, `google/type/*` and Confluent's
/// bundled `confluent/*` files (the one loader's rule).
pub fn is_well_known(file: &str) -> bool {
    schemaflow_schema::protobuf::bundled::is_bundled(file)
}

/// Compile one set of `.proto` files (`files`, relative to `includes[0]`) and emit its packages
/// as nested modules, plus the set's `FILE_DESCRIPTOR_SET` and metadata.
pub fn generate_set(
    out: &mut String,
    files: &[SourceFile],
    includes: &[PathBuf],
    rt: &str,
    attributes: &[(String, String)],
    btree_map: &[String],
) -> Result<(), CodegenError> {
    if files.is_empty() {
        return Ok(());
    }
    let fds = compile(files, includes)?;

    // Every non-well-known file of the set (own files and their imports) gets metadata.
    let mut meta = String::from("#[doc(hidden)]\npub mod __schemaflow_meta {\n");
    let local_files: Vec<&FileDescriptorProto> = fds
        .file
        .iter()
        .filter(|f| !is_well_known(f.name()))
        .collect();
    let index_of: BTreeMap<&str, usize> = local_files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name(), i))
        .collect();
    for (i, f) in local_files.iter().enumerate() {
        let text = read_text(f.name(), files, includes)?;
        let refs: Vec<String> = f
            .dependency
            .iter()
            .filter_map(|d| index_of.get(d.as_str()).map(|j| (d, *j)))
            .map(|(d, j)| {
                format!(
                    "{rt}::GeneratedReference {{ name: {}, file: {}, schema_type: {rt}::SchemaType::Protobuf, schema_text: FILE_{j}, references: REFS_{j} }}",
                    str_lit(d),
                    str_lit(d)
                )
            })
            .collect();
        let _ = writeln!(meta, "    pub const FILE_{i}: &str = {};", str_lit(&text));
        let _ = writeln!(
            meta,
            "    pub const REFS_{i}: &[{rt}::GeneratedReference] = &[{}];",
            refs.join(", ")
        );
    }
    meta.push_str("}\n");
    out.push_str(&meta);

    let mut encoded = Vec::new();
    fds.encode(&mut encoded).map_err(|e| CodegenError {
        file: "proto".into(),
        reason: e.to_string(),
    })?;
    let _ = writeln!(
        out,
        "/// The encoded `FileDescriptorSet` of this set, imports included (for reflection and JSON).\npub const FILE_DESCRIPTOR_SET: &[u8] = &{encoded:?};"
    );

    // prost-build: one module per package. The well-known types map to prost-types.
    // prost-build needs every file of the graph; the well-known ones come out empty or are
    // dropped below (they map to `prost-types`).
    let requests: Vec<(Module, FileDescriptorProto)> = fds
        .file
        .iter()
        .map(|f| (Module::from_protobuf_package_name(f.package()), f.clone()))
        .collect();
    let mut config = prost_build::Config::new();
    config
        .btree_map(btree_map)
        .compile_well_known_types()
        .prost_path(format!("{rt}::codegen_support::prost"))
        .extern_path(
            ".google.protobuf",
            format!("{rt}::codegen_support::prost_types"),
        );
    // Fully qualified paths (and "." for all) are Protobuf's; names without a leading dot are
    // Avro full names and are not handed to prost-build's suffix matching.
    for (path, attribute) in attributes.iter().filter(|(p, _)| p.starts_with('.')) {
        config.type_attribute(path, attribute);
    }
    let modules = config.generate(requests).map_err(|e| CodegenError {
        file: files
            .first()
            .map(|f| f.path.display().to_string())
            .unwrap_or_default(),
        reason: e.to_string(),
    })?;

    // Trait impls, grouped by package.
    let mut impls: BTreeMap<String, String> = BTreeMap::new();
    for (i, f) in local_files.iter().enumerate() {
        let depth = package_parts(f.package()).len();
        let meta_path = if depth == 0 {
            "self::__schemaflow_meta".to_string()
        } else {
            format!("{}__schemaflow_meta", "super::".repeat(depth))
        };
        let body = impls.entry(f.package().to_string()).or_default();
        for (idx, msg) in f.message_type.iter().enumerate() {
            emit_impls(
                body,
                rt,
                f,
                i,
                &meta_path,
                msg,
                &[idx as i32],
                "",
                f.package(),
            );
        }
    }

    let mut tree = Node::default();
    let mut sorted: Vec<(&Module, &String)> = modules.iter().collect();
    sorted.sort_by_key(|(m, _)| m.parts().collect::<Vec<_>>());
    for (module, code) in sorted {
        let parts: Vec<String> = module.parts().map(|p| p.to_string()).collect();
        if parts.first().is_some_and(|p| p == "google") {
            continue;
        }
        let pkg = parts.join(".");
        let node = tree.at(&parts);
        node.code.push_str(code);
        if let Some(i) = impls.get(&pkg) {
            node.code.push_str(i);
        }
    }
    tree.write(out, "");
    Ok(())
}

/// The one Protobuf loader's chain (schemaflow-schema): include dirs, `google/protobuf/*`, then
/// the files Confluent bundles.
fn compile(files: &[SourceFile], includes: &[PathBuf]) -> Result<FileDescriptorSet, CodegenError> {
    let names: Vec<String> = files.iter().map(|f| f.rel.clone()).collect();
    schemaflow_schema::protobuf::compile_files(includes, &names).map_err(|e| {
        // protox names the file in its error; say which set it was compiling too.
        let file = files
            .iter()
            .find(|f| e.to_string().contains(&f.rel))
            .map(|f| f.path.display().to_string())
            .unwrap_or_else(|| names.join(", "));
        CodegenError {
            file,
            reason: e.to_string(),
        }
    })
}

fn read_text(
    name: &str,
    files: &[SourceFile],
    includes: &[PathBuf],
) -> Result<String, CodegenError> {
    if let Some(f) = files.iter().find(|f| f.rel == name) {
        return Ok(f.text.clone());
    }
    for dir in includes {
        if let Ok(text) = std::fs::read_to_string(dir.join(name)) {
            return Ok(text);
        }
    }
    Err(CodegenError {
        file: name.into(),
        reason: "imported file not found under the include folders".into(),
    })
}

fn package_parts(pkg: &str) -> Vec<&str> {
    pkg.split('.').filter(|p| !p.is_empty()).collect()
}

#[allow(clippy::too_many_arguments)]
fn emit_impls(
    out: &mut String,
    rt: &str,
    file: &FileDescriptorProto,
    file_index: usize,
    meta_path: &str,
    msg: &DescriptorProto,
    path: &[i32],
    rust_prefix: &str,
    name_prefix: &str,
) {
    if msg.options.as_ref().is_some_and(|o| o.map_entry()) {
        return;
    }
    let full_name = if name_prefix.is_empty() {
        msg.name().to_string()
    } else {
        format!("{name_prefix}.{}", msg.name())
    };
    let rust_path = format!("{rust_prefix}{}", type_ident(msg.name()));
    let _ = write!(
        out,
        "impl {rt}::GeneratedSchema for {rust_path} {{\n    const SCHEMA_TYPE: {rt}::SchemaType = {rt}::SchemaType::Protobuf;\n    const FULL_NAME: &'static str = {};\n    const SCHEMA_TEXT: &'static str = {meta_path}::FILE_{file_index};\n    const FILE: &'static str = {};\n    const REFERENCES: &'static [{rt}::GeneratedReference] = {meta_path}::REFS_{file_index};\n    const MESSAGE_INDEXES: &'static [i32] = &{path:?};\n}}\n\
impl {rt}::codec::RegistryCodec for {rust_path} {{\n    fn encode_frame(&self, id: {rt}::wire::SchemaId, buf: &mut ::std::vec::Vec<u8>) -> {rt}::codec::Result<()> {{\n        {rt}::codec::protobuf::encode(id, self, buf);\n        Ok(())\n    }}\n    fn decode_frame(frame: &[u8], writer: &{rt}::codec::WriterSchema) -> {rt}::codec::Result<({rt}::wire::SchemaId, Self)> {{\n        {rt}::codec::protobuf::decode_with_writer(frame, writer)\n    }}\n}}\n",
        str_lit(&full_name),
        str_lit(file.name()),
    );
    let nested_prefix = format!("{rust_prefix}{}::", field_ident(msg.name()));
    for (idx, nested) in msg.nested_type.iter().enumerate() {
        let mut p = path.to_vec();
        p.push(idx as i32);
        emit_impls(
            out,
            rt,
            file,
            file_index,
            meta_path,
            nested,
            &p,
            &nested_prefix,
            &full_name,
        );
    }
}

#[derive(Default)]
struct Node {
    code: String,
    children: BTreeMap<String, Node>,
}

impl Node {
    fn at(&mut self, parts: &[String]) -> &mut Node {
        let mut node = self;
        for p in parts {
            node = node.children.entry(p.clone()).or_default();
        }
        node
    }

    fn write(&self, out: &mut String, name: &str) {
        if !name.is_empty() {
            let _ = writeln!(
                out,
                "#[allow(clippy::all, missing_docs)]\npub mod {} {{",
                field_ident(name)
            );
        }
        out.push_str(&self.code);
        for (child, node) in &self.children {
            node.write(out, child);
        }
        if !name.is_empty() {
            out.push_str("}\n");
        }
    }
}
