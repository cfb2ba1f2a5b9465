//! `.proto` text from a `FileDescriptorProto`: how a schema registered in Confluent's
//! serialized form (a base64 descriptor) is shown to people (the registry's
//! `?format=default`, its web page). The text compiles back to the same descriptor's
//! messages, enums and services; source comments and custom options are not in a descriptor
//! and so not printed (the standard options that change the wire or the generated code —
//! `packed`, `deprecated`, `java_package`, `go_package`, … — are).

use std::fmt::Write as _;

use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
    ServiceDescriptorProto,
};

/// The `.proto` text of `file`.
pub fn proto_text(file: &FileDescriptorProto) -> String {
    let mut out = String::new();
    let syntax = file.syntax.as_deref().unwrap_or("proto2");
    let syntax = if syntax.is_empty() { "proto2" } else { syntax };
    let proto3 = syntax == "proto3";
    let _ = writeln!(out, "syntax = \"{syntax}\";");
    if let Some(p) = file.package.as_deref().filter(|p| !p.is_empty()) {
        let _ = writeln!(out, "package {p};");
    }
    if !file.dependency.is_empty() {
        out.push('\n');
        for (i, d) in file.dependency.iter().enumerate() {
            let index = i32::try_from(i).unwrap_or(i32::MAX);
            let kind = if file.public_dependency.contains(&index) {
                "public "
            } else if file.weak_dependency.contains(&index) {
                "weak "
            } else {
                ""
            };
            let _ = writeln!(out, "import {kind}{};", quoted(d));
        }
    }
    if let Some(o) = &file.options {
        let mut opts = Vec::new();
        let mut string = |name: &str, v: &Option<String>| {
            if let Some(v) = v {
                opts.push(format!("option {name} = {};", quoted(v)));
            }
        };
        string("java_package", &o.java_package);
        string("java_outer_classname", &o.java_outer_classname);
        string("go_package", &o.go_package);
        string("csharp_namespace", &o.csharp_namespace);
        string("objc_class_prefix", &o.objc_class_prefix);
        string("php_namespace", &o.php_namespace);
        string("ruby_package", &o.ruby_package);
        if let Some(v) = o.java_multiple_files {
            opts.push(format!("option java_multiple_files = {v};"));
        }
        if !opts.is_empty() {
            out.push('\n');
            for o in opts {
                let _ = writeln!(out, "{o}");
            }
        }
    }
    for m in &file.message_type {
        out.push('\n');
        message(&mut out, m, 0, proto3);
    }
    for e in &file.enum_type {
        out.push('\n');
        enumeration(&mut out, e, 0);
    }
    for s in &file.service {
        out.push('\n');
        service(&mut out, s);
    }
    extensions(&mut out, &file.extension, 0, proto3);
    out
}

fn quoted(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// A type name as written in a field: the descriptor's fully qualified `.pkg.Name` is kept
/// with its leading dot, which resolves from anywhere.
fn type_of(f: &FieldDescriptorProto) -> String {
    match f.r#type() {
        Type::Double => "double".into(),
        Type::Float => "float".into(),
        Type::Int64 => "int64".into(),
        Type::Uint64 => "uint64".into(),
        Type::Int32 => "int32".into(),
        Type::Fixed64 => "fixed64".into(),
        Type::Fixed32 => "fixed32".into(),
        Type::Bool => "bool".into(),
        Type::String => "string".into(),
        Type::Bytes => "bytes".into(),
        Type::Uint32 => "uint32".into(),
        Type::Sfixed32 => "sfixed32".into(),
        Type::Sfixed64 => "sfixed64".into(),
        Type::Sint32 => "sint32".into(),
        Type::Sint64 => "sint64".into(),
        Type::Group | Type::Message | Type::Enum => f.type_name().to_string(),
    }
}

/// The nested map-entry message a map field's type names, if it is one.
fn map_entry<'a>(m: &'a DescriptorProto, f: &FieldDescriptorProto) -> Option<&'a DescriptorProto> {
    if f.label() != Label::Repeated || f.r#type() != Type::Message {
        return None;
    }
    let short = f.type_name().rsplit('.').next()?;
    m.nested_type
        .iter()
        .find(|n| n.name() == short && n.options.as_ref().and_then(|o| o.map_entry) == Some(true))
}

fn field_options(f: &FieldDescriptorProto) -> String {
    let mut opts = Vec::new();
    if let Some(d) = &f.default_value {
        let v = match f.r#type() {
            Type::String | Type::Bytes => quoted(d),
            _ => d.clone(),
        };
        opts.push(format!("default = {v}"));
    }
    if let Some(j) = &f.json_name {
        // protoc fills json_name in for every field: only a chosen one is worth printing.
        if *j != lower_camel(f.name()) {
            opts.push(format!("json_name = {}", quoted(j)));
        }
    }
    if let Some(o) = &f.options {
        if let Some(p) = o.packed {
            opts.push(format!("packed = {p}"));
        }
        if o.deprecated == Some(true) {
            opts.push("deprecated = true".into());
        }
    }
    if opts.is_empty() {
        String::new()
    } else {
        format!(" [{}]", opts.join(", "))
    }
}

fn lower_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn field(
    out: &mut String,
    m: &DescriptorProto,
    f: &FieldDescriptorProto,
    depth: usize,
    proto3: bool,
) {
    indent(out, depth);
    if let Some(entry) = map_entry(m, f) {
        let key = entry.field.iter().find(|x| x.number() == 1);
        let value = entry.field.iter().find(|x| x.number() == 2);
        if let (Some(k), Some(v)) = (key, value) {
            let _ = writeln!(
                out,
                "map<{}, {}> {} = {}{};",
                type_of(k),
                type_of(v),
                f.name(),
                f.number(),
                field_options(f)
            );
            return;
        }
    }
    let label = match f.label() {
        Label::Repeated => "repeated ",
        Label::Required => "required ",
        Label::Optional if !proto3 || f.proto3_optional == Some(true) => "optional ",
        Label::Optional => "",
    };
    let _ = writeln!(
        out,
        "{label}{} {} = {}{};",
        type_of(f),
        f.name(),
        f.number(),
        field_options(f)
    );
}

fn message(out: &mut String, m: &DescriptorProto, depth: usize, proto3: bool) {
    indent(out, depth);
    let _ = writeln!(out, "message {} {{", m.name());
    let inner = depth + 1;
    if m.options.as_ref().and_then(|o| o.deprecated) == Some(true) {
        indent(out, inner);
        out.push_str("option deprecated = true;\n");
    }
    // Oneofs group their fields; a proto3 `optional` is a synthetic oneof, printed as a plain
    // optional field.
    let synthetic = |i: i32| {
        m.field
            .iter()
            .any(|f| f.oneof_index == Some(i) && f.proto3_optional == Some(true))
    };
    let mut printed_oneofs = Vec::new();
    for f in &m.field {
        match f.oneof_index {
            Some(i) if !synthetic(i) => {
                if printed_oneofs.contains(&i) {
                    continue;
                }
                printed_oneofs.push(i);
                let name = usize::try_from(i)
                    .ok()
                    .and_then(|i| m.oneof_decl.get(i))
                    .map_or("choice", |o| o.name());
                indent(out, inner);
                let _ = writeln!(out, "oneof {name} {{");
                for g in m.field.iter().filter(|g| g.oneof_index == Some(i)) {
                    indent(out, inner + 1);
                    let _ = writeln!(
                        out,
                        "{} {} = {}{};",
                        type_of(g),
                        g.name(),
                        g.number(),
                        field_options(g)
                    );
                }
                indent(out, inner);
                out.push_str("}\n");
            }
            _ => field(out, m, f, inner, proto3),
        }
    }
    for n in &m.nested_type {
        if n.options.as_ref().and_then(|o| o.map_entry) == Some(true) {
            continue;
        }
        message(out, n, inner, proto3);
    }
    for e in &m.enum_type {
        enumeration(out, e, inner);
    }
    for r in &m.extension_range {
        indent(out, inner);
        // The descriptor's end is exclusive.
        let end = r.end().saturating_sub(1);
        if end >= 536_870_911 {
            let _ = writeln!(out, "extensions {} to max;", r.start());
        } else {
            let _ = writeln!(out, "extensions {} to {end};", r.start());
        }
    }
    for r in &m.reserved_range {
        indent(out, inner);
        let end = r.end().saturating_sub(1);
        if end == r.start() {
            let _ = writeln!(out, "reserved {};", r.start());
        } else {
            let _ = writeln!(out, "reserved {} to {end};", r.start());
        }
    }
    if !m.reserved_name.is_empty() {
        indent(out, inner);
        let names: Vec<String> = m.reserved_name.iter().map(|n| quoted(n)).collect();
        let _ = writeln!(out, "reserved {};", names.join(", "));
    }
    extensions(out, &m.extension, inner, proto3);
    indent(out, depth);
    out.push_str("}\n");
}

fn extensions(out: &mut String, fields: &[FieldDescriptorProto], depth: usize, proto3: bool) {
    let mut extendees: Vec<&str> = fields.iter().map(|f| f.extendee()).collect();
    extendees.dedup();
    for e in extendees {
        indent(out, depth);
        let _ = writeln!(out, "extend {e} {{");
        for f in fields.iter().filter(|f| f.extendee() == e) {
            field(out, &DescriptorProto::default(), f, depth + 1, proto3);
        }
        indent(out, depth);
        out.push_str("}\n");
    }
}

fn enumeration(out: &mut String, e: &EnumDescriptorProto, depth: usize) {
    indent(out, depth);
    let _ = writeln!(out, "enum {} {{", e.name());
    if e.options.as_ref().and_then(|o| o.allow_alias) == Some(true) {
        indent(out, depth + 1);
        out.push_str("option allow_alias = true;\n");
    }
    for v in &e.value {
        indent(out, depth + 1);
        let deprecated = v.options.as_ref().and_then(|o| o.deprecated) == Some(true);
        let _ = writeln!(
            out,
            "{} = {}{};",
            v.name(),
            v.number(),
            if deprecated {
                " [deprecated = true]"
            } else {
                ""
            }
        );
    }
    for r in &e.reserved_range {
        indent(out, depth + 1);
        // An enum's reserved end is inclusive.
        if r.end() == r.start() {
            let _ = writeln!(out, "reserved {};", r.start());
        } else {
            let _ = writeln!(out, "reserved {} to {};", r.start(), r.end());
        }
    }
    if !e.reserved_name.is_empty() {
        indent(out, depth + 1);
        let names: Vec<String> = e.reserved_name.iter().map(|n| quoted(n)).collect();
        let _ = writeln!(out, "reserved {};", names.join(", "));
    }
    indent(out, depth);
    out.push_str("}\n");
}

fn service(out: &mut String, s: &ServiceDescriptorProto) {
    let _ = writeln!(out, "service {} {{", s.name());
    for m in &s.method {
        let _ = writeln!(
            out,
            "  rpc {}({}{}) returns ({}{});",
            m.name(),
            if m.client_streaming() { "stream " } else { "" },
            m.input_type(),
            if m.server_streaming() { "stream " } else { "" },
            m.output_type()
        );
    }
    out.push_str("}\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;

    /// Compile `files` (name, text) through the one loader and answer the descriptor of the
    /// first.
    fn compiled(files: &[(&str, &str)]) -> FileDescriptorProto {
        let given = files
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        let pool = crate::protobuf::compile(files[0].0, None, given).expect("compiles");
        pool.get_file_by_name(files[0].0)
            .expect("the file")
            .file_descriptor_proto()
            .clone()
    }

    /// Without what the text cannot carry (source positions), for comparing.
    fn plain(mut f: FileDescriptorProto) -> FileDescriptorProto {
        f.source_code_info = None;
        f
    }

    #[test]
    fn printed_text_compiles_back_to_the_same_descriptor() {
        let cases: &[&[(&str, &str)]] = &[
            &[(
                "a.proto",
                r#"syntax = "proto3";
package shop.v1;
option go_package = "example.com/shop";
message Order {
  string id = 1;
  optional int64 cents = 2 [json_name = "amountCents"];
  repeated string tags = 3 [packed = false];
  map<string, Line> lines = 4;
  oneof payment { string card = 5; bytes token = 6; }
  Status status = 7 [deprecated = true];
  message Line { sint32 qty = 1; }
  enum Status { STATUS_UNSPECIFIED = 0; PAID = 1; reserved 5 to 9; reserved "OLD"; }
  reserved 20, 30 to 40;
  reserved "legacy";
}
service Orders { rpc Place(Order) returns (stream Order); }
"#,
            )],
            &[
                (
                    "b.proto",
                    r#"syntax = "proto2";
package p;
import "c.proto";
import "google/protobuf/timestamp.proto";
message B {
  required string name = 1 [default = "x\"y"];
  optional c.C c = 2;
  optional google.protobuf.Timestamp at = 3;
  extensions 100 to max;
}
extend B { optional int32 more = 100; }
"#,
                ),
                (
                    "c.proto",
                    "syntax = \"proto3\";\npackage c;\nmessage C { double d = 1; }\n",
                ),
            ],
        ];
        for files in cases {
            let original = plain(compiled(files));
            let text = proto_text(&original);
            let mut again_files: Vec<(&str, &str)> = files.to_vec();
            again_files[0].1 = &text;
            let again = plain(compiled(&again_files));
            assert_eq!(again, original, "printed:\n{text}");
        }
    }

    #[test]
    fn a_serialized_descriptor_prints_as_text() {
        let f = compiled(&[(
            "x.proto",
            "syntax = \"proto3\";\nmessage X { string a = 1; }\n",
        )]);
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(f.encode_to_vec());
        let decoded = crate::protobuf::decode_descriptor(&b64).expect("a descriptor");
        let text = proto_text(&decoded);
        assert!(text.contains("message X {\n  string a = 1;\n}"), "{text}");
        assert!(crate::protobuf::decode_descriptor("message X {}").is_none());
    }
}
