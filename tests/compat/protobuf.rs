//! Protobuf compatibility cases: (previous, candidate, mode) with the verdict the registry's
//! schema-diff rules give.

use base64::Engine as _;
use prost::Message as _;
use schemaflow::compat::protobuf::{field_comparisons, ProtoCompatSchema};
use schemaflow::compat::{
    check, differences, CompatibilityLevel, Direction, ParsedSchema, SchemaInput,
};
use schemaflow::SchemaType;

use CompatibilityLevel::*;

fn p3(body: &str) -> String {
    format!("syntax = \"proto3\";\npackage p.v1;\n{body}\n")
}

fn p2(body: &str) -> String {
    format!("syntax = \"proto2\";\npackage p.v1;\n{body}\n")
}

fn input(text: &str, label: &str) -> SchemaInput {
    SchemaInput::new(SchemaType::Protobuf, text, label)
}

fn verdict(
    mode: CompatibilityLevel,
    previous: &[&str],
    candidate: &str,
) -> (bool, Vec<&'static str>) {
    let prev: Vec<SchemaInput> = previous
        .iter()
        .enumerate()
        .map(|(i, t)| input(t, &format!("version {}", i + 1)))
        .collect();
    let report = check(mode, &prev, &input(candidate, "candidate")).expect("schemas parse");
    let mut r: Vec<&'static str> = report.findings.iter().map(|f| f.rule.id()).collect();
    r.sort();
    r.dedup();
    assert_eq!(report.compatible, r.is_empty());
    (report.compatible, r)
}

/// All differences (compatible ones too) in the backward direction.
fn diff_rules(previous: &str, candidate: &str) -> Vec<&'static str> {
    let p = ParsedSchema::parse(&input(previous, "prev")).unwrap();
    let c = ParsedSchema::parse(&input(candidate, "cand")).unwrap();
    let mut r: Vec<&'static str> = differences(Direction::Backward, &p, &c)
        .iter()
        .map(|d| d.rule.id())
        .collect();
    r.sort();
    r.dedup();
    r
}

struct Case {
    name: &'static str,
    mode: CompatibilityLevel,
    previous: String,
    candidate: String,
    expect: &'static [&'static str],
}

fn case(
    name: &'static str,
    mode: CompatibilityLevel,
    previous: String,
    candidate: String,
    expect: &'static [&'static str],
) -> Case {
    Case {
        name,
        mode,
        previous,
        candidate,
        expect,
    }
}

fn field(ty: &str) -> String {
    p3(&format!("message M {{ {ty} f = 1; }}"))
}

fn cases() -> Vec<Case> {
    let base = p3("message M { string a = 1; int32 b = 2; }");
    let mut v = vec![
        case("identical", FullTransitive, base.clone(), base.clone(), &[]),
        case("field added", Full, base.clone(), p3("message M { string a = 1; int32 b = 2; bool c = 3; }"), &[]),
        case("field removed", Full, base.clone(), p3("message M { string a = 1; }"), &[]),
        case("field renamed", Full, base.clone(), p3("message M { string a = 1; int32 renamed = 2; }"), &[]),
        case("fields reordered in text", Full, base.clone(), p3("message M { int32 b = 2; string a = 1; }"), &[]),
        case("field number changed", Backward, base.clone(), p3("message M { string a = 1; int32 b = 3; }"), &[]),
        // PACKAGE_CHANGED is incompatible upstream ("Detect package change" in
        // diff-schema-examples.json at 1b51f24596e6dad2b21cb7917a224ac17f9c2f2c); types are
        // still matched by their names within the package, so it is the only finding.
        case("package changed", Backward, base.clone(), base.replace("p.v1", "p.v2"), &["PACKAGE_CHANGED"]),
        case("package removed", Backward, base.clone(), base.replace("package p.v1;", ""), &["PACKAGE_CHANGED"]),
        case("message added backward", Backward, base.clone(), format!("{base}message N {{ int32 x = 1; }}"), &[]),
        case("message added forward", Forward, base.clone(), format!("{base}message N {{ int32 x = 1; }}"), &["MESSAGE_REMOVED"]),
        case("message added full", Full, base.clone(), format!("{base}message N {{ int32 x = 1; }}"), &["MESSAGE_REMOVED"]),
        case("message removed backward", Backward, format!("{base}message N {{ int32 x = 1; }}"), base.clone(), &["MESSAGE_REMOVED"]),
        case("message removed forward", Forward, format!("{base}message N {{ int32 x = 1; }}"), base.clone(), &[]),
        case("messages reordered", Backward, p3("message A {} message B {}"), p3("message B {} message A {}"), &[]),
        case("nested message removed", Backward, p3("message A { message In { int32 x = 1; } }"), p3("message A {}"), &["MESSAGE_REMOVED"]),
        case("nested message field changed", Backward,
            p3("message A { message In { int32 x = 1; } In i = 1; }"),
            p3("message A { message In { string x = 1; } In i = 1; }"), &["FIELD_SCALAR_KIND_CHANGED"]),
        case("message renamed", Backward, p3("message A { int32 x = 1; }"), p3("message B { int32 x = 1; }"), &["MESSAGE_REMOVED"]),
        case("enum added", Full, base.clone(), format!("{base}enum E {{ E_UNSPECIFIED = 0; }}"), &[]),
        case("enum removed", Full, format!("{base}enum E {{ E_UNSPECIFIED = 0; }}"), base.clone(), &[]),
        case("enum const added", Full, p3("enum E { E_A = 0; }"), p3("enum E { E_A = 0; E_B = 1; }"), &[]),
        case("enum const removed", Full, p3("enum E { E_A = 0; E_B = 1; }"), p3("enum E { E_A = 0; }"), &[]),
        case("enum const renamed", Full, p3("enum E { E_A = 0; E_B = 1; }"), p3("enum E { E_A = 0; E_C = 1; }"), &[]),
        // Scalars.
        case("int32 → int64", Full, field("int32"), field("int64"), &[]),
        case("int32 → uint64", Full, field("int32"), field("uint64"), &[]),
        case("uint32 → bool", Full, field("uint32"), field("bool"), &[]),
        case("sint32 → sint64", Full, field("sint32"), field("sint64"), &[]),
        case("string → bytes", Full, field("string"), field("bytes"), &[]),
        case("fixed32 → sfixed32", Full, field("fixed32"), field("sfixed32"), &[]),
        case("fixed64 → sfixed64", Full, field("fixed64"), field("sfixed64"), &[]),
        case("int32 → sint32", Backward, field("int32"), field("sint32"), &["FIELD_SCALAR_KIND_CHANGED"]),
        case("int32 → string", Backward, field("int32"), field("string"), &["FIELD_SCALAR_KIND_CHANGED"]),
        case("fixed32 → fixed64", Backward, field("fixed32"), field("fixed64"), &["FIELD_SCALAR_KIND_CHANGED"]),
        case("float → double", Backward, field("float"), field("double"), &["FIELD_SCALAR_KIND_CHANGED"]),
        case("int64 → double", Forward, field("int64"), field("double"), &["FIELD_SCALAR_KIND_CHANGED"]),
        case("int32 → enum", Full, field("int32"), p3("enum E { E_A = 0; } message M { E f = 1; }"), &[]),
        case("enum → string", Backward, p3("enum E { E_A = 0; } message M { E f = 1; }"), field("string"), &["FIELD_SCALAR_KIND_CHANGED"]),
        // Enums are scalars upstream (FieldSchemaDiff.kind / scalarKind: GENERAL_NUMBER, as
        // "Detect field number type to enum change"), so another enum is no difference.
        case("enum → other enum", Full,
            p3("enum E { E_A = 0; } enum G { G_A = 0; } message M { E f = 1; }"),
            p3("enum E { E_A = 0; } enum G { G_A = 0; } message M { G f = 1; }"), &[]),
        // Kinds and named types.
        case("scalar → message", Backward, p3("message N {} message M { string f = 1; }"), p3("message N {} message M { N f = 1; }"), &["FIELD_KIND_CHANGED"]),
        case("message → scalar", Backward, p3("message N {} message M { N f = 1; }"), p3("message N {} message M { string f = 1; }"), &["FIELD_KIND_CHANGED"]),
        case("message → other message", Backward,
            p3("message N {} message O {} message M { N f = 1; }"),
            p3("message N {} message O {} message M { O f = 1; }"), &["FIELD_NAMED_TYPE_CHANGED"]),
        case("well-known type changed", Backward,
            "syntax = \"proto3\"; package p.v1; import \"google/protobuf/timestamp.proto\"; import \"google/protobuf/duration.proto\"; message M { google.protobuf.Timestamp t = 1; }".into(),
            "syntax = \"proto3\"; package p.v1; import \"google/protobuf/timestamp.proto\"; import \"google/protobuf/duration.proto\"; message M { google.protobuf.Duration t = 1; }".into(),
            &["FIELD_NAMED_TYPE_CHANGED"]),
        case("google/type field added", Full,
            p3("message M { string a = 1; }"),
            "syntax = \"proto3\"; package p.v1; import \"google/type/money.proto\"; import \"google/type/date.proto\"; message M { string a = 1; google.type.Money price = 2; google.type.Date day = 3; }".into(),
            &[]),
        // Labels.
        case("string singular → repeated", Full, field("string"), field("repeated string"), &[]),
        case("bytes repeated → singular", Full, field("repeated bytes"), field("bytes"), &[]),
        case("message singular → repeated", Full, p3("message N {} message M { N f = 1; }"), p3("message N {} message M { repeated N f = 1; }"), &[]),
        case("int32 singular → repeated", Backward, field("int32"), field("repeated int32"), &["FIELD_NUMERIC_LABEL_CHANGED"]),
        case("double repeated → singular", Forward, field("repeated double"), field("double"), &["FIELD_NUMERIC_LABEL_CHANGED"]),
        case("proto3 optional added to field", Full, field("string"), field("optional string"), &[]),
        case("map value type widened", Full, field("map<string, int32>"), field("map<string, int64>"), &[]),
        case("map value type changed", Backward, field("map<string, int32>"), field("map<string, string>"), &["FIELD_SCALAR_KIND_CHANGED"]),
        case("map added", Full, p3("message M {}"), field("map<string, string>"), &[]),
        // proto2 required.
        case("required field added", Backward, p2("message M { optional int32 a = 1; }"), p2("message M { optional int32 a = 1; required int32 b = 2; }"), &["REQUIRED_FIELD_ADDED"]),
        case("required field removed", Backward, p2("message M { optional int32 a = 1; required int32 b = 2; }"), p2("message M { optional int32 a = 1; }"), &["REQUIRED_FIELD_REMOVED"]),
        case("optional field added proto2", Full, p2("message M { optional int32 a = 1; }"), p2("message M { optional int32 a = 1; optional int32 b = 2; }"), &[]),
        case("optional → required", Backward, p2("message M { optional int32 a = 1; }"), p2("message M { required int32 a = 1; }"), &["REQUIRED_FIELD_ADDED"]),
        // Oneofs.
        case("oneof added with new fields", Backward, base.clone(), p3("message M { string a = 1; int32 b = 2; oneof o { string x = 3; int32 y = 4; } }"), &[]),
        case("oneof field added", Backward, p3("message M { oneof o { string x = 1; } }"), p3("message M { oneof o { string x = 1; int32 y = 2; } }"), &[]),
        // Forward runs the same diff the other way: the added oneof field is a removed one.
        case("oneof field added full", Full, p3("message M { oneof o { string x = 1; } }"), p3("message M { oneof o { string x = 1; int32 y = 2; } }"), &["ONEOF_FIELD_REMOVED"]),
        case("oneof field removed", Backward, p3("message M { oneof o { string x = 1; int32 y = 2; } }"), p3("message M { oneof o { string x = 1; } }"), &["ONEOF_FIELD_REMOVED"]),
        // A oneof deleted with all its members is one compatible ONEOF_REMOVED upstream
        // (MessageSchemaDiff: "a complete deletion, which is treated as backward compatible").
        case("oneof removed with its fields", Backward, p3("message M { string a = 1; oneof o { string x = 2; } }"), p3("message M { string a = 1; }"), &[]),
        case("oneof removed, one member kept", Backward, p3("message M { oneof o { string x = 1; int32 y = 2; } }"), p3("message M { string x = 1; }"), &["ONEOF_FIELD_REMOVED"]),
        case("oneof field moved to top level", Backward, p3("message M { oneof o { string x = 1; int32 y = 2; } }"), p3("message M { string x = 1; oneof o { int32 y = 2; } }"), &[]),
        case("oneof field moved to top level full", Full, p3("message M { oneof o { string x = 1; int32 y = 2; } }"), p3("message M { string x = 1; oneof o { int32 y = 2; } }"), &["FIELD_MOVED_TO_EXISTING_ONEOF"]),
        case("oneof dissolved", Full, p3("message M { oneof o { string x = 1; } }"), p3("message M { string x = 1; }"), &[]),
        case("one field moved to new oneof", Full, base.clone(), p3("message M { oneof o { string a = 1; } int32 b = 2; }"), &[]),
        case("two fields moved to new oneof", Backward, base.clone(), p3("message M { oneof o { string a = 1; int32 b = 2; } }"), &["MULTIPLE_FIELDS_MOVED_TO_ONEOF"]),
        case("field moved to existing oneof", Backward, p3("message M { string a = 1; oneof o { int32 b = 2; } }"), p3("message M { oneof o { string a = 1; int32 b = 2; } }"), &["FIELD_MOVED_TO_EXISTING_ONEOF"]),
        case("oneof renamed", Full, p3("message M { oneof o { string x = 1; } }"), p3("message M { oneof p { string x = 1; } }"), &[]),
        case("none accepts anything", CompatibilityLevel::None, base.clone(), p3("message Z { bytes q = 9; }"), &[]),
    ];
    v.push(case(
        "two problems at once",
        Backward,
        p3("message M { int32 a = 1; } message N {}"),
        p3("message M { string a = 1; }"),
        &["FIELD_SCALAR_KIND_CHANGED", "MESSAGE_REMOVED"],
    ));
    v
}

#[test]
fn protobuf_cases() {
    let cases = cases();
    assert!(cases.len() >= 50, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let (compatible, found) = verdict(c.mode, &[&c.previous], &c.candidate);
        if found != c.expect || compatible != c.expect.is_empty() {
            failures.push(format!(
                "{} ({}): expected {:?}, found {:?}",
                c.name, c.mode, c.expect, found
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn compatible_changes_are_still_named() {
    assert_eq!(
        diff_rules(
            &p3("message A {} message B {}"),
            &p3("message B {} message A {}")
        ),
        vec!["MESSAGE_MOVED"]
    );
    assert_eq!(
        diff_rules(
            &p3("message M { string a = 1; }"),
            &p3("message M { string b = 1; int32 c = 2; }")
        ),
        vec!["FIELD_ADDED", "FIELD_NAME_CHANGED"]
    );
    assert_eq!(
        diff_rules(
            &p3("message M { oneof o { string x = 1; } }"),
            &p3("message M { string x = 1; }")
        ),
        vec!["ONEOF_FIELD_MOVED_TO_TOP_LEVEL", "ONEOF_REMOVED"]
    );
}

#[test]
fn transitive_modes() {
    let v1 = p3("message M { int32 a = 1; }");
    let v2 = p3("message M { }");
    let v3 = p3("message M { string a = 1; }");
    assert_eq!(verdict(Backward, &[&v1, &v2], &v3), (true, vec![]));
    assert_eq!(
        verdict(BackwardTransitive, &[&v1, &v2], &v3),
        (false, vec!["FIELD_SCALAR_KIND_CHANGED"])
    );
    assert_eq!(
        verdict(ForwardTransitive, &[&v1, &v2], &v3),
        (false, vec!["FIELD_SCALAR_KIND_CHANGED"])
    );
    assert_eq!(
        verdict(FullTransitive, &[&v1, &v2], &v3),
        (false, vec!["FIELD_SCALAR_KIND_CHANGED"])
    );
}

#[test]
fn finding_path_is_full_name() {
    let report = check(
        Backward,
        &[input(
            &p3("message UserEvent { int32 action = 3; }"),
            "version 2",
        )],
        &input(&p3("message UserEvent { string action = 3; }"), "candidate"),
    )
    .unwrap();
    assert_eq!(report.findings[0].path, "p.v1.UserEvent.action");
    assert_eq!(report.findings[0].against, "version 2");
}

#[test]
fn imports_from_references() {
    let common = p3("message Device { string platform = 1; }");
    let user = "syntax = \"proto3\"; package p.v1; import \"p/v1/common.proto\"; message U { Device d = 1; }";
    let refs = vec![("p/v1/common.proto".to_string(), common)];
    let prev = input(user, "v1").with_references(refs.clone());
    let cand = input(
        &user.replace("Device d = 1;", "Device d = 1; string x = 2;"),
        "v2",
    )
    .with_references(refs);
    assert!(check(Full, &[prev], &cand).unwrap().compatible);
    // Without the reference the import does not resolve.
    let err = check(Full, &[], &input(user, "user.proto")).unwrap_err();
    assert!(
        matches!(err, schemaflow::SchemaError::ParseProtobufSchema { .. }),
        "{err}"
    );
}

#[test]
fn base64_descriptor_form_is_accepted() {
    // Build the descriptor the way Confluent's Python client does: serialize the file's
    // FileDescriptorProto and base64 it.
    let text = p3("message M { string a = 1; int32 b = 2; }");
    let fdp = protox::file::File::from_source("m.proto", &text)
        .unwrap()
        .file_descriptor_proto()
        .clone();
    let b64 = base64::engine::general_purpose::STANDARD.encode(fdp.encode_to_vec());
    let cand = p3("message M { string a = 1; string b = 2; }");
    let report = check(
        Backward,
        &[input(&b64, "version 1")],
        &input(&cand, "candidate"),
    )
    .unwrap();
    assert_eq!(
        report
            .findings
            .iter()
            .map(|f| f.rule.id())
            .collect::<Vec<_>>(),
        vec!["FIELD_SCALAR_KIND_CHANGED"]
    );
    assert!(
        check(Full, &[input(&text, "v1")], &input(&b64, "v2"))
            .unwrap()
            .compatible
    );
}

#[test]
fn garbage_is_a_parse_error() {
    for bad in [
        "message {",
        "aGVsbG8gd29ybGQ=",
        "syntax = \"proto3\"; import \"nowhere.proto\";",
        // What protoc rejects is an error, never a difference.
        "syntax = \"proto3\"; message M { string a = 0; }",
        "syntax = \"proto3\"; message M { string a = 1; int32 b = 1; }",
        "syntax = \"proto3\"; message M { reserved 1; string a = 1; }",
        "syntax = \"proto3\"; message M { string a = 19000; }",
        "syntax = \"proto3\"; message M { Missing a = 1; }",
    ] {
        let r = check(Backward, &[], &input(bad, "bad.proto"));
        assert!(
            matches!(r, Err(schemaflow::SchemaError::ParseProtobufSchema { .. })),
            "{bad:?}: {r:?}"
        );
    }
}

#[test]
fn repo_schemas_evolution_is_compatible_backward() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("proto");
    let common = std::fs::read_to_string(root.join("events/v1/common.proto")).unwrap();
    let v1 = std::fs::read_to_string(root.join("events/v1/user_event.proto")).unwrap();
    let v2 = std::fs::read_to_string(root.join("evolution/events/v1/user_event.proto")).unwrap();
    let refs = vec![("events/v1/common.proto".to_string(), common)];
    let report = check(
        Backward,
        &[input(&v1, "events/v1/user_event.proto").with_references(refs.clone())],
        &input(&v2, "evolution/events/v1/user_event.proto").with_references(refs),
    )
    .unwrap();
    assert!(report.compatible, "{:?}", report.messages());
}

/// `main` with its references, for the cases where a message lives in an import.
fn with_refs(main: &str, refs: &[(&str, &str)], label: &str) -> SchemaInput {
    input(main, label).with_references(
        refs.iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect(),
    )
}

/// Upstream "Detect import change with different remote package name" and "... nested name":
/// the same message, by its name relative to its package, imported from another file and
/// package, is no difference.
#[test]
fn same_message_from_another_package_is_no_difference() {
    for (otype, utype, nested) in [
        ("dom.Home", "dom2.Home", false),
        ("dom.outer.Home", "dom2.outer.Home", true),
    ] {
        let def = |pkg: &str| {
            let home = "message Home { int32 device_id = 1; bool enabled = 2; }";
            let body = if nested {
                format!("message outer {{ {home} }}")
            } else {
                home.to_string()
            };
            format!("syntax = \"proto3\"; package {pkg}; {body}")
        };
        let main = |import: &str, ty: &str| {
            format!("syntax = \"proto3\"; import \"{import}\"; message M {{ {ty} h = 1; }}")
        };
        let (d1, d2) = (def("dom"), def("dom2"));
        let prev = with_refs(&main("a.proto", otype), &[("a.proto", &d1)], "v1");
        let cand = with_refs(&main("b.proto", utype), &[("b.proto", &d2)], "v2");
        let p = ParsedSchema::parse(&prev).unwrap();
        let c = ParsedSchema::parse(&cand).unwrap();
        for dir in [Direction::Backward, Direction::Forward] {
            assert_eq!(differences(dir, &p, &c), vec![], "{otype} -> {utype} {dir}");
        }
    }
}

/// An imported message reached through two fields is reported once, and a change in a
/// message the import itself imports is found through the chain.
#[test]
fn imported_definitions_are_compared_through_chains() {
    let leaf =
        |ty: &str| format!("syntax = \"proto3\"; package lib; message Leaf {{ {ty} v = 1; }}");
    let mid = "syntax = \"proto3\"; package lib; import \"lib/leaf.proto\"; message Mid { Leaf leaf = 1; }";
    let main = "syntax = \"proto3\"; package app; import \"lib/mid.proto\"; message M { lib.Mid a = 1; lib.Mid b = 2; }";
    let (l1, l2) = (leaf("int32"), leaf("string"));
    let prev = with_refs(
        main,
        &[("lib/leaf.proto", &l1), ("lib/mid.proto", mid)],
        "v1",
    );
    let cand = with_refs(
        main,
        &[("lib/leaf.proto", &l2), ("lib/mid.proto", mid)],
        "v2",
    );
    let p = ParsedSchema::parse(&prev).unwrap();
    let c = ParsedSchema::parse(&cand).unwrap();
    let found: Vec<(String, String)> = differences(Direction::Backward, &p, &c)
        .into_iter()
        .map(|d| (d.rule.to_string(), d.path))
        .collect();
    let want: Vec<(String, String)> = [
        ("FIELD_SCALAR_KIND_CHANGED", "lib.Leaf.v"),
        ("FIELD_NAMED_TYPE_CHANGED", "lib.Mid.leaf"),
        ("FIELD_NAMED_TYPE_CHANGED", "app.M.a"),
        ("FIELD_NAMED_TYPE_CHANGED", "app.M.b"),
    ]
    .iter()
    .map(|(r, p)| (r.to_string(), p.to_string()))
    .collect();
    assert_eq!(found, want);
    assert!(!check(Backward, &[prev], &cand).unwrap().compatible);
}

/// Cases of Confluent's `SchemaDiffTest.checkProtobufSchemaCompatibility`
/// (protobuf-provider/src/test/resources/diff-schema-examples.json at commit
/// 1b51f24596e6dad2b21cb7917a224ac17f9c2f2c, by description): every
/// difference (compatible ones too, in upstream's order-free form) and the verdict.
#[test]
fn upstream_diff_schema_examples() {
    let s = |body: &str| format!("syntax = \"proto3\";\n{body}");
    let status = "message Status { string test_string = 1; }";
    let cases: Vec<(&str, String, String, Vec<&str>, bool)> = vec![
        (
            "Detect change to name qualification",
            s(&format!("message TestMessage {{ string test_string = 1; Status test_int = 2; {status} }}")),
            s(&format!("message TestMessage {{ string test_string = 1; .TestMessage.Status test_int = 2; {status} }}")),
            vec![],
            true,
        ),
        (
            "Detect change to name qualification with package",
            s(&format!("package foo; message TestMessage {{ string test_string = 1; Status test_int = 2; {status} }}")),
            s(&format!("package foo; message TestMessage {{ string test_string = 1; .foo.TestMessage.Status test_int = 2; {status} }}")),
            vec![],
            true,
        ),
        (
            "Detect package change",
            s(&format!("package foo; message TestMessage {{ string test_string = 1; .foo.TestMessage.Status test_int = 2; {status} }}")),
            s(&format!("package bar; message TestMessage {{ string test_string = 1; .bar.TestMessage.Status test_int = 2; {status} }}")),
            vec!["PACKAGE_CHANGED"],
            false,
        ),
        (
            "Detect changed field number",
            s("message TestMessage { string test_string = 1; }"),
            s("message TestMessage { string test_string = 2; }"),
            vec!["FIELD_ADDED", "FIELD_REMOVED"],
            true,
        ),
        (
            "Detect field number type to message with same name as enum",
            s("message TestMessage { string test_string = 1; int32 test_int = 2; }"),
            s(&format!("message TestMessage {{ string test_string = 1; .TestMessage.Status test_int = 2; {status} }} enum Status {{ ACTIVE = 0; INACTIVE = 1; }}")),
            vec!["ENUM_ADDED", "FIELD_KIND_CHANGED", "MESSAGE_ADDED"],
            false,
        ),
        (
            "Detect compatible name qualification in map",
            s(&format!("message TestMessage {{ string test_string = 1; map<string, Status> test_map = 2; {status} }}")),
            s(&format!("message TestMessage {{ string test_string = 1; map<string, TestMessage.Status> test_map = 2; {status} }}")),
            vec![],
            true,
        ),
        (
            "Detect incompatible field type change (map)",
            s("message TestMessage { string test_string = 1; map<string, int32> test_map_int = 2; }"),
            s("message TestMessage { string test_string = 1; map<string, string> test_map_string = 2; }"),
            vec!["FIELD_NAME_CHANGED", "FIELD_SCALAR_KIND_CHANGED"],
            false,
        ),
        (
            "Detect compatible field label change for message",
            s(&format!("message TestMessage {{ string test_string = 1; optional Status test_status = 2; {status} }}")),
            s(&format!("message TestMessage {{ string test_string = 1; repeated Status test_status = 2; {status} }}")),
            vec![],
            true,
        ),
        (
            "Detect compatible message index change",
            s("message TestMessage { string test_string = 1; } message TestMessage2 { string test_string = 1; }"),
            s("message TestMessage2 { string test_string = 1; } message TestMessage { string test_string = 1; }"),
            vec!["MESSAGE_MOVED", "MESSAGE_MOVED"],
            true,
        ),
        (
            "Detect incompatible move field to renamed oneof",
            s("message TestMessage { string test_string = 1; oneof new_oneof { string test_string2 = 2; string test_string3 = 3; } }"),
            s("message TestMessage { oneof new_oneof_2 { string test_string = 1; string test_string2 = 2; string test_string3 = 3; } }"),
            vec!["FIELD_MOVED_TO_EXISTING_ONEOF", "ONEOF_ADDED", "ONEOF_REMOVED"],
            false,
        ),
        (
            "Detect compatible move field to oneof",
            s("message TestMessage { string test_string = 1; string test_string2 = 2; }"),
            s("message TestMessage { string test_string = 1; oneof new_oneof { string test_string2 = 2; } }"),
            vec!["ONEOF_ADDED"],
            true,
        ),
    ];
    let mut failures = Vec::new();
    for (description, original, update, want, compatible) in cases {
        let o = ParsedSchema::parse(&input(&original, "original")).unwrap();
        let u = ParsedSchema::parse(&input(&update, "update")).unwrap();
        let mut found: Vec<&str> = differences(Direction::Backward, &o, &u)
            .iter()
            .map(|d| d.rule.id())
            .collect();
        found.sort();
        let verdict = check(
            Backward,
            &[input(&original, "original")],
            &input(&update, "update"),
        )
        .unwrap()
        .compatible;
        if found != want || verdict != compatible {
            failures.push(format!(
                "{description}: found {found:?} (compatible {verdict}), expected {want:?} (compatible {compatible})"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Referenced definitions are compared once per pair: a chain of imported messages each
/// naming the next twice (2^depth paths) is checked by comparing each pair of messages once —
/// counted, not timed (the time is in benches/compat.rs) — and still finds the change at its
/// end.
#[test]
fn shared_imported_definitions_cost_linear_time() {
    let (v1, v2) = (
        shared_chain(40, "int32", "v1"),
        shared_chain(40, "string", "v2"),
    );
    let report = check(Backward, std::slice::from_ref(&v1), &v2).unwrap();
    assert!(!report.compatible);
    assert!(report
        .findings
        .iter()
        .any(|f| f.rule == "FIELD_SCALAR_KIND_CHANGED" && f.path == "lib.N40.v"));
    // The fields of M and of each N0..=N<depth> compared once each: depth + 2 comparisons,
    // where a walk along every path would make 2^depth.
    let comparisons = |depth: usize| {
        let parse = |leaf: &str, label: &str| {
            ProtoCompatSchema::parse(&shared_chain(depth, leaf, label)).unwrap()
        };
        field_comparisons(&parse("int32", "v1"), &parse("string", "v2"))
    };
    for depth in [1, 10, 40] {
        assert_eq!(comparisons(depth), depth + 2, "depth {depth}");
    }
}

/// A main file whose message M names `lib.N0`, and lib.proto's chain N0 → … → N<depth>, each
/// naming the next twice, N<depth> holding one field of `leaf_type`.
fn shared_chain(depth: usize, leaf_type: &str, label: &str) -> SchemaInput {
    let mut lib = String::from("syntax = \"proto3\"; package lib;\n");
    for i in 0..depth {
        lib.push_str(&format!(
            "message N{i} {{ N{n} a = 1; N{n} b = 2; }}\n",
            n = i + 1
        ));
    }
    lib.push_str(&format!("message N{depth} {{ {leaf_type} v = 1; }}\n"));
    let main =
        "syntax = \"proto3\"; package app; import \"lib.proto\"; message M { lib.N0 n = 1; }";
    with_refs(main, &[("lib.proto", &lib)], label)
}
