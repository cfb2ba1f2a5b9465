//! # schemaflow-build
//!
//! Build-time code generation for the `schemaflow` crate: Rust types
//! for a crate's own Avro (`.avsc`), Protobuf (`.proto`) and JSON Schema (`.json`) schemas,
//! generated from its `build.rs` — what prost-build is for Protobuf, for all three formats,
//! with every type knowing its schema for the registry.
//!
//! ```no_run
//! // build.rs of your crate ([build-dependencies] schemaflow-build)
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     schemaflow_build::Builder::new()
//!         .avro_dir("schemas") // every .avsc below it
//!         .proto_dir("proto") // every .proto below it; also the import root
//!         .json_schema_dir("json") // every .json JSON Schema below it
//!         .compile()?; // writes $OUT_DIR/schemaflow.rs, prints rerun-if-changed
//!     Ok(())
//! }
//! ```
//!
//! ```text
//! // anywhere in your crate ([dependencies] schemaflow)
//! pub mod schemas {
//!     schemaflow::include_schemas!();
//! }
//! use schemas::avro::order::Order; // schemas/order.avsc
//! use schemas::proto::shop::v1::Shipment; // proto/shop/v1/*.proto, package shop.v1
//! use schemas::json::invoice::Invoice; // json/invoice.json, "title": "Invoice"
//! ```
//!
//! What is generated:
//!
//! * **Avro**: every `.avsc` file becomes a module named after its file stem
//!   (`avro::order`), holding a serde struct or enum per named type it defines. A named type
//!   defined in another file is referred to by a relative path (`super::address::Address`),
//!   never generated twice. Maps are `BTreeMap` (deterministic encoding order); decimals are
//!   `schemaflow::Decimal<SCALE>`; uuids `schemaflow::Uuid`.
//! * **Protobuf**: `.proto` files are compiled by protox (pure Rust, no `protoc`), through the
//!   same loader as schemaflow's registry and checker (so imports of `google/protobuf/*`,
//!   `google/type/*` and Confluent's `confluent/*` files resolve without being given), then
//!   prost-build generates messages: one module per package (`proto::shop::v1`).
//! * **JSON Schema**: every `.json` file becomes a module named after its file stem
//!   (`json::invoice`), holding serde types for its root (named after its `title`, else the
//!   stem), its `definitions`/`$defs` (named after their keys) and the objects, string enums
//!   and unions inside them. The file is first validated as the registry validates it (the
//!   draft from `$schema`, draft-07 when absent; the draft's meta-schema; every `$ref`
//!   resolved), so a broken schema fails the build naming the file and the reason. A `$ref`
//!   to another file (`"party.json"`, relative to the referring file — the name Confluent's
//!   registry references it by) is that file's type by a relative path; `#/definitions/..`
//!   and `#/$defs/..` are the definition's type; recursion is boxed where needed. Properties
//!   keep the schema's order; a required property is a plain field; an optional one is an
//!   `Option` left out when `None`, unless `null` is one of its values (`type: [T, "null"]`,
//!   `oneOf [null, X]`: `None` is written as `null`, as Python writes a key set to None) or it
//!   has a `default` (then the field holds the default when the key is absent, and is always
//!   written); maps are `BTreeMap`; `format`s stay `String`s (written back exactly as read).
//!   Parts with no Rust shape (tuples, mixed `type` lists, `{}`) are `serde_json::Value`,
//!   which needs `serde_json` among the crate's dependencies.
//! * Every top-level Avro type, every Protobuf message and every JSON Schema file's root type
//!   implements
//!   `schemaflow::GeneratedSchema` (the file's exact text, full name, references, message
//!   index path; for JSON Schema the `$ref` names as references) and
//!   `schemaflow::codec::RegistryCodec`, so the typed producer and consumer take it as is.
//! * Every Avro record `Foo` also gets `Foo::decode_into(&mut self, frame, writer)` (decoding
//!   into an existing value, its strings, vectors and map entries reused) and a borrowed view
//!   `FooRef<'a>` (`Foo::view(frame, writer)`: strings and bytes as `&'a str` / `&'a [u8]` into
//!   the frame, arrays and maps as lazy `ArrayRef` / `MapRef`, `to_owned()` into `Foo`), for
//!   frames written with `Foo`'s own schema (or one that only adds trailing fields).
//! * The generated code refers to the runtime only as `::schemaflow::…` (see
//!   [`Builder::runtime_crate`]) and to your own generated items relatively, and carries its
//!   own `#[allow]`s, so it compiles in a crate with `#![deny(warnings, missing_docs)]`.
//!
//! A second set compiled apart — a v2 of the same types beside v1, as schemaflow's own
//! `evolution/` samples — is opt-in: [`Builder::separate_set`].
#![deny(missing_docs)]

mod avro;
mod json_schema;
mod lock;
mod protobuf;
mod rust;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// A failure to turn a schema file into Rust: names the file and the parser's reason.
pub struct Error {
    /// The file (or files, or folder) at fault.
    pub file: String,
    /// What the parser or generator said.
    pub reason: String,
}

/// The error's former name.
pub type CodegenError = Error;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.reason)
    }
}

// Debug as Display: a build script's `main() -> Result<(), Box<dyn Error>>` prints the error
// with `{:?}`, and cargo shows that to the user — it must read as the findings, not as an
// escaped struct.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}

/// The result of [`Builder::generate`]: Rust source plus the files it was made from.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The whole generated module tree, to be `include!`d (`schemaflow::include_schemas!`).
    pub source: String,
    /// Every input file that was read (for `cargo:rerun-if-changed`).
    pub inputs: Vec<PathBuf>,
}

/// A schema file read from disk: path relative to its root folder and its exact text.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    pub rel: String,
    pub path: PathBuf,
    pub text: String,
}

/// Configures and runs the code generation (the prost-build `Config` of schemaflow).
///
/// Relative folders are relative to the current directory, which in a build script is the
/// crate's root (`CARGO_MANIFEST_DIR`).
///
/// In a build script, [`compile`](Builder::compile) (see the crate example); in a test or a
/// tool, [`generate`](Builder::generate) answers the source without writing anything:
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::write(
///     dir.path().join("user.avsc"),
///     r#"{"type":"record","name":"User","namespace":"shop","fields":[{"name":"id","type":"string"}]}"#,
/// )?;
/// let generated = schemaflow_build::Builder::new()
///     .avro_dir(dir.path())
///     .generate()?;
/// assert!(generated.source.contains("pub mod user"));
/// assert!(generated.source.contains("pub struct User"));
/// assert_eq!(generated.inputs, [dir.path().join("user.avsc")]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    avro_dirs: Vec<PathBuf>,
    json_schema_dirs: Vec<PathBuf>,
    proto_dirs: Vec<PathBuf>,
    includes: Vec<PathBuf>,
    separate_sets: Vec<String>,
    runtime: String,
    out_dir: Option<PathBuf>,
    file_name: String,
    type_attributes: Vec<(String, String)>,
    btree_map: Vec<String>,
    rerun_if_changed: bool,
    lock_file: Option<PathBuf>,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// No schemas yet; the runtime is `::schemaflow`, the output `$OUT_DIR/schemaflow.rs`.
    pub fn new() -> Self {
        Builder {
            avro_dirs: Vec::new(),
            json_schema_dirs: Vec::new(),
            proto_dirs: Vec::new(),
            includes: Vec::new(),
            separate_sets: Vec::new(),
            runtime: "::schemaflow".to_string(),
            out_dir: None,
            file_name: "schemaflow.rs".to_string(),
            type_attributes: Vec::new(),
            btree_map: vec![".".to_string()],
            rerun_if_changed: true,
            lock_file: None,
        }
    }

    /// Generate every `.avsc` file below `dir` (one module per file, named after its stem,
    /// under `avro::`). Call again for more folders; their files form one set, so they may
    /// refer to each other's named types.
    pub fn avro_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.avro_dirs.push(dir.as_ref().to_path_buf());
        self
    }

    /// Generate every `.json` JSON Schema file below `dir` (one module per file, named after
    /// its stem, under `json::`; the root type is named after the schema's `title`, else the
    /// stem). Call again for more folders; their files form one set, so a `$ref` may name
    /// another file by its path relative to the referring file (`"address.json"`, the name
    /// Confluent's registry references it by). The crate using the types needs the
    /// `json-schema` feature of `schemaflow`: without it they fail to compile, saying so.
    pub fn json_schema_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.json_schema_dirs.push(dir.as_ref().to_path_buf());
        self
    }

    /// Generate every `.proto` file below `dir` (one module per package, under `proto::`);
    /// `dir` is also an import root. Call again for more folders.
    pub fn proto_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.proto_dirs.push(dir.as_ref().to_path_buf());
        self
    }

    /// An extra Protobuf import root whose files are imported but not generated (shared
    /// `.proto` files of another team). `google/protobuf/*`, `google/type/*` and Confluent's
    /// `confluent/*` files need none.
    pub fn include(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.includes.push(dir.as_ref().to_path_buf());
        self
    }

    /// Compile the sub-folder `name` of every Avro, JSON Schema and Protobuf folder apart, as
    /// its own set (`avro::<name>::…`, `json::<name>::…`, `proto::<name>::…`, with its own
    /// descriptor pool): for a next version of types that share names with the main set, such
    /// as a v2 to test evolution against. Its files may refer to the main set's types (Avro
    /// named types; JSON Schema `$ref`s to files, resolved in the sub-folder first; Protobuf
    /// imports, resolved in the sub-folder first). Without this, a sub-folder is part of the
    /// main set like any other.
    pub fn separate_set(&mut self, name: impl Into<String>) -> &mut Self {
        self.separate_sets.push(name.into());
        self
    }

    /// The path by which generated code names the schemaflow crate. Default `::schemaflow`;
    /// set it when you depend on schemaflow under another name or re-export it.
    pub fn runtime_crate(&mut self, path: impl Into<String>) -> &mut Self {
        self.runtime = path.into();
        self
    }

    /// Where [`compile`](Self::compile) writes. Default: `$OUT_DIR`.
    pub fn out_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// The generated file's name. Default `schemaflow.rs` (what `include_schemas!()` reads;
    /// `include_schemas!("other.rs")` reads another).
    pub fn file_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.file_name = name.into();
        self
    }

    /// Add an attribute (`#[derive(Hash)]`, `#[serde(deny_unknown_fields)]`, …) to generated
    /// types. `path` is an Avro full name (`shop.Order`), a Protobuf full name with a
    /// leading dot (`.shop.v1.Shipment`, prost-build's matching), or for JSON Schema a Rust
    /// type name (`Invoice`) or a file and pointer (`invoice.json#/definitions/Line`,
    /// `invoice.json#` for the root); `"."` matches every type of every format. Avro types always derive `Debug, Clone, PartialEq, Serialize,
    /// Deserialize`; Protobuf messages what prost derives.
    pub fn type_attribute(
        &mut self,
        path: impl Into<String>,
        attribute: impl Into<String>,
    ) -> &mut Self {
        self.type_attributes.push((path.into(), attribute.into()));
        self
    }

    /// Which Protobuf `map<…>` fields become `BTreeMap` (prost-build's `btree_map` paths:
    /// `"."` all, `".shop.v1.Order.labels"` one field); the others become `HashMap`. Default:
    /// all, so encoding order — and so the bytes — is deterministic. Avro maps are always
    /// `BTreeMap` for the same reason. Note that prost's derive names `::prost` for map fields,
    /// so a crate whose `.proto` files have maps depends on `prost` itself.
    pub fn btree_map<I, S>(&mut self, paths: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.btree_map = paths.into_iter().map(Into::into).collect();
        self
    }

    /// Whether [`compile`](Self::compile) prints `cargo:rerun-if-changed` for every folder
    /// and file it read (default: yes).
    pub fn emit_rerun_if_changed(&mut self, yes: bool) -> &mut Self {
        self.rerun_if_changed = yes;
        self
    }

    /// Refuse to build a schema that is incompatible with its released versions in this
    /// `schemaflow.lock` (written by `schemaflow lock`): [`generate`](Self::generate) and
    /// [`compile`](Self::compile) fail with one `file:line: RULE path: message` line per
    /// finding, as `schemaflow check --against lock` prints them. Each locked subject is
    /// matched to a schema file of the main set by the `file` the lock records (relative to
    /// the lock's folder) and checked against every locked version in its level; subjects
    /// whose file this build does not compile are left to `schemaflow check`.
    pub fn lock_file(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.lock_file = Some(path.as_ref().to_path_buf());
        self
    }

    /// Generate the Rust source without writing anything (for tests and tools).
    pub fn generate(&self) -> Result<Generated, Error> {
        generate(self)
    }

    /// Generate and write `<out_dir>/<file_name>` (only when its content changed, so cargo
    /// does not rebuild what did not change), printing `cargo:rerun-if-changed` lines.
    pub fn compile(&self) -> Result<(), Error> {
        let out_dir = match &self.out_dir {
            Some(d) => d.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or_else(|| Error {
                    file: "$OUT_DIR".into(),
                    reason: "not set: call compile() from a build script, or set out_dir()".into(),
                })?,
        };
        if self.rerun_if_changed {
            for dir in self
                .avro_dirs
                .iter()
                .chain(&self.json_schema_dirs)
                .chain(&self.proto_dirs)
                .chain(&self.includes)
                .chain(&self.lock_file)
            {
                println!("cargo:rerun-if-changed={}", dir.display());
            }
        }
        let generated = generate(self)?;
        if self.rerun_if_changed {
            for input in &generated.inputs {
                println!("cargo:rerun-if-changed={}", input.display());
            }
        }
        let target = out_dir.join(&self.file_name);
        write_if_changed(&target, &generated.source).map_err(|e| Error {
            file: target.display().to_string(),
            reason: format!("cannot write: {e}"),
        })?;
        Ok(())
    }
}

/// Attributes on the top modules: the generated code must not add warnings (dead code of
/// unused types, missing docs, clippy's style lints) to a crate that denies them.
const TOP_ALLOW: &str =
    "#[allow(missing_docs, dead_code, unused_imports, unreachable_pub, clippy::all, clippy::pedantic, clippy::nursery)]\n";

fn generate(b: &Builder) -> Result<Generated, Error> {
    let mut inputs = Vec::new();
    let avro_main = read_sets(&b.avro_dirs, "avsc", None, &b.separate_sets)?;
    let proto_main = read_sets(&b.proto_dirs, "proto", None, &b.separate_sets)?;
    let json_main = read_sets(&b.json_schema_dirs, "json", None, &b.separate_sets)?;
    inputs.extend(avro_main.iter().map(|f| f.path.clone()));
    inputs.extend(json_main.iter().map(|f| f.path.clone()));
    inputs.extend(proto_main.iter().map(|f| f.path.clone()));
    if let Some(lock_path) = &b.lock_file {
        // Imports from include folders resolve like the set's own files.
        let extra = read_sets(&b.includes, "proto", None, &[])?;
        lock::check(lock_path, &avro_main, &proto_main, &extra, &json_main)?;
        inputs.push(lock_path.clone());
    }

    let mut out = String::new();
    out.push_str("// @generated by schemaflow-build. Do not edit.\n\n");

    if !b.avro_dirs.is_empty() {
        out.push_str("/// Types generated from the Avro schemas (one module per `.avsc` file).\n");
        out.push_str(TOP_ALLOW);
        out.push_str("pub mod avro {\n");
        let main_names =
            avro::generate_set(&mut out, &avro_main, None, &b.runtime, &b.type_attributes)?;
        for set in &b.separate_sets {
            let files = read_sets(&b.avro_dirs, "avsc", Some(set), &b.separate_sets)?;
            inputs.extend(files.iter().map(|f| f.path.clone()));
            if files.is_empty() {
                continue;
            }
            open_set_module(&mut out, set, "it may refer to the parent module's types");
            avro::generate_set(
                &mut out,
                &files,
                Some(&main_names),
                &b.runtime,
                &b.type_attributes,
            )?;
            out.push_str("}\n");
        }
        out.push_str("}\n\n");
    }

    if !b.json_schema_dirs.is_empty() {
        out.push_str("/// Types generated from the JSON Schemas (one module per `.json` file).\n");
        out.push_str(TOP_ALLOW);
        out.push_str("pub mod json {\n");
        let main =
            json_schema::generate_set(&mut out, &json_main, None, &b.runtime, &b.type_attributes)?;
        for set in &b.separate_sets {
            let files = read_sets(&b.json_schema_dirs, "json", Some(set), &b.separate_sets)?;
            inputs.extend(files.iter().map(|f| f.path.clone()));
            if files.is_empty() {
                continue;
            }
            open_set_module(&mut out, set, "it may refer to the parent module's files");
            json_schema::generate_set(
                &mut out,
                &files,
                Some(&main),
                &b.runtime,
                &b.type_attributes,
            )?;
            out.push_str("}\n");
        }
        out.push_str("}\n\n");
    }

    if !b.proto_dirs.is_empty() {
        out.push_str(
            "/// Messages generated from the Protobuf schemas (one module per package).\n",
        );
        out.push_str(TOP_ALLOW);
        out.push_str("pub mod proto {\n");
        let mut includes: Vec<PathBuf> = b.proto_dirs.clone();
        includes.extend(b.includes.iter().cloned());
        protobuf::generate_set(
            &mut out,
            &proto_main,
            &includes,
            &b.runtime,
            &b.type_attributes,
            &b.btree_map,
        )?;
        for set in &b.separate_sets {
            let files = read_sets(&b.proto_dirs, "proto", Some(set), &b.separate_sets)?;
            inputs.extend(files.iter().map(|f| f.path.clone()));
            if files.is_empty() {
                continue;
            }
            open_set_module(&mut out, set, "compiled in its own descriptor pool");
            // The set's own folder first, so its files shadow the main set's of the same path.
            let mut set_includes: Vec<PathBuf> = b.proto_dirs.iter().map(|d| d.join(set)).collect();
            set_includes.extend(includes.iter().cloned());
            protobuf::generate_set(
                &mut out,
                &files,
                &set_includes,
                &b.runtime,
                &b.type_attributes,
                &b.btree_map,
            )?;
            out.push_str("}\n");
        }
        out.push_str("}\n");
    }
    Ok(Generated {
        source: out,
        inputs,
    })
}

/// Open the module of the separate set `set` (closed by the caller after its items).
fn open_set_module(out: &mut String, set: &str, note: &str) {
    out.push_str(&format!(
        "/// The separate set `{set}/` ({note}).\npub mod {} {{\n",
        rust::field_ident(set)
    ));
}

/// Write `contents` to `path` unless the file already holds exactly that (keeps mtimes, so
/// cargo does not rebuild what did not change). Returns whether it wrote.
pub fn write_if_changed(path: &Path, contents: &str) -> std::io::Result<bool> {
    if let Ok(existing) = fs::read_to_string(path) {
        if existing == contents {
            return Ok(false);
        }
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, contents)?;
    Ok(true)
}

/// The files with extension `ext` of the main set (`set == None`: below every dir, minus the
/// separate sets' top-level sub-folders) or of one separate set (below `<dir>/<set>/`), each
/// with its path relative to the folder it was found in (its import path), sorted by it.
fn read_sets(
    dirs: &[PathBuf],
    ext: &str,
    set: Option<&str>,
    separate: &[String],
) -> Result<Vec<SourceFile>, Error> {
    let mut files = Vec::new();
    for dir in dirs {
        let root = match set {
            Some(s) => dir.join(s),
            None => dir.clone(),
        };
        if !root.is_dir() {
            if set.is_none() {
                return Err(Error {
                    file: root.display().to_string(),
                    reason: "not a folder".into(),
                });
            }
            continue;
        }
        let skip: &[String] = if set.is_none() { separate } else { &[] };
        walk(&root, &root, ext, skip, &mut files)?;
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(files)
}

fn walk(
    root: &Path,
    dir: &Path,
    ext: &str,
    skip_at_root: &[String],
    files: &mut Vec<SourceFile>,
) -> Result<(), Error> {
    let io_err = |p: &Path, e: std::io::Error| Error {
        file: p.display().to_string(),
        reason: e.to_string(),
    };
    let mut entries = fs::read_dir(dir)
        .map_err(|e| io_err(dir, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| io_err(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            let name = entry.file_name();
            if dir == root && skip_at_root.iter().any(|s| name == s.as_str()) {
                continue;
            }
            walk(root, &path, ext, skip_at_root, files)?;
        } else if path.extension().and_then(|e| e.to_str()) == Some(ext) {
            let text = fs::read_to_string(&path).map_err(|e| io_err(&path, e))?;
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            files.push(SourceFile { rel, path, text });
        }
    }
    Ok(())
}
