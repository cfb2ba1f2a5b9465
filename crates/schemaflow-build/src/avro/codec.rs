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
    fn merge_mod(&self) -> String {
        format!("{}::codec::avro::merge", self.rt)
    }
    fn view(&self) -> String {
        format!("{}::codec::avro::AvroView", self.rt)
    }
    fn codec_mod(&self) -> String {
        format!("{}::codec::avro", self.rt)
    }

    /// Run `f` with fresh use flags; answer its result and whether it used `input` and
    /// `depth` (for the parameters of a closure the result goes into). The outer flags are
    /// left as they were.
    fn scoped(&mut self, f: impl FnOnce(&mut Self) -> String) -> (String, bool, bool) {
        let (io, depth) = (self.uses_io, self.uses_depth);
        self.uses_io = false;
        self.uses_depth = false;
        let out = f(self);
        let used = (self.uses_io, self.uses_depth);
        self.uses_io = io;
        self.uses_depth = depth;
        (out, used.0, used.1)
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

    /// Statements reading a value of `schema` from `input` into the place `p` (of the Rust
    /// type for `schema`), reusing what it owns: the body of `read_avro_into`.
    fn merge(&mut self, schema: &Schema, p: &str, d: usize) -> String {
        let b = self.bin();
        let m = self.merge_mod();
        let dt = self.datum();
        let e = self.error();
        if *schema != Schema::Null {
            self.uses_io = true;
        }
        match schema {
            Schema::Null => String::new(),
            Schema::String => format!("{m}::read_string_into(input, &mut {p})?;"),
            Schema::Bytes | Schema::Uuid(UuidSchema::Bytes) | Schema::BigDecimal => {
                format!("{m}::read_bytes_into(input, &mut {p})?;")
            }
            Schema::Array(a) => {
                let (merge, io_m, dm) =
                    self.scoped(|em| em.merge(&a.items, &format!("*v{d}"), d + 1));
                let (read, io_r, dr) = self.scoped(|em| em.read(&a.items, d + 1));
                self.uses_depth |= dm || dr;
                let (im, ir) = (arg("input", io_m), arg("input", io_r));
                format!("{m}::read_array_into(input, &mut {p}, {}, |{im}, v{d}| {{ {merge} ::std::result::Result::Ok(()) }}, |{ir}| ::std::result::Result::Ok({read}))?;", zero_width(&a.items))
            }
            Schema::Map(map) => {
                let (merge, io_m, dm) =
                    self.scoped(|em| em.merge(&map.types, &format!("*v{d}"), d + 1));
                let (read, io_r, dr) = self.scoped(|em| em.read(&map.types, d + 1));
                self.uses_depth |= dm || dr;
                let (im, ir) = (arg("input", io_m), arg("input", io_r));
                format!("{m}::read_map_into(input, &mut {p}, |{im}, v{d}| {{ {merge} ::std::result::Result::Ok(()) }}, |{ir}| ::std::result::Result::Ok({read}))?;")
            }
            Schema::Union(u) => match nullable(u) {
                Some((null, inner)) => {
                    let merge = self.merge(inner, &format!("*v{d}"), d + 1);
                    let read = self.read(inner, d + 1);
                    format!("match {b}::read_branch(input)? {{ {null} => {p} = None, {} => if let Some(v{d}) = &mut {p} {{ {merge} }} else {{ {p} = Some({read}); }}, other => return Err({e}::UnionBranchOutOfRange(other)) }}", 1 - null)
                }
                None => {
                    self.uses_depth = true;
                    format!("{dt}::read_avro_into_nested(&mut {p}, input, depth)?;")
                }
            },
            Schema::Record(_) | Schema::Ref { .. } | Schema::Enum(_) => {
                self.uses_depth = true;
                format!("{dt}::read_avro_into_nested(&mut {p}, input, depth)?;")
            }
            // Values that own nothing (numbers, uuid, decimal, fixed): read over the place.
            _ => format!("{p} = {};", self.read(schema, d)),
        }
    }

    /// An expression reading the borrowed view of a value of `schema` from `input` (the type
    /// `view_type` chose in the parent module).
    fn view_read(&mut self, schema: &Schema, d: usize) -> String {
        let b = self.bin();
        let av = self.view();
        let c = self.codec_mod();
        let e = self.error();
        if *schema != Schema::Null {
            self.uses_io = true;
        }
        match schema {
            Schema::String => format!("{b}::read_str(input)?"),
            Schema::Bytes | Schema::Uuid(UuidSchema::Bytes) | Schema::BigDecimal => {
                format!("{b}::read_bytes_ref(input)?")
            }
            Schema::Array(a) => {
                let (item, io, depth) = self.scoped(|em| em.view_read(&a.items, d + 1));
                self.uses_depth = true;
                format!("{c}::ArrayRef::read_view(input, depth, {}, |{}, {}| ::std::result::Result::Ok({item}))?", zero_width(&a.items), arg("input", io), arg("depth", depth))
            }
            Schema::Map(m) => {
                let (value, io, depth) = self.scoped(|em| em.view_read(&m.types, d + 1));
                self.uses_depth = true;
                format!("{c}::MapRef::read_view(input, depth, |{}, {}| ::std::result::Result::Ok({value}))?", arg("input", io), arg("depth", depth))
            }
            Schema::Union(u) => match nullable(u) {
                Some((null, inner)) => {
                    let some = self.view_read(inner, d + 1);
                    format!("match {b}::read_branch(input)? {{ {null} => None, {} => Some({some}), other => return Err({e}::UnionBranchOutOfRange(other)) }}", 1 - null)
                }
                None => {
                    self.uses_depth = true;
                    format!("{av}::read_view_nested(input, depth)?")
                }
            },
            Schema::Record(_) | Schema::Ref { .. } | Schema::Enum(_) => {
                self.uses_depth = true;
                format!("{av}::read_view_nested(input, depth)?")
            }
            // Everything else reads as its owned value (no allocation: numbers, uuid,
            // decimal up to 128 bits, fixed).
            _ => self.read(schema, d),
        }
    }

    /// An expression turning `e` (a reference to the view of a value of `schema`) into the
    /// owned value.
    fn conv(&self, schema: &Schema, e: &str, d: usize) -> String {
        let av = self.view();
        match schema {
            Schema::Null => "()".to_string(),
            Schema::String => format!("::std::string::String::from(*{e})"),
            Schema::Bytes | Schema::Uuid(UuidSchema::Bytes) | Schema::BigDecimal => {
                format!("({e}).to_vec()")
            }
            Schema::Decimal(dec) if matches!(dec.inner, InnerDecimalSchema::Bytes) => {
                format!("({e}).clone()")
            }
            Schema::Array(a) => {
                let item = self.conv(&a.items, &format!("&v{d}"), d + 1);
                format!("({e}).iter().map(|v{d}| {item}).collect()")
            }
            Schema::Map(m) => {
                let value = self.conv(&m.types, &format!("&v{d}"), d + 1);
                format!("({e}).iter().map(|(k{d}, v{d})| (::std::string::String::from(k{d}), {value})).collect()")
            }
            Schema::Union(u) => match nullable(u) {
                Some((_, inner)) => {
                    let some = self.conv(inner, &format!("v{d}"), d + 1);
                    format!("({e}).as_ref().map(|v{d}| {some})")
                }
                None => format!("{av}::to_owned_value({e})"),
            },
            Schema::Record(_) | Schema::Ref { .. } | Schema::Enum(_) => {
                format!("{av}::to_owned_value({e})")
            }
            // Copy values: numbers, booleans, uuid, fixed.
            _ => format!("*{e}"),
        }
    }

    /// The `impl AvroDatum` head and the two function signatures around `write` and `read`.
    fn wrap(
        &self,
        ty: &str,
        write: &str,
        read: &str,
        uses_write: bool,
        into: Option<&Fn3>,
    ) -> String {
        let buf = if uses_write { "buf" } else { "_buf" };
        let input = arg("input", self.uses_io);
        let depth = arg("depth", self.uses_depth);
        let into = match into {
            Some((body, io, depth)) => format!(
                "    #[inline]\n    fn read_avro_into_nested(&mut self, {}: &mut &[u8], {}: u32) -> ::std::result::Result<(), {e}> {{\n        {body}\n    }}\n",
                arg("input", *io),
                arg("depth", *depth),
                e = self.error(),
            ),
            None => String::new(),
        };
        format!(
            "impl {dt} for {ty} {{\n    #[inline]\n    fn write_avro(&self, {buf}: &mut ::std::vec::Vec<u8>) {{\n        {write}\n    }}\n    #[inline]\n    fn read_avro_nested({input}: &mut &[u8], {depth}: u32) -> ::std::result::Result<Self, {e}> {{\n        {read}\n    }}\n{into}}}\n",
            dt = self.datum(),
            e = self.error(),
        )
    }
}

/// A generated function body, and whether it uses its `input` and `depth` arguments.
type Fn3 = (String, bool, bool);

/// A parameter's name: `_name` when the body does not use it (no unused-variable warnings in
/// the user's crate).
fn arg(name: &str, used: bool) -> String {
    if used {
        name.to_string()
    } else {
        format!("_{name}")
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
    let read = format!("{}{read}Ok(Self {{ {} }})", descend(&em), init.join(", "));
    // read_avro_into: each field read into in place.
    let into = em.scoped(|em| {
        let body = r
            .fields
            .iter()
            .map(|field| {
                em.merge(
                    &field.schema,
                    &format!("self.{}", field_ident(&field.name)),
                    0,
                )
            })
            .filter(|stmt| !stmt.is_empty())
            .collect::<Vec<_>>()
            .join("\n        ");
        format!("{}{body}\n        Ok(())", descend(em))
    });
    em.wrap(
        &type_ident(r.name.name()),
        &write,
        &read,
        uses_write,
        Some(&into),
    )
}

/// Only records recurse: each takes one level of the depth budget (when it has a field that
/// passes the depth on).
fn descend(em: &Emitter<'_>) -> String {
    if em.uses_depth {
        format!("let depth = {}::descend(depth)?;\n        ", em.bin())
    } else {
        String::new()
    }
}

/// The borrowed view of a record: `fields` are (Rust field ident, view type, schema). The
/// struct `{ident}Ref<'a>`, its `AvroView` impl (reading in place, `to_owned_value`), the
/// inherent `to_owned`, and `AvroBorrow` on the owned type. `marker`: no field borrows from
/// the frame, so the lifetime is held by a marker field.
pub(super) fn record_view(
    rt: &str,
    ident: &str,
    fields: &[(String, String, &Schema)],
    marker: bool,
) -> String {
    let mut em = Emitter {
        rt,
        uses_depth: false,
        uses_io: false,
    };
    let view = format!("{ident}Ref");
    let mut out = format!(
        "/// A borrowed view of [`{ident}`] read in place from a frame (strings and bytes borrowed, arrays and maps read lazily); `to_owned()` gives the `{ident}`.\n#[derive(Debug, Clone, PartialEq)]\npub struct {view}<'a> {{\n"
    );
    for (fid, ty, _) in fields {
        let _ = writeln!(out, "    pub {fid}: {ty},");
    }
    if marker {
        out.push_str("    #[doc(hidden)]\n    pub __schemaflow_lifetime: ::std::marker::PhantomData<&'a ()>,\n");
    }
    out.push_str("}\n");
    let mut read = String::new();
    let mut init = Vec::new();
    let mut owned = Vec::new();
    for (i, (fid, _, schema)) in fields.iter().enumerate() {
        let expr = em.view_read(schema, 0);
        let _ = write!(read, "let f{i} = {expr};\n        ");
        init.push(format!("{fid}: f{i}"));
        owned.push(format!(
            "{fid}: {}",
            em.conv(schema, &format!("&self.{fid}"), 0)
        ));
    }
    if marker {
        init.push("__schemaflow_lifetime: ::std::marker::PhantomData".to_string());
    }
    let read = format!("{}{read}Ok(Self {{ {} }})", descend(&em), init.join(", "));
    let _ = write!(
        out,
        "impl<'a> {av}<'a> for {view}<'a> {{\n    type Owned = {ident};\n    #[inline]\n    fn read_view_nested({input}: &mut &'a [u8], {depth}: u32) -> ::std::result::Result<Self, {e}> {{\n        {read}\n    }}\n    fn to_owned_value(&self) -> {ident} {{\n        self.to_owned()\n    }}\n}}\n\
impl {view}<'_> {{\n    /// The owned value (equal to decoding the same bytes).\n    pub fn to_owned(&self) -> {ident} {{\n        {ident} {{ {} }}\n    }}\n}}\n\
impl {c}::AvroBorrow for {ident} {{\n    type Ref<'a> = {view}<'a>;\n}}\n",
        owned.join(", "),
        av = em.view(),
        c = em.codec_mod(),
        e = em.error(),
        input = arg("input", em.uses_io),
        depth = arg("depth", em.uses_depth),
    );
    out
}

/// An enum, or a general union that borrows nothing, is its own view.
pub(super) fn own_view(rt: &str, ident: &str, copy: bool) -> String {
    let em = Emitter {
        rt,
        uses_depth: false,
        uses_io: false,
    };
    let owned = if copy {
        "*self"
    } else {
        "::std::clone::Clone::clone(self)"
    };
    format!(
        "impl<'a> {av}<'a> for {ident} {{\n    type Owned = Self;\n    #[inline]\n    fn read_view_nested(input: &mut &'a [u8], depth: u32) -> ::std::result::Result<Self, {e}> {{\n        <Self as {dt}>::read_avro_nested(input, depth)\n    }}\n    fn to_owned_value(&self) -> Self {{\n        {owned}\n    }}\n}}\n",
        av = em.view(),
        dt = em.datum(),
        e = em.error(),
    )
}

/// The borrowed view of a general union that borrows from the frame: the enum
/// `{ident}Ref<'a>` (`variants`: variant ident, view type or `None` for null, branch schema)
/// and its `AvroView` impl.
pub(super) fn union_view(
    rt: &str,
    ident: &str,
    variants: &[(String, Option<String>, &Schema)],
) -> String {
    let mut em = Emitter {
        rt,
        uses_depth: false,
        uses_io: true,
    };
    let b = em.bin();
    let view = format!("{ident}Ref");
    let mut out = format!(
        "/// A borrowed view of [`{ident}`].\n#[derive(Debug, Clone, PartialEq)]\npub enum {view}<'a> {{\n"
    );
    let mut read = String::new();
    let mut owned = String::new();
    for (i, (v, ty, schema)) in variants.iter().enumerate() {
        match ty {
            None => {
                let _ = writeln!(out, "    {v},");
                let _ = write!(read, "{i} => Self::{v}, ");
                let _ = write!(owned, "Self::{v} => {ident}::{v}, ");
            }
            Some(ty) => {
                let _ = writeln!(out, "    {v}({ty}),");
                let value = em.view_read(schema, 1);
                let _ = write!(read, "{i} => Self::{v}({value}), ");
                let _ = write!(
                    owned,
                    "Self::{v}(x) => {ident}::{v}({}), ",
                    em.conv(schema, "x", 1)
                );
            }
        }
    }
    // A union whose branches all borrow nothing has no view of its own; here one does, so
    // the lifetime is used.
    out.push_str("}\n");
    let _ = write!(
        out,
        "impl<'a> {av}<'a> for {view}<'a> {{\n    type Owned = {ident};\n    #[inline]\n    fn read_view_nested(input: &mut &'a [u8], {depth}: u32) -> ::std::result::Result<Self, {e}> {{\n        Ok(match {b}::read_branch(input)? {{ {read}other => return Err({e}::UnionBranchOutOfRange(other)) }})\n    }}\n    fn to_owned_value(&self) -> {ident} {{\n        match self {{ {owned}}}\n    }}\n}}\n",
        av = em.view(),
        e = em.error(),
        depth = arg("depth", em.uses_depth),
    );
    out
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
    em.wrap(ident, &write, &read, true, None) + &own_view(rt, ident, true)
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
    let mut into = String::new();
    let mut into_depth = false;
    for (i, (v, schema)) in variants.iter().enumerate() {
        if **schema == Schema::Null {
            let _ = write!(write, "Self::{v} => {b}::write_long({i}, buf), ");
            let _ = write!(read, "{i} => Self::{v}, ");
            let _ = write!(into, "{i} => *self = Self::{v}, ");
        } else {
            let payload = em.write(schema, "*x", 1);
            let _ = write!(
                write,
                "Self::{v}(x) => {{ {b}::write_long({i}, buf); {payload} }} "
            );
            let value = em.read(schema, 1);
            let _ = write!(read, "{i} => Self::{v}({value}), ");
            // The same branch as before: read into its value in place; another: a new value.
            let (merge, _, dm) = em.scoped(|em| em.merge(schema, "*x", 1));
            into_depth |= dm || em.uses_depth;
            let _ = write!(
                into,
                "{i} => if let Self::{v}(x) = self {{ {merge} }} else {{ *self = Self::{v}({value}); }}, "
            );
        }
    }
    em.uses_io = true;
    let write = format!("match self {{ {write}}}");
    let read = format!(
        "Ok(match {b}::read_branch(input)? {{ {read}other => return Err({}::UnionBranchOutOfRange(other)) }})",
        em.error()
    );
    let into = (
        format!(
            "match {b}::read_branch(input)? {{ {into}other => return Err({}::UnionBranchOutOfRange(other)) }}\n        Ok(())",
            em.error()
        ),
        true,
        into_depth,
    );
    em.wrap(ident, &write, &read, true, Some(&into))
}
