//! Avro compatibility cases: (previous, candidate, mode) with the verdict the registry gives,
//! drawn from the Avro specification's resolution rules and the registry's documentation.

use schemaflow::compat::{check, CompatibilityLevel, SchemaInput};
use schemaflow::SchemaType;

use CompatibilityLevel::*;

/// A record `R` with these fields (JSON array body).
fn rec(fields: &str) -> String {
    format!(r#"{{"type":"record","name":"R","namespace":"ns","fields":[{fields}]}}"#)
}

/// A record `R` with one field `f` of this type.
fn one(ty: &str) -> String {
    rec(&format!(r#"{{"name":"f","type":{ty}}}"#))
}

fn input(text: &str, label: &str) -> SchemaInput {
    SchemaInput::new(SchemaType::Avro, text, label)
}

/// Check and return the rule ids found (sorted, deduplicated).
fn rules(
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

struct Case {
    name: &'static str,
    mode: CompatibilityLevel,
    previous: Vec<String>,
    candidate: String,
    /// Expected incompatible rules; empty = compatible.
    expect: &'static [&'static str],
}

fn case(
    name: &'static str,
    mode: CompatibilityLevel,
    prev: String,
    cand: String,
    expect: &'static [&'static str],
) -> Case {
    Case {
        name,
        mode,
        previous: vec![prev],
        candidate: cand,
        expect,
    }
}

fn cases() -> Vec<Case> {
    let s = |f: &str| one(f);
    let base = rec(r#"{"name":"a","type":"string"}"#);
    let with_b_default =
        rec(r#"{"name":"a","type":"string"},{"name":"b","type":"int","default":0}"#);
    let with_b = rec(r#"{"name":"a","type":"string"},{"name":"b","type":"int"}"#);
    let enum_abc = one(r#"{"type":"enum","name":"E","symbols":["A","B","C"]}"#);
    let enum_ab = one(r#"{"type":"enum","name":"E","symbols":["A","B"]}"#);
    let enum_ab_def = one(r#"{"type":"enum","name":"E","symbols":["A","B"],"default":"A"}"#);
    let fixed4 = one(r#"{"type":"fixed","name":"F","size":4}"#);
    let fixed8 = one(r#"{"type":"fixed","name":"F","size":8}"#);
    let opt_str = one(r#"["null","string"]"#);
    let list = rec(
        r#"{"name":"value","type":"long"},{"name":"next","type":["null","List"],"default":null}"#,
    )
    .replace("\"R\"", "\"List\"");
    let list_extra = rec(r#"{"name":"value","type":"long"},{"name":"next","type":["null","List"],"default":null},{"name":"tag","type":"string","default":""}"#)
        .replace("\"R\"", "\"List\"");
    let list_nodefault = rec(r#"{"name":"value","type":"long"},{"name":"next","type":["null","List"],"default":null},{"name":"tag","type":"string"}"#)
        .replace("\"R\"", "\"List\"");
    vec![
        // Promotions (writer → reader), BACKWARD: candidate reads previous.
        case("int→long", Backward, s(r#""int""#), s(r#""long""#), &[]),
        case("int→float", Backward, s(r#""int""#), s(r#""float""#), &[]),
        case("int→double", Backward, s(r#""int""#), s(r#""double""#), &[]),
        case("long→float", Backward, s(r#""long""#), s(r#""float""#), &[]),
        case(
            "long→double",
            Backward,
            s(r#""long""#),
            s(r#""double""#),
            &[],
        ),
        case(
            "float→double",
            Backward,
            s(r#""float""#),
            s(r#""double""#),
            &[],
        ),
        case(
            "string→bytes",
            Backward,
            s(r#""string""#),
            s(r#""bytes""#),
            &[],
        ),
        case(
            "bytes→string",
            Backward,
            s(r#""bytes""#),
            s(r#""string""#),
            &[],
        ),
        case(
            "long→int narrows",
            Backward,
            s(r#""long""#),
            s(r#""int""#),
            &["TYPE_MISMATCH"],
        ),
        case(
            "double→float narrows",
            Backward,
            s(r#""double""#),
            s(r#""float""#),
            &["TYPE_MISMATCH"],
        ),
        case(
            "float→long",
            Backward,
            s(r#""float""#),
            s(r#""long""#),
            &["TYPE_MISMATCH"],
        ),
        case(
            "int→string",
            Backward,
            s(r#""int""#),
            s(r#""string""#),
            &["TYPE_MISMATCH"],
        ),
        case(
            "boolean→int",
            Backward,
            s(r#""boolean""#),
            s(r#""int""#),
            &["TYPE_MISMATCH"],
        ),
        case(
            "int→long forward fails",
            Forward,
            s(r#""int""#),
            s(r#""long""#),
            &["TYPE_MISMATCH"],
        ),
        case(
            "long→int forward ok",
            Forward,
            s(r#""long""#),
            s(r#""int""#),
            &[],
        ),
        case(
            "int→long full fails",
            Full,
            s(r#""int""#),
            s(r#""long""#),
            &["TYPE_MISMATCH"],
        ),
        case(
            "string↔bytes full ok",
            Full,
            s(r#""string""#),
            s(r#""bytes""#),
            &[],
        ),
        case(
            "null→string",
            Backward,
            s(r#""null""#),
            s(r#""string""#),
            &["TYPE_MISMATCH"],
        ),
        // Fields and defaults.
        case(
            "add field with default backward",
            Backward,
            base.clone(),
            with_b_default.clone(),
            &[],
        ),
        case(
            "add field without default backward",
            Backward,
            base.clone(),
            with_b.clone(),
            &["READER_FIELD_MISSING_DEFAULT_VALUE"],
        ),
        case(
            "add field without default forward",
            Forward,
            base.clone(),
            with_b.clone(),
            &[],
        ),
        case(
            "add field with default full",
            Full,
            base.clone(),
            with_b_default.clone(),
            &[],
        ),
        case(
            "add field without default full",
            Full,
            base.clone(),
            with_b.clone(),
            &["READER_FIELD_MISSING_DEFAULT_VALUE"],
        ),
        case(
            "remove field backward",
            Backward,
            with_b.clone(),
            base.clone(),
            &[],
        ),
        case(
            "remove field without default forward",
            Forward,
            with_b.clone(),
            base.clone(),
            &["READER_FIELD_MISSING_DEFAULT_VALUE"],
        ),
        case(
            "remove field with default forward",
            Forward,
            with_b_default.clone(),
            base.clone(),
            &[],
        ),
        case(
            "remove field with default full",
            Full,
            with_b_default.clone(),
            base.clone(),
            &[],
        ),
        case(
            "rename field without alias",
            Backward,
            base.clone(),
            rec(r#"{"name":"z","type":"string"}"#),
            &["READER_FIELD_MISSING_DEFAULT_VALUE"],
        ),
        case(
            "rename field with alias",
            Backward,
            base.clone(),
            rec(r#"{"name":"z","aliases":["a"],"type":"string"}"#),
            &[],
        ),
        case(
            "rename field with alias forward fails",
            Forward,
            base.clone(),
            rec(r#"{"name":"z","aliases":["a"],"type":"string"}"#),
            &["READER_FIELD_MISSING_DEFAULT_VALUE"],
        ),
        case(
            "reorder fields",
            Full,
            rec(r#"{"name":"a","type":"string"},{"name":"b","type":"int"}"#),
            rec(r#"{"name":"b","type":"int"},{"name":"a","type":"string"}"#),
            &[],
        ),
        case(
            "optional field added with null default",
            Full,
            base.clone(),
            rec(
                r#"{"name":"a","type":"string"},{"name":"o","type":["null","string"],"default":null}"#,
            ),
            &[],
        ),
        case(
            "field type change in nested record",
            Backward,
            one(r#"{"type":"record","name":"In","fields":[{"name":"x","type":"string"}]}"#),
            one(r#"{"type":"record","name":"In","fields":[{"name":"x","type":"int"}]}"#),
            &["TYPE_MISMATCH"],
        ),
        case(
            "nested record new field without default",
            Backward,
            one(r#"{"type":"record","name":"In","fields":[]}"#),
            one(r#"{"type":"record","name":"In","fields":[{"name":"x","type":"int"}]}"#),
            &["READER_FIELD_MISSING_DEFAULT_VALUE"],
        ),
        // Enums.
        case(
            "enum symbol added backward",
            Backward,
            enum_ab.clone(),
            enum_abc.clone(),
            &[],
        ),
        case(
            "enum symbol added forward",
            Forward,
            enum_ab.clone(),
            enum_abc.clone(),
            &["MISSING_ENUM_SYMBOLS"],
        ),
        case(
            "enum symbol removed backward",
            Backward,
            enum_abc.clone(),
            enum_ab.clone(),
            &["MISSING_ENUM_SYMBOLS"],
        ),
        case(
            "enum symbol removed, reader default",
            Backward,
            enum_abc.clone(),
            enum_ab_def.clone(),
            &[],
        ),
        case(
            "enum symbol added, old reader has default",
            Forward,
            enum_ab_def.clone(),
            enum_abc.clone().replace(
                r#""symbols":["A","B","C"]"#,
                r#""symbols":["A","B","C"],"default":"A""#,
            ),
            &[],
        ),
        case(
            "enum renamed",
            Backward,
            enum_ab.clone(),
            enum_ab.replace(r#""name":"E""#, r#""name":"E2""#),
            &["NAME_MISMATCH"],
        ),
        case(
            "enum renamed with alias",
            Backward,
            enum_ab.clone(),
            enum_ab.replace(r#""name":"E""#, r#""name":"E2","aliases":["E"]"#),
            &[],
        ),
        case(
            "enum → string",
            Backward,
            enum_ab.clone(),
            s(r#""string""#),
            &["TYPE_MISMATCH"],
        ),
        case(
            "enum full symbol added",
            Full,
            enum_ab.clone(),
            enum_abc.clone(),
            &["MISSING_ENUM_SYMBOLS"],
        ),
        // Fixed.
        case("fixed same", Full, fixed4.clone(), fixed4.clone(), &[]),
        case(
            "fixed size change",
            Backward,
            fixed4.clone(),
            fixed8.clone(),
            &["FIXED_SIZE_MISMATCH"],
        ),
        case(
            "fixed renamed",
            Backward,
            fixed4.clone(),
            fixed4.replace(r#""name":"F""#, r#""name":"G""#),
            &["NAME_MISMATCH"],
        ),
        case(
            "fixed → bytes",
            Backward,
            fixed4.clone(),
            s(r#""bytes""#),
            &["TYPE_MISMATCH"],
        ),
        // Unions.
        case(
            "string → optional string backward",
            Backward,
            s(r#""string""#),
            opt_str.clone(),
            &[],
        ),
        case(
            "string → optional string forward",
            Forward,
            s(r#""string""#),
            opt_str.clone(),
            &["TYPE_MISMATCH"],
        ),
        case(
            "optional string → string backward",
            Backward,
            opt_str.clone(),
            s(r#""string""#),
            &["TYPE_MISMATCH"],
        ),
        case(
            "union branch added backward",
            Backward,
            opt_str.clone(),
            s(r#"["null","string","int"]"#),
            &[],
        ),
        case(
            "union branch added forward",
            Forward,
            opt_str.clone(),
            s(r#"["null","string","int"]"#),
            &["MISSING_UNION_BRANCH"],
        ),
        case(
            "union branch removed backward",
            Backward,
            s(r#"["null","string","int"]"#),
            opt_str.clone(),
            &["MISSING_UNION_BRANCH"],
        ),
        case(
            "union reordered",
            Full,
            opt_str.clone(),
            s(r#"["string","null"]"#),
            &[],
        ),
        case(
            "int → union with long",
            Backward,
            s(r#""int""#),
            s(r#"["null","long"]"#),
            &[],
        ),
        case(
            "int → union without numeric",
            Backward,
            s(r#""int""#),
            s(r#"["null","string"]"#),
            &["MISSING_UNION_BRANCH"],
        ),
        case(
            "union int|long → long",
            Backward,
            s(r#"["int","long"]"#),
            s(r#""long""#),
            &[],
        ),
        case(
            "union int|string → long",
            Backward,
            s(r#"["int","string"]"#),
            s(r#""long""#),
            &["TYPE_MISMATCH"],
        ),
        case(
            "union of records, record added",
            Backward,
            s(r#"[{"type":"record","name":"A","fields":[]}]"#),
            s(
                r#"[{"type":"record","name":"A","fields":[]},{"type":"record","name":"B","fields":[]}]"#,
            ),
            &[],
        ),
        // Arrays and maps.
        case(
            "array items promoted",
            Backward,
            s(r#"{"type":"array","items":"int"}"#),
            s(r#"{"type":"array","items":"long"}"#),
            &[],
        ),
        case(
            "array items narrowed",
            Backward,
            s(r#"{"type":"array","items":"long"}"#),
            s(r#"{"type":"array","items":"int"}"#),
            &["TYPE_MISMATCH"],
        ),
        case(
            "map values promoted",
            Backward,
            s(r#"{"type":"map","values":"float"}"#),
            s(r#"{"type":"map","values":"double"}"#),
            &[],
        ),
        case(
            "map values changed",
            Backward,
            s(r#"{"type":"map","values":"string"}"#),
            s(r#"{"type":"map","values":"int"}"#),
            &["TYPE_MISMATCH"],
        ),
        case(
            "array → map",
            Backward,
            s(r#"{"type":"array","items":"string"}"#),
            s(r#"{"type":"map","values":"string"}"#),
            &["TYPE_MISMATCH"],
        ),
        case(
            "array of records, item field added without default",
            Backward,
            s(r#"{"type":"array","items":{"type":"record","name":"I","fields":[]}}"#),
            s(
                r#"{"type":"array","items":{"type":"record","name":"I","fields":[{"name":"q","type":"int"}]}}"#,
            ),
            &["READER_FIELD_MISSING_DEFAULT_VALUE"],
        ),
        // Records: names.
        case(
            "record renamed",
            Backward,
            base.clone(),
            base.replace(r#""name":"R""#, r#""name":"S""#),
            &["NAME_MISMATCH"],
        ),
        case(
            "record renamed with alias",
            Backward,
            base.clone(),
            base.replace(r#""name":"R""#, r#""name":"S","aliases":["R"]"#),
            &[],
        ),
        case(
            "record namespace changed (unqualified match)",
            Full,
            base.clone(),
            base.replace(r#""namespace":"ns""#, r#""namespace":"other""#),
            &[],
        ),
        // Recursive.
        case("recursive same", Full, list.clone(), list.clone(), &[]),
        case(
            "recursive field with default added",
            Full,
            list.clone(),
            list_extra.clone(),
            &[],
        ),
        case(
            "recursive field without default added",
            Backward,
            list.clone(),
            list_nodefault.clone(),
            &["READER_FIELD_MISSING_DEFAULT_VALUE"],
        ),
        // Logical types compare on their underlying type.
        case(
            "timestamp-millis ↔ long",
            Full,
            s(r#""long""#),
            s(r#"{"type":"long","logicalType":"timestamp-millis"}"#),
            &[],
        ),
        case(
            "date → long promotion",
            Backward,
            s(r#"{"type":"int","logicalType":"date"}"#),
            s(r#""long""#),
            &[],
        ),
        case(
            "decimal bytes ↔ bytes",
            Full,
            s(r#"{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}"#),
            s(r#""bytes""#),
            &[],
        ),
        case(
            "uuid string ↔ string",
            Full,
            s(r#"{"type":"string","logicalType":"uuid"}"#),
            s(r#""string""#),
            &[],
        ),
        // Non-record top-level schemas.
        case(
            "top-level int → long",
            Backward,
            r#""int""#.into(),
            r#""long""#.into(),
            &[],
        ),
        case(
            "top-level string → int",
            Backward,
            r#""string""#.into(),
            r#""int""#.into(),
            &["TYPE_MISMATCH"],
        ),
        case(
            "top-level array promoted",
            Backward,
            r#"{"type":"array","items":"int"}"#.into(),
            r#"{"type":"array","items":"double"}"#.into(),
            &[],
        ),
        case(
            "top-level union branch removed",
            Backward,
            r#"["null","int","string"]"#.into(),
            r#"["null","int"]"#.into(),
            &["MISSING_UNION_BRANCH"],
        ),
        case(
            "top-level enum symbol added forward",
            Forward,
            r#"{"type":"enum","name":"E","symbols":["A"]}"#.into(),
            r#"{"type":"enum","name":"E","symbols":["A","B"]}"#.into(),
            &["MISSING_ENUM_SYMBOLS"],
        ),
        // NONE accepts anything.
        case(
            "none accepts type change",
            CompatibilityLevel::None,
            s(r#""int""#),
            s(r#""string""#),
            &[],
        ),
        // Several findings at once.
        case(
            "two problems",
            Backward,
            rec(
                r#"{"name":"a","type":"string"},{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}}"#,
            ),
            rec(
                r#"{"name":"a","type":"int"},{"name":"e","type":{"type":"enum","name":"E","symbols":["A"]}},{"name":"n","type":"long"}"#,
            ),
            &[
                "MISSING_ENUM_SYMBOLS",
                "READER_FIELD_MISSING_DEFAULT_VALUE",
                "TYPE_MISMATCH",
            ],
        ),
    ]
}

#[test]
fn avro_cases() {
    let cases = cases();
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let prev: Vec<&str> = c.previous.iter().map(String::as_str).collect();
        let (compatible, found) = rules(c.mode, &prev, &c.candidate);
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

// Transitive modes: v1 → v2 → v3 where v3 is compatible with v2 but not with v1.
fn history() -> (String, String, String) {
    let v1 = rec(r#"{"name":"a","type":"string"},{"name":"b","type":"int"}"#);
    let v2 = rec(r#"{"name":"a","type":"string"}"#);
    let v3 = rec(r#"{"name":"a","type":"string"},{"name":"b","type":"string","default":""}"#);
    (v1, v2, v3)
}

#[test]
fn backward_checks_latest_only() {
    let (v1, v2, v3) = history();
    assert_eq!(rules(Backward, &[&v1, &v2], &v3), (true, vec![]));
}

#[test]
fn backward_transitive_checks_all() {
    let (v1, v2, v3) = history();
    assert_eq!(
        rules(BackwardTransitive, &[&v1, &v2], &v3),
        (false, vec!["TYPE_MISMATCH"])
    );
}

#[test]
fn forward_transitive_and_full_transitive() {
    let (v1, v2, v3) = history();
    // v1 (reader) cannot read v3's string b; v2 (reader) can read v3.
    assert_eq!(rules(Forward, &[&v1, &v2], &v3), (true, vec![]));
    assert_eq!(
        rules(ForwardTransitive, &[&v1, &v2], &v3),
        (false, vec!["TYPE_MISMATCH"])
    );
    assert_eq!(rules(Full, &[&v1, &v2], &v3), (true, vec![]));
    assert_eq!(
        rules(FullTransitive, &[&v1, &v2], &v3),
        (false, vec!["TYPE_MISMATCH"])
    );
}

#[test]
fn no_previous_is_compatible() {
    assert_eq!(rules(FullTransitive, &[], &one(r#""int""#)), (true, vec![]));
}

#[test]
fn finding_has_path_direction_and_against() {
    let prev = input(&rec(r#"{"name":"a","type":"string"}"#), "version 7");
    let cand = input(
        &rec(r#"{"name":"a","type":"string"},{"name":"b","type":"int"}"#),
        "candidate",
    );
    let report = check(Full, &[prev], &cand).unwrap();
    assert_eq!(report.findings.len(), 1);
    let f = &report.findings[0];
    assert_eq!(
        (f.rule.id(), f.path.as_str(), f.against.as_str()),
        (
            "READER_FIELD_MISSING_DEFAULT_VALUE",
            "/fields/1",
            "version 7"
        )
    );
    assert_eq!(f.direction, schemaflow::compat::Direction::Backward);
    assert!(
        f.message.contains("'b'") && f.message.contains("default"),
        "{}",
        f.message
    );
    let msgs = report.messages();
    assert!(
        msgs[0].starts_with(
            "READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1 (BACKWARD against version 7)"
        ),
        "{}",
        msgs[0]
    );
}

#[test]
fn type_mismatch_path_points_into_the_field() {
    let report = check(
        Backward,
        &[input(&one(r#"{"type":"array","items":"string"}"#), "v1")],
        &input(&one(r#"{"type":"array","items":"int"}"#), "v2"),
    )
    .unwrap();
    assert_eq!(report.findings[0].path, "/fields/0/type/items");
}

#[test]
fn references_resolve_named_types() {
    let addr = r#"{"type":"record","name":"Address","namespace":"ns","fields":[{"name":"city","type":"string"}]}"#;
    let addr2 = r#"{"type":"record","name":"Address","namespace":"ns","fields":[{"name":"city","type":"string"},{"name":"zip","type":"string"}]}"#;
    let user = rec(r#"{"name":"addr","type":"ns.Address"}"#);
    let prev = input(&user, "v1").with_references(vec![("ns.Address".into(), addr.into())]);
    let cand = input(&user, "v2").with_references(vec![("ns.Address".into(), addr2.into())]);
    let report = check(Backward, &[prev], &cand).unwrap();
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].path, "/fields/0/type/fields/1");
}

#[test]
fn parse_error_is_reported() {
    let err = check(Backward, &[], &input("{not json", "bad.avsc")).unwrap_err();
    assert!(
        matches!(err, schemaflow::SchemaError::ParseAvroSchema { .. }),
        "{err}"
    );
    let err = check(
        Backward,
        &[],
        &input(&rec(r#"{"name":"a","type":"Missing"}"#), "bad.avsc"),
    )
    .unwrap_err();
    assert!(
        matches!(err, schemaflow::SchemaError::ParseAvroSchema { .. }),
        "{err}"
    );
}
