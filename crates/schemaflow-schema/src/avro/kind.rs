//! A schema's physical kind: logical types by their underlying type (as Java resolves and
//! checks them), and Avro's promotions between kinds.

use apache_avro::schema::{
    EnumSchema, FixedSchema, InnerDecimalSchema, RecordSchema, Schema, UnionSchema, UuidSchema,
};

/// Physical view of a schema, with what each kind carries.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Phys<'a> {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    /// Also under decimal, uuid and duration.
    Fixed(&'a FixedSchema),
    Enum(&'a EnumSchema),
    Array(&'a Schema),
    Map(&'a Schema),
    Union(&'a UnionSchema),
    Record(&'a RecordSchema),
    /// An unresolved `Schema::Ref` (dereference with [`super::deref`] first).
    Unknown,
}

/// The kind alone, for comparisons and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Fixed,
    Enum,
    Array,
    Map,
    Union,
    Record,
    Unknown,
}

impl<'a> Phys<'a> {
    /// The physical view of `s`.
    pub(crate) fn of(s: &'a Schema) -> Self {
        match s {
            Schema::Null => Phys::Null,
            Schema::Boolean => Phys::Boolean,
            Schema::Int | Schema::Date | Schema::TimeMillis => Phys::Int,
            Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => Phys::Long,
            Schema::Float => Phys::Float,
            Schema::Double => Phys::Double,
            Schema::Bytes | Schema::BigDecimal | Schema::Uuid(UuidSchema::Bytes) => Phys::Bytes,
            Schema::String | Schema::Uuid(UuidSchema::String) => Phys::String,
            Schema::Decimal(d) => match &d.inner {
                InnerDecimalSchema::Bytes => Phys::Bytes,
                InnerDecimalSchema::Fixed(f) => Phys::Fixed(f),
            },
            Schema::Uuid(UuidSchema::Fixed(f)) | Schema::Duration(f) | Schema::Fixed(f) => {
                Phys::Fixed(f)
            }
            Schema::Enum(e) => Phys::Enum(e),
            Schema::Array(a) => Phys::Array(&a.items),
            Schema::Map(m) => Phys::Map(&m.types),
            Schema::Union(u) => Phys::Union(u),
            Schema::Record(r) => Phys::Record(r),
            Schema::Ref { .. } => Phys::Unknown,
        }
    }

    /// The kind alone.
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Phys::Null => Kind::Null,
            Phys::Boolean => Kind::Boolean,
            Phys::Int => Kind::Int,
            Phys::Long => Kind::Long,
            Phys::Float => Kind::Float,
            Phys::Double => Kind::Double,
            Phys::Bytes => Kind::Bytes,
            Phys::String => Kind::String,
            Phys::Fixed(_) => Kind::Fixed,
            Phys::Enum(_) => Kind::Enum,
            Phys::Array(_) => Kind::Array,
            Phys::Map(_) => Kind::Map,
            Phys::Union(_) => Kind::Union,
            Phys::Record(_) => Kind::Record,
            Phys::Unknown => Kind::Unknown,
        }
    }
}

impl Kind {
    /// The kind of `s`.
    pub(crate) fn of(s: &Schema) -> Self {
        Phys::of(s).kind()
    }

    /// The kind's name in messages.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Boolean => "boolean",
            Kind::Int => "int",
            Kind::Long => "long",
            Kind::Float => "float",
            Kind::Double => "double",
            Kind::Bytes => "bytes",
            Kind::String => "string",
            Kind::Fixed => "fixed",
            Kind::Enum => "enum",
            Kind::Array => "array",
            Kind::Map => "map",
            Kind::Union => "union",
            Kind::Record => "record",
            Kind::Unknown => "unknown type",
        }
    }
}

/// Avro's promotions (the specification's "Schema Resolution"): int→long/float/double,
/// long→float/double, float→double, string↔bytes. Equal kinds are not promotions.
pub(crate) fn promotable(writer: Kind, reader: Kind) -> bool {
    matches!(
        (writer, reader),
        (Kind::Int, Kind::Long | Kind::Float | Kind::Double)
            | (Kind::Long, Kind::Float | Kind::Double)
            | (Kind::Float, Kind::Double)
            | (Kind::String, Kind::Bytes)
            | (Kind::Bytes, Kind::String)
    )
}
