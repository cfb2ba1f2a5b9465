//! The one Protobuf schema loader, for the codec ([`crate::codec::protobuf`]), the
//! compatibility checker ([`crate::compat::protobuf`]) and the registry server:
//!
//! * `decode_descriptor`: the one detector of Confluent's serialized form (a base64
//!   `FileDescriptorProto`);
//! * `file_from_text`: one file's text, `.proto` source or serialized;
//! * `compile`: the resolver chain — the given files, then `google/protobuf/*` (protox),
//!   then `google/type/*` and Confluent's `confluent/meta.proto` and
//!   `confluent/type/decimal.proto` (embedded, [`bundled`]) — and the compiler over it.

pub mod bundled;
pub mod print;

use std::collections::HashMap;

use base64::Engine as _;
use prost::Message as _;
use prost_reflect::DescriptorPool;
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

/// Confluent's serialized form: base64 (padded or not) of a `FileDescriptorProto` that
/// declares something. Surrounding whitespace is trimmed (a file's trailing newline);
/// whitespace **inside** is refused, as Confluent's registry refuses it (Java's
/// `Base64.getDecoder()`, not the MIME decoder): text schemaflow took for a descriptor must be
/// one Confluent takes too. `.proto` source is never valid base64 (spaces, quotes,
/// semicolons), so the two forms cannot be confused.
pub(crate) fn decode_descriptor(text: &str) -> Option<prost_types::FileDescriptorProto> {
    let compact = text.trim();
    if compact.is_empty() || compact.contains(char::is_whitespace) {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(compact))
        .ok()?;
    let fdp = prost_types::FileDescriptorProto::decode(bytes.as_slice()).ok()?;
    // Something that decodes but declares nothing is not a schema.
    declares_something(&fdp).then_some(fdp)
}

/// Whether a file declares anything (a message, enum, service, extension, package or syntax):
/// a serialized descriptor must, and so must a schema given as `.proto` text, so that every
/// schema accepted is accepted again in its serialized form.
pub(crate) fn declares_something(fdp: &prost_types::FileDescriptorProto) -> bool {
    !fdp.message_type.is_empty()
        || !fdp.enum_type.is_empty()
        || !fdp.service.is_empty()
        || !fdp.extension.is_empty()
        || fdp.package.is_some()
        || fdp.syntax.is_some()
}

/// Parse one file's text named `name`: `.proto` source, else a serialized descriptor (named
/// `name` when it has no name of its own). The error is the source parser's.
pub(crate) fn file_from_text(name: &str, text: &str) -> Result<File, protox::Error> {
    match File::from_source(name, text) {
        Ok(f) => Ok(f),
        Err(source_err) => match decode_descriptor(text) {
            Some(mut fdp) => {
                if fdp.name.as_deref().unwrap_or("").is_empty() {
                    fdp.name = Some(name.to_string());
                }
                Ok(File::from_file_descriptor_proto(fdp))
            }
            None => Err(source_err),
        },
    }
}

/// The given files by import path, `main` (already parsed) under its name.
struct Given {
    files: HashMap<String, String>,
    main: Option<(String, File)>,
}

impl FileResolver for Given {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        if let Some((n, f)) = &self.main {
            if n == name {
                return Ok(f.clone());
            }
        }
        // A serialized file is named by the path it is imported (or opened) by.
        match self.files.get(name) {
            Some(text) => {
                File::from_source(name, text).or_else(|source_err| match decode_descriptor(text) {
                    Some(mut fdp) => {
                        fdp.name = Some(name.to_string());
                        Ok(File::from_file_descriptor_proto(fdp))
                    }
                    None => Err(source_err),
                })
            }
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// Compile `main_name` (given parsed as `main`, or looked up in `files`) with its imports:
/// the given files first, then `google/protobuf/*`, then the [`bundled`] files.
pub(crate) fn compile(
    main_name: &str,
    main: Option<File>,
    files: HashMap<String, String>,
) -> Result<DescriptorPool, protox::Error> {
    let mut chain = ChainFileResolver::new();
    chain.add(Given {
        files,
        main: main.map(|f| (main_name.to_string(), f)),
    });
    chain.add(GoogleFileResolver::new());
    chain.add(bundled::BundledResolver);
    let mut compiler = protox::Compiler::with_file_resolver(chain);
    compiler.include_imports(true);
    compiler.open_file(main_name)?;
    Ok(compiler.descriptor_pool())
}

/// Compile `.proto` files from disk (`files` relative to the first of `includes` that has
/// them) with their imports, through the same chain: the include directories, then
/// `google/protobuf/*`, then the [`bundled`] files. What the build-time codegen uses, so a
/// schema that compiles in a build script compiles in the registry and the checker too.
pub fn compile_files(
    includes: &[std::path::PathBuf],
    files: &[String],
) -> Result<prost_types::FileDescriptorSet, protox::Error> {
    let mut chain = ChainFileResolver::new();
    for dir in includes {
        chain.add(protox::file::IncludeFileResolver::new(dir.clone()));
    }
    chain.add(GoogleFileResolver::new());
    chain.add(bundled::BundledResolver);
    let mut compiler = protox::Compiler::with_file_resolver(chain);
    compiler.include_imports(true).include_source_info(false);
    for f in files {
        compiler.open_file(f)?;
    }
    Ok(compiler.file_descriptor_set())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serialized() -> String {
        let fdp = prost_types::FileDescriptorProto {
            name: Some("a.proto".into()),
            package: Some("p".into()),
            syntax: Some("proto3".into()),
            ..Default::default()
        };
        base64::engine::general_purpose::STANDARD.encode(fdp.encode_to_vec())
    }

    #[test]
    fn one_base64_rule() {
        let b64 = serialized();
        assert!(decode_descriptor(&b64).is_some());
        assert!(
            decode_descriptor(&format!("  {b64}\n")).is_some(),
            "trimmed"
        );
        assert!(
            decode_descriptor(b64.trim_end_matches('=')).is_some(),
            "unpadded"
        );
        let (head, tail) = b64.split_at(8);
        assert!(
            decode_descriptor(&format!("{head}\n{tail}")).is_none(),
            "inner whitespace is refused, as Confluent refuses it"
        );
        assert!(decode_descriptor("").is_none());
        assert!(decode_descriptor("syntax = \"proto3\";").is_none());
        // Decodes, but declares nothing: not a schema.
        assert!(decode_descriptor("AAAA").is_none());
    }

    #[test]
    fn google_type_resolves_for_everyone() {
        let src = "syntax = \"proto3\"; import \"google/type/money.proto\"; import \"google/protobuf/timestamp.proto\"; message M { google.type.Money m = 1; google.protobuf.Timestamp t = 2; }";
        assert!(compile(
            "m.proto",
            None,
            [("m.proto".to_string(), src.to_string())].into()
        )
        .is_ok());
    }

    #[test]
    fn confluent_bundled_files_resolve() {
        // What Kafka Connect's Protobuf converter writes: Confluent's decimal type and its
        // field metadata option. Confluent's registry resolves both without references.
        let src = "syntax = \"proto3\"; import \"confluent/meta.proto\"; import \"confluent/type/decimal.proto\"; message M { confluent.type.Decimal price = 1 [(confluent.field_meta) = { doc: \"in EUR\" }]; }";
        let pool = compile(
            "m.proto",
            None,
            [("m.proto".to_string(), src.to_string())].into(),
        )
        .expect("confluent/* resolves");
        let m = pool.get_message_by_name("M").expect("M");
        let price = m.get_field_by_name("price").expect("price");
        assert_eq!(
            price.kind().as_message().map(|d| d.full_name().to_string()),
            Some("confluent.type.Decimal".to_string())
        );
        assert!(bundled::is_bundled("confluent/type/decimal.proto"));
        assert!(bundled::is_bundled("google/type/money.proto"));
        assert!(bundled::is_bundled("google/protobuf/timestamp.proto"));
        assert!(!bundled::is_bundled("confluent/other.proto"));
    }
}
