//! The rule table: every difference the checkers can report, as data.

use crate::SchemaType;

/// One kind of schema change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The id findings carry (Avro's incompatibility type or the registry's Protobuf
    /// difference name).
    pub id: &'static str,
    /// The schema type it applies to (`None`: any).
    pub schema_type: Option<SchemaType>,
    /// Whether the registry accepts a schema showing this difference.
    pub compatible: bool,
    /// What the change is.
    pub purpose: &'static str,
}

pub(crate) const SCHEMA_TYPE_CHANGED: &str = "SCHEMA_TYPE_CHANGED";

/// A schema file present at the compared git ref was deleted (`schemaflow check --against`).
pub const SCHEMA_DELETED: &str = "SCHEMA_DELETED";

const fn r(
    id: &'static str,
    t: Option<SchemaType>,
    compatible: bool,
    purpose: &'static str,
) -> Rule {
    Rule {
        id,
        schema_type: t,
        compatible,
        purpose,
    }
}

const A: Option<SchemaType> = Some(SchemaType::Avro);
const P: Option<SchemaType> = Some(SchemaType::Protobuf);

/// Every rule, Avro first, then Protobuf.
pub const RULES: &[Rule] = &[
    r(
        SCHEMA_TYPE_CHANGED,
        None,
        false,
        "The schema type (AVRO, PROTOBUF) differs from the previous version's.",
    ),
    r(
        SCHEMA_DELETED,
        None,
        false,
        "A schema file that exists at the compared git ref was deleted (repository mode).",
    ),
    // Avro (Apache Avro's reader/writer incompatibility types).
    r(
        "READER_FIELD_MISSING_DEFAULT_VALUE",
        A,
        false,
        "A reader record field is absent from the writer's record and has no default.",
    ),
    r(
        "TYPE_MISMATCH",
        A,
        false,
        "The reader's type cannot read the writer's, even with a promotion.",
    ),
    r(
        "MISSING_ENUM_SYMBOLS",
        A,
        false,
        "The writer's enum has symbols the reader's lacks, and the reader's enum has no default.",
    ),
    r(
        "MISSING_UNION_BRANCH",
        A,
        false,
        "The reader's union has no branch that can read a writer type.",
    ),
    r(
        "NAME_MISMATCH",
        A,
        false,
        "A named type (record, enum, fixed) is renamed without a reader alias.",
    ),
    r(
        "FIXED_SIZE_MISMATCH",
        A,
        false,
        "A fixed type's size differs.",
    ),
    // Protobuf (the registry's schema-diff differences; compatibility as in Confluent's
    // `SchemaDiff.COMPATIBLE_CHANGES`, plus ONEOF_FIELD_MOVED_TO_TOP_LEVEL of its
    // `MessageSchemaDiff`).
    r(
        "PACKAGE_CHANGED",
        P,
        true,
        "The file's package changed (types are matched by their names within the package).",
    ),
    r("MESSAGE_ADDED", P, true, "A message type was added."),
    r("MESSAGE_REMOVED", P, false, "A message type was removed."),
    r(
        "MESSAGE_MOVED",
        P,
        true,
        "A message type moved to another position among its sibling messages.",
    ),
    r("ENUM_ADDED", P, true, "An enum type was added."),
    r("ENUM_REMOVED", P, true, "An enum type was removed."),
    r("ENUM_CONST_ADDED", P, true, "An enum value was added."),
    r(
        "ENUM_CONST_CHANGED",
        P,
        true,
        "An enum value number got another name.",
    ),
    r("ENUM_CONST_REMOVED", P, true, "An enum value was removed."),
    r("FIELD_ADDED", P, true, "A field was added."),
    r("FIELD_REMOVED", P, true, "A field was removed."),
    r(
        "FIELD_NAME_CHANGED",
        P,
        true,
        "A field number got another name.",
    ),
    r(
        "FIELD_KIND_CHANGED",
        P,
        false,
        "A field changed between scalar (or enum), map and message.",
    ),
    r(
        "FIELD_SCALAR_KIND_CHANGED",
        P,
        false,
        "A scalar field changed to a wire-incompatible scalar type.",
    ),
    r(
        "FIELD_NAMED_TYPE_CHANGED",
        P,
        false,
        "A message field changed to another named type, or its imported definition changed incompatibly.",
    ),
    r(
        "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
        P,
        true,
        "A string or bytes field changed between singular and repeated.",
    ),
    r(
        "FIELD_NUMERIC_LABEL_CHANGED",
        P,
        false,
        "A numeric field changed between singular and repeated.",
    ),
    r(
        "REQUIRED_FIELD_ADDED",
        P,
        false,
        "A proto2 required field was added (or a field became required).",
    ),
    r(
        "REQUIRED_FIELD_REMOVED",
        P,
        false,
        "A proto2 required field was removed (or is no longer required).",
    ),
    r("ONEOF_ADDED", P, true, "A oneof was added."),
    r("ONEOF_REMOVED", P, true, "A oneof was removed."),
    r(
        "ONEOF_FIELD_ADDED",
        P,
        true,
        "A field was added to a oneof.",
    ),
    r(
        "ONEOF_FIELD_REMOVED",
        P,
        false,
        "A field was removed from a oneof.",
    ),
    r(
        "ONEOF_FIELD_MOVED_TO_TOP_LEVEL",
        P,
        true,
        "A oneof's field moved out of the oneof.",
    ),
    r(
        "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
        P,
        false,
        "Several existing top-level fields moved into one oneof.",
    ),
    r(
        "FIELD_MOVED_TO_EXISTING_ONEOF",
        P,
        false,
        "A oneof now holds fields that were independent (a field joined an existing oneof's members, renamed or not, or oneofs were merged).",
    ),
];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// Whether the registry accepts a difference of this rule (unknown ids are incompatible).
pub(crate) fn is_compatible(id: &str) -> bool {
    rule(id).is_some_and(|r| r.compatible)
}
