//! Avro binary codecs for the generated types: one `impl AvroDatum` per record, enum and
//! general union, straight-line code over the runtime's binary primitives (what prost-build
//! does with `encode_raw` / `merge_field`), so encoding and decoding walk no schema at run time.
//!
//! Field values are written from and read into the Rust types `rust_type` chose; a named type
//! (record, enum, fixed) or a general union is reached through its own `AvroDatum` impl, named
//! by the trait and resolved by the field's type, so this code needs no paths to other
//! generated types.

use std::fmt::Write as _;

use apache_avro::schema::{InnerDecimalSchema, RecordSchema, UnionSchema, UuidSchema};
use apache_avro::Schema;

use crate::rust::{field_ident, type_ident};

/// Runtime paths, and whether the code emitted so far uses each argument of the function
/// (an unused one is named `_…` so the generated code compiles without warnings).
struct Emitter<'a> {
    rt: &'a str,
    uses_depth: bool,
    uses_io: bool,
}

impl Emitter<'_> {
    fn bin(&self) -> String {
        format!("{}::codec::avro::binary", self.rt)
    }
    fn logical(&self) -> String {
        format!("{}::codec::avro::logical", self.rt)
    }
    fn datum(&self) -> String {
        format!("{}::codec::avro::AvroDatum", self.rt)
    }
    fn error(&self) -> String {
        format!("{}::codec::avro::AvroDecodeError", self.rt)
    }

    /// Statements appending the value at place `p` (of the Rust type for `schema`) to `buf`.
    fn write(&mut self, schema: &Schema, p: &str, d: usize) -> String {
        let b = self.bin();
        let l = self.logical();
        let dt = self.datum();
        if *schema != Schema::Null {
            self.uses_io = true;
        }
        match schema {
            Schema::Null => String::new(),
            Schema::Boolean => format!("{b}::write_bool({p}, buf);"),
            Schema::Int | Schema::Date | Schema::TimeMillis => format!("{b}::write_int({p}, buf);"),
            Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => format!("{b}::write_long({p}, buf);"),
            Schema::Float => format!("{b}::write_float({p}, buf);"),
            Schema::Double => format!("{b}::write_double({p}, buf);"),
            Schema::String => format!("{b}::write_str(&{p}, buf);"),
            Schema::Uuid(UuidSchema::String) => format!("{l}::write_uuid(&{p}, buf);"),
            Schema::Bytes | Schema::Uuid(UuidSchema::Bytes) | Schema::BigDecimal => {
                format!("{b}::write_bytes(&{p}, buf);")
            }
            Schema::Decimal(dec) => match dec.inner {
                InnerDecimalSchema::Bytes => format!("{l}::write_decimal(&{p}, buf);"),
                InnerDecimalSchema::Fixed(_) => format!("{dt}::write_avro(&{p}, buf);"),
            },
            Schema::Array(a) => {
                let item = self.write(&a.items, &format!("*v{d}"), d + 1);
                format!("{{ let items{d} = &{p}; {b}::write_block_start(items{d}.len(), buf); for v{d} in items{d} {{ {item} }} {b}::write_block_end(buf); }}")
            }
            Schema::Map(m) => {
                let value = self.write(&m.types, &format!("*v{d}"), d + 1);
                format!("{{ let map{d} = &{p}; {b}::write_block_start(map{d}.len(), buf); for (k{d}, v{d}) in map{d} {{ {b}::write_str(k{d}, buf); {value} }} {b}::write_block_end(buf); }}")
            }
            Schema::Union(u) => match nullable(u) {
                Some((null, inner)) => {
                    let some = self.write(inner, &format!("*v{d}"), d + 1);
                    format!("match &{p} {{ None => {b}::write_long({null}, buf), Some(v{d}) => {{ {b}::write_long({}, buf); {some} }} }}", 1 - null)
                }
                None => format!("{dt}::write_avro(&{p}, buf);"),
            },
            // Records, enums, fixed (and uuid/duration on fixed): their own impl.
            _ => format!("{dt}::write_avro(&{p}, buf);"),
        }
    }

    /// An expression reading a value of `schema` from `input` (inside a function returning
    /// `Result<_, AvroDecodeError>`, with `depth` records of nesting left).
    fn read(&mut self, schema: &Schema, d: usize) -> String {
        let b = self.bin();
        let l = self.logical();
        let dt = self.datum();
        let e = self.error();
        if *schema != Schema::Null {
            self.uses_io = true;
        }
        match schema {
            Schema::Null => "()".to_string(),
            Schema::Boolean => format!("{b}::read_bool(input)?"),
            Schema::Int | Schema::Date | Schema::TimeMillis => format!("{b}::read_int(input)?"),
            Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => format!("{b}::read_long(input)?"),
            Schema::Float => format!("{b}::read_float(input)?"),
            Schema::Double => format!("{b}::read_double(input)?"),
            Schema::String => format!("{b}::read_string(input)?"),
            Schema::Uuid(UuidSchema::String) => format!("{l}::read_uuid(input)?"),
            Schema::Bytes | Schema::Uuid(UuidSchema::Bytes) | Schema::BigDecimal => {
                format!("{b}::read_bytes(input)?")
            }
            Schema::Decimal(dec) => match dec.inner {
                InnerDecimalSchema::Bytes => format!("{l}::read_decimal(input)?"),
                InnerDecimalSchema::Fixed(_) => format!("{b}::read_fixed(input)?"),
            },
            Schema::Array(a) => {
                let item = self.read(&a.items, d + 1);
                format!("{{ let mut items{d} = ::std::vec::Vec::new(); loop {{ let n = {b}::read_block_count(input, {})?; if n == 0 {{ break items{d}; }} {b}::reserve_block(&mut items{d}, n, input.len()); for _ in 0..n {{ items{d}.push({item}); }} }} }}", zero_width(&a.items))
            }
            Schema::Map(m) => {
                let value = self.read(&m.types, d + 1);
                format!("{{ let mut map{d} = ::std::collections::BTreeMap::new(); loop {{ let n = {b}::read_block_count(input, false)?; if n == 0 {{ break map{d}; }} for _ in 0..n {{ let k = {b}::read_string(input)?; map{d}.insert(k, {value}); }} }} }}")
            }
            Schema::Union(u) => match nullable(u) {
                Some((null, inner)) => {
                    let some = self.read(inner, d + 1);
                    format!("match {b}::read_branch(input)? {{ {null} => None, {} => Some({some}), other => return Err({e}::UnionBranchOutOfRange(other)) }}", 1 - null)
                }
                None => {
                    self.uses_depth = true;
                    format!("{dt}::read_avro_nested(input, depth)?")
                }
            },
            Schema::Fixed(_) | Schema::Uuid(UuidSchema::Fixed(_)) | Schema::Duration(_) => {
                format!("{b}::read_fixed(input)?")
            }
            // Records, enums and references to named types: their own impl.
            _ => {
                self.uses_depth = true;
                format!("{dt}::read_avro_nested(input, depth)?")
            }
        }
    }

    /// The `impl AvroDatum` head and the two function signatures around `write` and `read`.
    fn wrap(&self, ty: &str, write: &str, read: &str, uses_write: bool) -> String {
        let buf = if uses_write { "buf" } else { "_buf" };
        let input = if self.uses_io { "input" } else { "_input" };
        let depth = if self.uses_depth { "depth" } else { "_depth" };
        format!(
            "impl {dt} for {ty} {{\n    #[inline]\n    fn write_avro(&self, {buf}: &mut ::std::vec::Vec<u8>) {{\n        {write}\n    }}\n    #[inline]\n    fn read_avro_nested({input}: &mut &[u8], {depth}: u32) -> ::std::result::Result<Self, {e}> {{\n        {read}\n    }}\n}}\n",
            dt = self.datum(),
            e = self.error(),
        )
    }
}

/// `Some((index of null, the other branch))` for a union generated as `Option<_>`.
fn nullable(u: &UnionSchema) -> Option<(usize, &Schema)> {
    match u.variants() {
        [Schema::Null, other] if *other != Schema::Null => Some((0, other)),
        [other, Schema::Null] if *other != Schema::Null => Some((1, other)),
        _ => None,
    }
}

/// Whether a value of `schema` can take no bytes (then a block count cannot be checked against
/// the bytes left). A reference is assumed not to, as in the resolution plan.
fn zero_width(schema: &Schema) -> bool {
    match schema {
        Schema::Null => true,
        Schema::Fixed(f) => f.size == 0,
        Schema::Record(r) => r.fields.iter().all(|f| zero_width(&f.schema)),
        _ => false,
    }
}

/// The codec of a named type defined in the module being generated (records and enums; a
/// fixed is a `[u8; N]`, whose impl is in the runtime).
pub(super) fn named_codec(rt: &str, schema: &Schema) -> String {
    match schema {
        Schema::Record(r) => record_codec(rt, r),
        Schema::Enum(e) => enum_codec(rt, &type_ident(e.name.name()), &e.symbols),
        _ => String::new(),
    }
}

fn record_codec(rt: &str, r: &RecordSchema) -> String {
    let mut em = Emitter {
        rt,
        uses_depth: false,
        uses_io: false,
    };
    let write = r
        .fields
        .iter()
        .map(|field| {
            em.write(
                &field.schema,
                &format!("self.{}", field_ident(&field.name)),
                0,
            )
        })
        .filter(|stmt| !stmt.is_empty())
        .collect::<Vec<_>>()
        .join("\n        ");
    let uses_write = em.uses_io;
    em.uses_io = false;
    let mut read = String::new();
    let mut init = Vec::new();
    for (i, field) in r.fields.iter().enumerate() {
        let expr = em.read(&field.schema, 0);
        let _ = write!(read, "let f{i} = {expr};\n        ");
        init.push(format!("{}: f{i}", field_ident(&field.name)));
    }
    // Only records recurse: each takes one level of the depth budget.
    let descend = if em.uses_depth {
        format!("let depth = {}::descend(depth)?;\n        ", em.bin())
    } else {
        String::new()
    };
    let read = format!("{descend}{read}Ok(Self {{ {} }})", init.join(", "));
    em.wrap(&type_ident(r.name.name()), &write, &read, uses_write)
}

fn enum_codec(rt: &str, ident: &str, symbols: &[String]) -> String {
    let em = Emitter {
        rt,
        uses_depth: false,
        uses_io: true,
    };
    let b = em.bin();
    let mut to_index = String::new();
    let mut from_index = String::new();
    for (i, sym) in symbols.iter().enumerate() {
        let v = type_ident(sym);
        let _ = write!(to_index, "Self::{v} => {i}, ");
        let _ = write!(from_index, "{i} => Ok(Self::{v}), ");
    }
    let write = format!("{b}::write_int(match self {{ {to_index}}}, buf);");
    // An index past the symbols is corrupt data; a symbol the reader lacks was already mapped to
    // the reader's default by the resolution plan.
    let read = format!(
        "match {b}::read_int(input)? {{ {from_index}other => Err({}::EnumIndexOutOfRange(other)) }}",
        em.error()
    );
    em.wrap(ident, &write, &read, true)
}

/// The codec of a general union's enum: `variants` are (variant ident, branch schema) in
/// branch order.
pub(super) fn union_codec(rt: &str, ident: &str, variants: &[(String, &Schema)]) -> String {
    let mut em = Emitter {
        rt,
        uses_depth: false,
        uses_io: true,
    };
    let b = em.bin();
    let mut write = String::new();
    let mut read = String::new();
    for (i, (v, schema)) in variants.iter().enumerate() {
        if **schema == Schema::Null {
            let _ = write!(write, "Self::{v} => {b}::write_long({i}, buf), ");
            let _ = write!(read, "{i} => Self::{v}, ");
        } else {
            let payload = em.write(schema, "*x", 1);
            let _ = write!(
                write,
                "Self::{v}(x) => {{ {b}::write_long({i}, buf); {payload} }} "
            );
            let value = em.read(schema, 1);
            let _ = write!(read, "{i} => Self::{v}({value}), ");
        }
    }
    em.uses_io = true;
    let write = format!("match self {{ {write}}}");
    let read = format!(
        "Ok(match {b}::read_branch(input)? {{ {read}other => return Err({}::UnionBranchOutOfRange(other)) }})",
        em.error()
    );
    em.wrap(ident, &write, &read, true)
}
