//! Parsing the compared files: `.proto` source or a base64 `FileDescriptorProto`, with the
//! input's references as the files its imports name.

use std::collections::HashMap;

use prost_reflect::{DescriptorPool, FileDescriptor};
use protox::file::File;

use crate::compat::input::SchemaInput;
use crate::error::{Error, Result};

/// Whether an import is one registries resolve themselves (`google/protobuf/*`,
/// `google/type/*`, `confluent/meta.proto`, `confluent/type/decimal.proto`): never a reference.
pub fn is_well_known_import(import: &str) -> bool {
    crate::protobuf::bundled::is_bundled(import)
}

/// The import paths a `.proto` file (source or base64 descriptor) declares, in order.
pub fn imports_of(name: &str, text: &str) -> Result<Vec<String>> {
    crate::protobuf::file_from_text(name, text)
        .map(|f| f.file_descriptor_proto().dependency.clone())
        .map_err(|e| Error::ParseProtobufSchema {
            name: name.to_string(),
            // `Debug`: with `FILE:LINE:COLUMN: ` where protox knows the place.
            reason: format!("{e:?}"),
        })
}

/// A parsed `.proto` file with its imports.
#[derive(Debug, Clone)]
pub struct ProtoCompatSchema {
    pub(super) file: FileDescriptor,
}

/// The name the compiled main file gets when the input is source text (error messages show
/// the input's label instead).
const MAIN: &str = "schemaflow/input.proto";

impl ProtoCompatSchema {
    /// Parse the input (source or base64 descriptor) with its references.
    ///
    /// Anything protoc rejects (syntax errors, field number 0, duplicate numbers, unresolved
    /// types or imports) is an [`Error::ParseProtobufSchema`] naming the input's label.
    pub fn parse(input: &SchemaInput) -> Result<Self> {
        let err = |reason: String| Error::ParseProtobufSchema {
            name: input.label.clone(),
            reason: reason.replace(MAIN, &input.label),
        };
        let files: HashMap<String, String> = input.references.iter().cloned().collect();
        // The source is parsed once here; the compiler gets this parsed file back.
        let (main_name, main_descriptor) = match File::from_source(MAIN, &input.text) {
            Ok(parsed) => (MAIN.to_string(), Some(parsed)),
            Err(source_err) => match crate::protobuf::decode_descriptor(&input.text) {
                Some(mut fdp) => {
                    let name = match fdp.name.as_deref() {
                        Some(n) if !n.is_empty() => n.to_string(),
                        _ => MAIN.to_string(),
                    };
                    fdp.name = Some(name.clone());
                    (name, Some(File::from_file_descriptor_proto(fdp)))
                }
                None => return Err(err(format!("{source_err:?}"))),
            },
        };
        // protox's `Debug` is its `Display` preceded by `FILE:LINE:COLUMN: ` where it knows
        // the place: the line a reader needs to find the mistake.
        let pool: DescriptorPool = crate::protobuf::compile(&main_name, main_descriptor, files)
            .map_err(|e| err(format!("{e:?}")))?;
        let file = pool
            .get_file_by_name(&main_name)
            .ok_or_else(|| err("the file is missing from its own descriptor pool".into()))?;
        Ok(ProtoCompatSchema { file })
    }

    /// The file's descriptor.
    pub fn file(&self) -> &FileDescriptor {
        &self.file
    }
}
