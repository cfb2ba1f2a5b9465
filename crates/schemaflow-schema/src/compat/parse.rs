//! Parsing a checker input, by its language's provider ([`crate::format`]). Its own file: the
//! providers build the checker's parsed forms, so the checker's facade ([`super`]) does not
//! depend on them back.

use super::{ParsedSchema, SchemaInput};
use crate::error::Result;

impl ParsedSchema {
    /// Parse a schema input (Protobuf: text or base64 descriptor), by its language's
    /// provider ([`crate::format::provider`]).
    pub fn parse(input: &SchemaInput) -> Result<Self> {
        crate::format::provider(input.schema_type).parse_compat(input)
    }
}
