//! The rule table: every finding `schemaflow` can report, as a typed unit (buf's rule specs).
//!
//! A rule is one [`Rule`] variant carrying its id, its [`RuleCategory`], the schema types it
//! applies to, whether the registry accepts the change, and its purpose. Checkers name a
//! rule by its variant, so a misspelt id does not compile; the id string exists only at the
//! edges: outputs (JSON, SARIF, text) print [`Rule::id`], and the subjects file's waivers
//! are parsed with [`str::parse`], where an unknown id is an [`UnknownRule`] naming the
//! closest ids.

use std::fmt;
use std::str::FromStr;

use crate::SchemaType;

/// Where a rule's findings come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleCategory {
    /// A difference found by comparing two schemas ([`differences`](super::differences)).
    SchemaChange,
    /// A repository-level change (`schemaflow check --against`): a file deleted.
    Repository,
    /// A verdict of a live Schema Registry (`schemaflow check --registry`).
    Registry,
}

const ANY: &[SchemaType] = &[];
const AVRO: &[SchemaType] = &[SchemaType::Avro];
const PROTOBUF: &[SchemaType] = &[SchemaType::Protobuf];
const JSON: &[SchemaType] = &[SchemaType::Json];

/// Declares [`Rule`] and its table from one list, so that a rule's id, purpose (also its
/// rustdoc), category, formats and verdict cannot drift apart.
macro_rules! rules {
    ($(
        $variant:ident = $id:literal, $category:ident, $formats:expr, $compatible:literal,
        $purpose:literal;
    )*) => {
        /// One kind of finding. The variants' ids are the strings outputs and waivers use.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule {
            $(
                #[doc = concat!("`", $id, "`: ", $purpose)]
                $variant,
            )*
        }

        impl Rule {
            /// Every rule, in table order (schema-wide rules, Avro, Protobuf, JSON Schema, registry).
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// The id findings carry (Avro's incompatibility type, the registry's Protobuf
            /// difference name, or schemaflow's own).
            pub const fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id,)* }
            }

            /// What the change is: one sentence (SARIF's rule description).
            pub const fn purpose(self) -> &'static str {
                match self { $(Rule::$variant => $purpose,)* }
            }

            /// Where the rule's findings come from.
            pub const fn category(self) -> RuleCategory {
                match self { $(Rule::$variant => RuleCategory::$category,)* }
            }

            /// The schema types the rule applies to (empty: any).
            pub const fn formats(self) -> &'static [SchemaType] {
                match self { $(Rule::$variant => $formats,)* }
            }

            /// Whether the registry accepts a schema showing this difference.
            pub const fn compatible(self) -> bool {
                match self { $(Rule::$variant => $compatible,)* }
            }
        }
    };
}

rules! {
    SchemaTypeChanged = "SCHEMA_TYPE_CHANGED", SchemaChange, ANY, false,
        "The schema type (AVRO, PROTOBUF) differs from the previous version's.";
    SchemaDeleted = "SCHEMA_DELETED", Repository, ANY, false,
        "A schema file that exists at the compared git ref was deleted (repository mode).";
    // Avro (Apache Avro's reader/writer incompatibility types).
    ReaderFieldMissingDefaultValue = "READER_FIELD_MISSING_DEFAULT_VALUE", SchemaChange, AVRO, false,
        "A reader record field is absent from the writer's record and has no default.";
    TypeMismatch = "TYPE_MISMATCH", SchemaChange, AVRO, false,
        "The reader's type cannot read the writer's, even with a promotion.";
    MissingEnumSymbols = "MISSING_ENUM_SYMBOLS", SchemaChange, AVRO, false,
        "The writer's enum has symbols the reader's lacks, and the reader's enum has no default.";
    MissingUnionBranch = "MISSING_UNION_BRANCH", SchemaChange, AVRO, false,
        "The reader's union has no branch that can read a writer type.";
    NameMismatch = "NAME_MISMATCH", SchemaChange, AVRO, false,
        "A named type (record, enum, fixed) is renamed without a reader alias.";
    FixedSizeMismatch = "FIXED_SIZE_MISMATCH", SchemaChange, AVRO, false,
        "A fixed type's size differs.";
    // Protobuf (the registry's schema-diff differences; compatibility as in Confluent's
    // `SchemaDiff.COMPATIBLE_CHANGES`, plus ONEOF_FIELD_MOVED_TO_TOP_LEVEL of its
    // `MessageSchemaDiff`).
    PackageChanged = "PACKAGE_CHANGED", SchemaChange, PROTOBUF, false,
        "The file's package changed: every message's full name changes with it.";
    MessageAdded = "MESSAGE_ADDED", SchemaChange, PROTOBUF, true,
        "A message type was added.";
    MessageRemoved = "MESSAGE_REMOVED", SchemaChange, PROTOBUF, false,
        "A message type was removed.";
    MessageMoved = "MESSAGE_MOVED", SchemaChange, PROTOBUF, true,
        "A message type moved to another position among its sibling messages.";
    EnumAdded = "ENUM_ADDED", SchemaChange, PROTOBUF, true,
        "An enum type was added.";
    EnumRemoved = "ENUM_REMOVED", SchemaChange, PROTOBUF, true,
        "An enum type was removed.";
    EnumConstAdded = "ENUM_CONST_ADDED", SchemaChange, PROTOBUF, true,
        "An enum value was added.";
    EnumConstChanged = "ENUM_CONST_CHANGED", SchemaChange, PROTOBUF, true,
        "An enum value number got another name.";
    EnumConstRemoved = "ENUM_CONST_REMOVED", SchemaChange, PROTOBUF, true,
        "An enum value was removed.";
    FieldAdded = "FIELD_ADDED", SchemaChange, PROTOBUF, true,
        "A field was added.";
    FieldRemoved = "FIELD_REMOVED", SchemaChange, PROTOBUF, true,
        "A field was removed.";
    FieldNameChanged = "FIELD_NAME_CHANGED", SchemaChange, PROTOBUF, true,
        "A field number got another name.";
    FieldKindChanged = "FIELD_KIND_CHANGED", SchemaChange, PROTOBUF, false,
        "A field changed between scalar (or enum), map and message.";
    FieldScalarKindChanged = "FIELD_SCALAR_KIND_CHANGED", SchemaChange, PROTOBUF, false,
        "A scalar field changed to a wire-incompatible scalar type.";
    FieldNamedTypeChanged = "FIELD_NAMED_TYPE_CHANGED", SchemaChange, PROTOBUF, false,
        "A message field changed to another named type, or its imported definition changed incompatibly.";
    FieldStringOrBytesLabelChanged = "FIELD_STRING_OR_BYTES_LABEL_CHANGED", SchemaChange, PROTOBUF, true,
        "A string or bytes field changed between singular and repeated.";
    FieldNumericLabelChanged = "FIELD_NUMERIC_LABEL_CHANGED", SchemaChange, PROTOBUF, false,
        "A numeric field changed between singular and repeated.";
    RequiredFieldAdded = "REQUIRED_FIELD_ADDED", SchemaChange, PROTOBUF, false,
        "A proto2 required field was added (or a field became required).";
    RequiredFieldRemoved = "REQUIRED_FIELD_REMOVED", SchemaChange, PROTOBUF, false,
        "A proto2 required field was removed (or is no longer required).";
    OneofAdded = "ONEOF_ADDED", SchemaChange, PROTOBUF, true,
        "A oneof was added.";
    OneofRemoved = "ONEOF_REMOVED", SchemaChange, PROTOBUF, true,
        "A oneof was removed.";
    OneofFieldAdded = "ONEOF_FIELD_ADDED", SchemaChange, PROTOBUF, true,
        "A field was added to a oneof.";
    OneofFieldRemoved = "ONEOF_FIELD_REMOVED", SchemaChange, PROTOBUF, false,
        "A field was removed from a oneof.";
    OneofFieldMovedToTopLevel = "ONEOF_FIELD_MOVED_TO_TOP_LEVEL", SchemaChange, PROTOBUF, true,
        "A oneof's field moved out of the oneof.";
    MultipleFieldsMovedToOneof = "MULTIPLE_FIELDS_MOVED_TO_ONEOF", SchemaChange, PROTOBUF, false,
        "Several existing top-level fields moved into one oneof.";
    FieldMovedToExistingOneof = "FIELD_MOVED_TO_EXISTING_ONEOF", SchemaChange, PROTOBUF, false,
        "A oneof now holds fields that were independent (a field joined an existing oneof's members, renamed or not, or oneofs were merged).";
    // JSON Schema (Confluent's `json/diff` `Difference.Type`s that schemaflow's port reports;
    // compatible as in `SchemaDiff.COMPATIBLE_CHANGES`, the registry's default STRICT policy).
    JsonIdChanged = "ID_CHANGED", SchemaChange, JSON, true,
        "The schema's `$id` changed.";
    JsonDescriptionChanged = "DESCRIPTION_CHANGED", SchemaChange, JSON, true,
        "A `description` changed.";
    JsonTitleChanged = "TITLE_CHANGED", SchemaChange, JSON, true,
        "A `title` changed.";
    JsonDefaultChanged = "DEFAULT_CHANGED", SchemaChange, JSON, true,
        "A `default` value changed.";
    JsonSchemaAdded = "SCHEMA_ADDED", SchemaChange, JSON, false,
        "A subschema (such as `items`) was added where there was none, constraining values that were unconstrained.";
    JsonSchemaRemoved = "SCHEMA_REMOVED", SchemaChange, JSON, true,
        "A subschema (such as `items`) was removed, so its values are no longer constrained.";
    JsonTypeExtended = "TYPE_EXTENDED", SchemaChange, JSON, true,
        "A type accepts more values (`integer` became `number`).";
    JsonTypeNarrowed = "TYPE_NARROWED", SchemaChange, JSON, false,
        "A type accepts fewer values (`number` became `integer`).";
    JsonTypeChanged = "TYPE_CHANGED", SchemaChange, JSON, false,
        "A schema changed to another type (`string` became `number`, an object became an array).";
    JsonMaxLengthAdded = "MAX_LENGTH_ADDED", SchemaChange, JSON, false,
        "`maxLength` was added.";
    JsonMaxLengthRemoved = "MAX_LENGTH_REMOVED", SchemaChange, JSON, true,
        "`maxLength` was removed.";
    JsonMaxLengthIncreased = "MAX_LENGTH_INCREASED", SchemaChange, JSON, true,
        "`maxLength` increased.";
    JsonMaxLengthDecreased = "MAX_LENGTH_DECREASED", SchemaChange, JSON, false,
        "`maxLength` decreased.";
    JsonMinLengthAdded = "MIN_LENGTH_ADDED", SchemaChange, JSON, false,
        "`minLength` was added.";
    JsonMinLengthRemoved = "MIN_LENGTH_REMOVED", SchemaChange, JSON, true,
        "`minLength` was removed.";
    JsonMinLengthIncreased = "MIN_LENGTH_INCREASED", SchemaChange, JSON, false,
        "`minLength` increased.";
    JsonMinLengthDecreased = "MIN_LENGTH_DECREASED", SchemaChange, JSON, true,
        "`minLength` decreased.";
    JsonPatternAdded = "PATTERN_ADDED", SchemaChange, JSON, false,
        "A `pattern` was added to a string.";
    JsonPatternRemoved = "PATTERN_REMOVED", SchemaChange, JSON, true,
        "A string's `pattern` was removed.";
    JsonPatternChanged = "PATTERN_CHANGED", SchemaChange, JSON, false,
        "A string's `pattern` changed.";
    JsonMaximumAdded = "MAXIMUM_ADDED", SchemaChange, JSON, false,
        "`maximum` was added.";
    JsonMaximumRemoved = "MAXIMUM_REMOVED", SchemaChange, JSON, true,
        "`maximum` was removed.";
    JsonMaximumIncreased = "MAXIMUM_INCREASED", SchemaChange, JSON, true,
        "`maximum` increased.";
    JsonMaximumDecreased = "MAXIMUM_DECREASED", SchemaChange, JSON, false,
        "`maximum` decreased.";
    JsonMinimumAdded = "MINIMUM_ADDED", SchemaChange, JSON, false,
        "`minimum` was added.";
    JsonMinimumRemoved = "MINIMUM_REMOVED", SchemaChange, JSON, true,
        "`minimum` was removed.";
    JsonMinimumIncreased = "MINIMUM_INCREASED", SchemaChange, JSON, false,
        "`minimum` increased.";
    JsonMinimumDecreased = "MINIMUM_DECREASED", SchemaChange, JSON, true,
        "`minimum` decreased.";
    JsonExclusiveMaximumAdded = "EXCLUSIVE_MAXIMUM_ADDED", SchemaChange, JSON, false,
        "`exclusiveMaximum` was added.";
    JsonExclusiveMaximumRemoved = "EXCLUSIVE_MAXIMUM_REMOVED", SchemaChange, JSON, true,
        "`exclusiveMaximum` was removed.";
    JsonExclusiveMaximumIncreased = "EXCLUSIVE_MAXIMUM_INCREASED", SchemaChange, JSON, true,
        "`exclusiveMaximum` increased.";
    JsonExclusiveMaximumDecreased = "EXCLUSIVE_MAXIMUM_DECREASED", SchemaChange, JSON, false,
        "`exclusiveMaximum` decreased.";
    JsonExclusiveMinimumAdded = "EXCLUSIVE_MINIMUM_ADDED", SchemaChange, JSON, false,
        "`exclusiveMinimum` was added.";
    JsonExclusiveMinimumRemoved = "EXCLUSIVE_MINIMUM_REMOVED", SchemaChange, JSON, true,
        "`exclusiveMinimum` was removed.";
    JsonExclusiveMinimumIncreased = "EXCLUSIVE_MINIMUM_INCREASED", SchemaChange, JSON, false,
        "`exclusiveMinimum` increased.";
    JsonExclusiveMinimumDecreased = "EXCLUSIVE_MINIMUM_DECREASED", SchemaChange, JSON, true,
        "`exclusiveMinimum` decreased.";
    JsonMultipleOfAdded = "MULTIPLE_OF_ADDED", SchemaChange, JSON, false,
        "`multipleOf` was added.";
    JsonMultipleOfRemoved = "MULTIPLE_OF_REMOVED", SchemaChange, JSON, true,
        "`multipleOf` was removed.";
    JsonMultipleOfExpanded = "MULTIPLE_OF_EXPANDED", SchemaChange, JSON, false,
        "`multipleOf` became a multiple of its old value (fewer numbers are valid).";
    JsonMultipleOfReduced = "MULTIPLE_OF_REDUCED", SchemaChange, JSON, true,
        "`multipleOf` became a divisor of its old value (more numbers are valid).";
    JsonMultipleOfChanged = "MULTIPLE_OF_CHANGED", SchemaChange, JSON, false,
        "`multipleOf` changed to a value that is neither a multiple nor a divisor of the old one.";
    JsonRequiredAttributeAdded = "REQUIRED_ATTRIBUTE_ADDED", SchemaChange, JSON, false,
        "An existing property became required, without a default.";
    JsonRequiredAttributeWithDefaultAdded = "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", SchemaChange, JSON, true,
        "An existing property with a default became required.";
    JsonRequiredAttributeRemoved = "REQUIRED_ATTRIBUTE_REMOVED", SchemaChange, JSON, true,
        "A property is no longer required.";
    JsonMaxPropertiesAdded = "MAX_PROPERTIES_ADDED", SchemaChange, JSON, false,
        "`maxProperties` was added.";
    JsonMaxPropertiesRemoved = "MAX_PROPERTIES_REMOVED", SchemaChange, JSON, true,
        "`maxProperties` was removed.";
    JsonMaxPropertiesIncreased = "MAX_PROPERTIES_INCREASED", SchemaChange, JSON, true,
        "`maxProperties` increased.";
    JsonMaxPropertiesDecreased = "MAX_PROPERTIES_DECREASED", SchemaChange, JSON, false,
        "`maxProperties` decreased.";
    JsonMinPropertiesAdded = "MIN_PROPERTIES_ADDED", SchemaChange, JSON, false,
        "`minProperties` was added.";
    JsonMinPropertiesRemoved = "MIN_PROPERTIES_REMOVED", SchemaChange, JSON, true,
        "`minProperties` was removed.";
    JsonMinPropertiesIncreased = "MIN_PROPERTIES_INCREASED", SchemaChange, JSON, false,
        "`minProperties` increased.";
    JsonMinPropertiesDecreased = "MIN_PROPERTIES_DECREASED", SchemaChange, JSON, true,
        "`minProperties` decreased.";
    JsonAdditionalPropertiesAdded = "ADDITIONAL_PROPERTIES_ADDED", SchemaChange, JSON, true,
        "`additionalProperties` now allows properties it forbade.";
    JsonAdditionalPropertiesRemoved = "ADDITIONAL_PROPERTIES_REMOVED", SchemaChange, JSON, false,
        "`additionalProperties` now forbids properties it allowed.";
    JsonAdditionalPropertiesExtended = "ADDITIONAL_PROPERTIES_EXTENDED", SchemaChange, JSON, true,
        "`additionalProperties` lost its schema: any additional property is allowed.";
    JsonAdditionalPropertiesNarrowed = "ADDITIONAL_PROPERTIES_NARROWED", SchemaChange, JSON, false,
        "`additionalProperties` gained a schema: additional properties must match it.";
    JsonDependencyArrayAdded = "DEPENDENCY_ARRAY_ADDED", SchemaChange, JSON, false,
        "A property dependency (`dependencies` as a list of names) was added.";
    JsonDependencyArrayRemoved = "DEPENDENCY_ARRAY_REMOVED", SchemaChange, JSON, true,
        "A property dependency (`dependencies` as a list of names) was removed.";
    JsonDependencyArrayExtended = "DEPENDENCY_ARRAY_EXTENDED", SchemaChange, JSON, false,
        "A property dependency names more properties.";
    JsonDependencyArrayNarrowed = "DEPENDENCY_ARRAY_NARROWED", SchemaChange, JSON, true,
        "A property dependency names fewer properties.";
    JsonDependencyArrayChanged = "DEPENDENCY_ARRAY_CHANGED", SchemaChange, JSON, false,
        "A property dependency names other properties.";
    JsonDependencySchemaAdded = "DEPENDENCY_SCHEMA_ADDED", SchemaChange, JSON, false,
        "A schema dependency was added.";
    JsonDependencySchemaRemoved = "DEPENDENCY_SCHEMA_REMOVED", SchemaChange, JSON, true,
        "A schema dependency was removed.";
    JsonPropertyAddedToOpenContentModel = "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", SchemaChange, JSON, false,
        "A property was added to an object that allowed any additional property: old data may hold it with another type.";
    JsonPropertyWithEmptySchemaAddedToOpenContentModel = "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", SchemaChange, JSON, true,
        "A property with an empty (always true) schema was added to an open object.";
    JsonRequiredPropertyAddedToUnopenContentModel = "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", SchemaChange, JSON, false,
        "A required property without a default was added to a closed or partially open object.";
    JsonRequiredPropertyWithDefaultAddedToUnopenContentModel = "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL", SchemaChange, JSON, true,
        "A required property with a default was added to a closed or partially open object.";
    JsonOptionalPropertyAddedToUnopenContentModel = "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", SchemaChange, JSON, true,
        "An optional property was added to a closed or partially open object.";
    JsonPropertyRemovedFromOpenContentModel = "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", SchemaChange, JSON, true,
        "A property was removed from an object that allows any additional property.";
    JsonPropertyWithFalseRemovedFromClosedContentModel = "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", SchemaChange, JSON, true,
        "A property whose schema was `false` was removed from a closed object.";
    JsonPropertyRemovedFromClosedContentModel = "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", SchemaChange, JSON, false,
        "A property was removed from a closed object (`additionalProperties: false`): old data holding it is now invalid.";
    JsonPropertyRemovedIsCoveredByPartiallyOpenContentModel = "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", SchemaChange, JSON, true,
        "A property was removed, and the object's `patternProperties` or `additionalProperties` schema still accepts its values.";
    JsonPropertyRemovedNotCoveredByPartiallyOpenContentModel = "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", SchemaChange, JSON, false,
        "A property was removed, and the object's `patternProperties` or `additionalProperties` schema does not accept its old values.";
    JsonPropertyAddedIsCoveredByPartiallyOpenContentModel = "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", SchemaChange, JSON, true,
        "A property was added whose schema accepts what the old `patternProperties` or `additionalProperties` allowed for that name.";
    JsonPropertyAddedNotCoveredByPartiallyOpenContentModel = "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", SchemaChange, JSON, false,
        "A property was added whose schema does not accept what the old `patternProperties` or `additionalProperties` allowed for that name.";
    JsonMaxItemsAdded = "MAX_ITEMS_ADDED", SchemaChange, JSON, false,
        "`maxItems` was added.";
    JsonMaxItemsRemoved = "MAX_ITEMS_REMOVED", SchemaChange, JSON, true,
        "`maxItems` was removed.";
    JsonMaxItemsIncreased = "MAX_ITEMS_INCREASED", SchemaChange, JSON, true,
        "`maxItems` increased.";
    JsonMaxItemsDecreased = "MAX_ITEMS_DECREASED", SchemaChange, JSON, false,
        "`maxItems` decreased.";
    JsonMinItemsAdded = "MIN_ITEMS_ADDED", SchemaChange, JSON, false,
        "`minItems` was added.";
    JsonMinItemsRemoved = "MIN_ITEMS_REMOVED", SchemaChange, JSON, true,
        "`minItems` was removed.";
    JsonMinItemsIncreased = "MIN_ITEMS_INCREASED", SchemaChange, JSON, false,
        "`minItems` increased.";
    JsonMinItemsDecreased = "MIN_ITEMS_DECREASED", SchemaChange, JSON, true,
        "`minItems` decreased.";
    JsonUniqueItemsAdded = "UNIQUE_ITEMS_ADDED", SchemaChange, JSON, false,
        "`uniqueItems` was added.";
    JsonUniqueItemsRemoved = "UNIQUE_ITEMS_REMOVED", SchemaChange, JSON, true,
        "`uniqueItems` was removed.";
    JsonAdditionalItemsAdded = "ADDITIONAL_ITEMS_ADDED", SchemaChange, JSON, true,
        "`additionalItems` now allows items it forbade.";
    JsonAdditionalItemsRemoved = "ADDITIONAL_ITEMS_REMOVED", SchemaChange, JSON, false,
        "`additionalItems` now forbids items it allowed.";
    JsonAdditionalItemsExtended = "ADDITIONAL_ITEMS_EXTENDED", SchemaChange, JSON, true,
        "`additionalItems` lost its schema: any additional item is allowed.";
    JsonAdditionalItemsNarrowed = "ADDITIONAL_ITEMS_NARROWED", SchemaChange, JSON, false,
        "`additionalItems` gained a schema: additional items must match it.";
    JsonItemAddedToOpenContentModel = "ITEM_ADDED_TO_OPEN_CONTENT_MODEL", SchemaChange, JSON, false,
        "A tuple item was added to an array that allowed any additional item: old data may hold another type there.";
    JsonItemWithEmptySchemaAddedToOpenContentModel = "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", SchemaChange, JSON, true,
        "A tuple item with an empty (always true) schema was added to an open array.";
    JsonItemAddedToClosedContentModel = "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", SchemaChange, JSON, true,
        "A tuple item was added to an array that forbade additional items.";
    JsonItemRemovedFromOpenContentModel = "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", SchemaChange, JSON, true,
        "A tuple item was removed from an array that allows any additional item.";
    JsonItemWithFalseRemovedFromClosedContentModel = "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", SchemaChange, JSON, true,
        "A tuple item whose schema was `false` was removed from a closed array.";
    JsonItemRemovedFromClosedContentModel = "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", SchemaChange, JSON, false,
        "A tuple item was removed from an array that forbids additional items: old data holding it is now invalid.";
    JsonItemRemovedIsCoveredByPartiallyOpenContentModel = "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", SchemaChange, JSON, true,
        "A tuple item was removed, and the `additionalItems` schema still accepts its values.";
    JsonItemRemovedNotCoveredByPartiallyOpenContentModel = "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", SchemaChange, JSON, false,
        "A tuple item was removed, and the `additionalItems` schema does not accept its old values.";
    JsonItemAddedIsCoveredByPartiallyOpenContentModel = "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", SchemaChange, JSON, true,
        "A tuple item was added whose schema accepts what the old `additionalItems` allowed there.";
    JsonItemAddedNotCoveredByPartiallyOpenContentModel = "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", SchemaChange, JSON, false,
        "A tuple item was added whose schema does not accept what the old `additionalItems` allowed there.";
    JsonEnumArrayExtended = "ENUM_ARRAY_EXTENDED", SchemaChange, JSON, true,
        "An `enum` gained values.";
    JsonEnumArrayNarrowed = "ENUM_ARRAY_NARROWED", SchemaChange, JSON, false,
        "An `enum` lost values.";
    JsonEnumArrayChanged = "ENUM_ARRAY_CHANGED", SchemaChange, JSON, false,
        "An `enum` (or `const`) changed to values that are neither a superset nor a subset of the old ones.";
    JsonCombinedTypeExtended = "COMBINED_TYPE_EXTENDED", SchemaChange, JSON, true,
        "A combination became more permissive (`allOf`/`oneOf` became `anyOf`, or a singleton became `oneOf`).";
    JsonCombinedTypeChanged = "COMBINED_TYPE_CHANGED", SchemaChange, JSON, false,
        "A combination changed its kind (`anyOf`/`oneOf` became `allOf`, …).";
    JsonProductTypeExtended = "PRODUCT_TYPE_EXTENDED", SchemaChange, JSON, false,
        "An `allOf` gained subschemas (values must match more).";
    JsonProductTypeNarrowed = "PRODUCT_TYPE_NARROWED", SchemaChange, JSON, true,
        "An `allOf` lost subschemas (values must match fewer).";
    JsonSumTypeExtended = "SUM_TYPE_EXTENDED", SchemaChange, JSON, true,
        "An `anyOf`/`oneOf` (or a list of types) gained alternatives.";
    JsonSumTypeNarrowed = "SUM_TYPE_NARROWED", SchemaChange, JSON, false,
        "An `anyOf`/`oneOf` (or a list of types) lost alternatives.";
    JsonCombinedTypeSubschemasChanged = "COMBINED_TYPE_SUBSCHEMAS_CHANGED", SchemaChange, JSON, false,
        "The subschemas of an `allOf`/`anyOf`/`oneOf` changed so that the old ones cannot all be matched to compatible new ones.";
    JsonNotTypeExtended = "NOT_TYPE_EXTENDED", SchemaChange, JSON, false,
        "A `not` schema excludes more values.";
    JsonNotTypeNarrowed = "NOT_TYPE_NARROWED", SchemaChange, JSON, true,
        "A `not` schema excludes fewer values.";
    // A live registry's verdicts (`schemaflow check --registry`).
    RegistryIncompatible = "REGISTRY_INCOMPATIBLE", Registry, ANY, false,
        "The Schema Registry says the schema is incompatible with the versions its subject's compatibility level names.";
    ReferenceNotRegistered = "REFERENCE_NOT_REGISTERED", Registry, ANY, false,
        "A schema the file references is not registered with this exact text: register it first.";
}

impl Rule {
    /// The rule with this id (exact, case-sensitive, as outputs print it).
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// Whether the rule applies to schemas of this type.
    pub fn applies_to(self, schema_type: SchemaType) -> bool {
        let formats = self.formats();
        formats.is_empty() || formats.contains(&schema_type)
    }
}

/// The id, as outputs print it.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Compares with an id string, so that `finding.rule == "TYPE_MISMATCH"` reads naturally.
impl PartialEq<str> for Rule {
    fn eq(&self, other: &str) -> bool {
        self.id() == other
    }
}

impl PartialEq<&str> for Rule {
    fn eq(&self, other: &&str) -> bool {
        self.id() == *other
    }
}

/// A rule id that names no [`Rule`] (in a waiver, say), with the closest ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRule {
    /// The id as given.
    pub id: String,
    /// The known ids nearest to it, closest first (at most three).
    pub closest: Vec<&'static str>,
}

impl fmt::Display for UnknownRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown rule {:?}", self.id)?;
        if !self.closest.is_empty() {
            write!(f, "; did you mean {}?", self.closest.join(", "))?;
        }
        f.write_str(" (`schemaflow check --output sarif` lists every rule with its meaning)")
    }
}

impl std::error::Error for UnknownRule {}

impl FromStr for Rule {
    type Err = UnknownRule;

    /// Parse an id; surrounding blanks are ignored, case is not (ids are upper case).
    fn from_str(s: &str) -> Result<Rule, UnknownRule> {
        let id = s.trim();
        Rule::from_id(id).ok_or_else(|| UnknownRule {
            id: s.to_string(),
            closest: closest(id),
        })
    }
}

/// The up to three ids nearest to `id` by edit distance (case-insensitive), ignoring those
/// so far off that they would not help.
fn closest(id: &str) -> Vec<&'static str> {
    let wanted = id.to_ascii_uppercase();
    let mut scored: Vec<(usize, &'static str)> = Rule::ALL
        .iter()
        .map(|r| (edit_distance(&wanted, r.id()), r.id()))
        .filter(|(d, known)| *d <= known.len().max(wanted.len()) / 2)
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, id)| id).collect()
}

/// Levenshtein distance over bytes (ids are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_round_trips() {
        for &rule in Rule::ALL {
            assert_eq!(rule.id().parse::<Rule>(), Ok(rule), "{rule:?}");
            assert_eq!(rule.to_string(), rule.id());
            assert!(!rule.purpose().is_empty(), "{rule:?}");
        }
    }

    #[test]
    fn ids_are_unique_upper_snake_case() {
        let mut ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
        for id in &ids {
            assert!(
                id.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{id}"
            );
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Rule::ALL.len());
    }

    #[test]
    fn an_unknown_id_names_the_closest() {
        let e = "FIELD_TYPE_CHANGED".parse::<Rule>().unwrap_err();
        assert_eq!(e.closest.first(), Some(&"FIELD_NAME_CHANGED"));
        assert!(
            e.to_string().contains("did you mean FIELD_NAME_CHANGED"),
            "{e}"
        );
        assert_eq!(
            "type_mismatch".parse::<Rule>().unwrap_err().closest.first(),
            Some(&"TYPE_MISMATCH")
        );
        assert!("ZZZZ".parse::<Rule>().unwrap_err().closest.is_empty());
    }

    #[test]
    fn formats() {
        assert!(Rule::TypeMismatch.applies_to(SchemaType::Avro));
        assert!(!Rule::TypeMismatch.applies_to(SchemaType::Protobuf));
        assert!(Rule::SchemaTypeChanged.applies_to(SchemaType::Protobuf));
    }
}
