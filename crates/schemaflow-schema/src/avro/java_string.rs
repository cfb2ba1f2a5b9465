//! Confluent's canonical text of an Avro schema: `AvroSchema.canonicalString()` is Avro
//! Java's `Schema.toString(referencedSchemas, false)` (confluentinc/schema-registry,
//! `client/.../avro/AvroSchema.java`), and it is what Confluent's registry stores and serves
//! (`KafkaSchemaRegistry.canonicalizeSchema` sets the schema to it before registering).
//!
//! That is compact JSON in Avro's own order — not the Parsing Canonical Form, which drops
//! docs, defaults and attributes:
//!
//! * a primitive without attributes is its name (`{"type":"int"}` → `"int"`), with attributes
//!   `{"type":…, attributes in the order written}`;
//! * a named type: `type`, `name` (short), `namespace` (only where it differs from the
//!   enclosing one; `""` for no namespace inside one), `doc`, then `fields` (`name`, `type`,
//!   `doc`, `default`, `order` unless ascending, `aliases`, attributes) / `symbols` and
//!   `default` / `size`, then attributes, then `aliases` (relative to its namespace);
//! * a named type already written, or one a reference defines at its top, is its name,
//!   short where its namespace is the enclosing one (`Schema.Name.getQualified`); a type a
//!   reference defines deeper is written out where it is first used (Avro's `Names` only
//!   holds the referenced schemas themselves);
//! * `array` (`items`), `map` (`values`), then attributes; a union is the list of its branches.
//!
//! `normalize=true` stores the canonical text of `AvroSchemaUtils.toNormalizedString`, which
//! re-reads as the same schema with attributes, aliases and default values' keys sorted
//! (a logical type's `logicalType`, `precision`, `scale` first) and a named type's empty
//! `doc` dropped; [`java_string`] with `normalize` writes that directly.

use std::collections::{HashMap, HashSet};

use super::ordered_json::{write_string, Json};

/// Attributes a named, array, map or primitive schema reserves (Avro's
/// `Schema.SCHEMA_RESERVED`): not written back as custom attributes.
const SCHEMA_RESERVED: [&str; 10] = [
    "doc",
    "fields",
    "items",
    "name",
    "namespace",
    "size",
    "symbols",
    "values",
    "type",
    "aliases",
];

/// What a field reserves (`Schema.FIELD_RESERVED`).
const FIELD_RESERVED: [&str; 6] = ["default", "doc", "name", "order", "type", "aliases"];

const PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

/// Logical types Avro Java knows (`LogicalTypes`): only they are written first when
/// normalizing (`AvroSchemaUtils.writeLogicalType`).
const LOGICAL_TYPES: [&str; 12] = [
    "decimal",
    "big-decimal",
    "uuid",
    "date",
    "time-millis",
    "time-micros",
    "timestamp-millis",
    "timestamp-micros",
    "timestamp-nanos",
    "local-timestamp-millis",
    "local-timestamp-micros",
    "local-timestamp-nanos",
];

/// Avro Java's `Schema.toString()` of `text` with `references` (`(name, text)`, every
/// transitive one) known by name, as Confluent stores it; with `normalize`, the form
/// Confluent stores for `normalize=true`. `None` when the text has a shape Avro Java would not
/// parse (the caller keeps the text as given).
pub(crate) fn java_string(
    text: &str,
    references: &[(String, String)],
    normalize: bool,
) -> Option<String> {
    let root = Json::parse(text)?;
    let refs: Vec<Json> = references
        .iter()
        .filter_map(|(_, t)| Json::parse(t))
        .collect();
    let mut w = Writer {
        known: HashSet::new(),
        defs: HashMap::new(),
        normalize,
        out: String::with_capacity(text.len()),
    };
    for r in &refs {
        if let Some(full) = top_level_name(r) {
            w.known.insert(full);
        }
        collect_definitions(r, None, &mut w.defs);
    }
    w.schema(&root, None)?;
    Some(w.out)
}

struct Writer<'a> {
    /// Full names written so far or defined at a reference's top: written as names.
    known: HashSet<String>,
    /// Named types the references define, by full name, with the namespace in effect where
    /// each is defined: written out where first used when not `known`.
    defs: HashMap<String, (&'a Json, Option<String>)>,
    normalize: bool,
    out: String,
}

impl<'a> Writer<'a> {
    fn schema(&mut self, node: &'a Json, space: Option<&str>) -> Option<()> {
        match node {
            Json::String(t) if PRIMITIVES.contains(&t.as_str()) => {
                write_string(t, &mut self.out);
                Some(())
            }
            Json::String(t) => self.name_ref(t, space),
            Json::Array(branches) => {
                self.out.push('[');
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.schema(b, space)?;
                }
                self.out.push(']');
                Some(())
            }
            Json::Object(_) => {
                let t = node.get("type")?.as_str()?;
                match t {
                    "record" | "error" | "enum" | "fixed" => self.named(node, t, space),
                    "array" | "map" => {
                        let key = if t == "array" { "items" } else { "values" };
                        self.out.push_str("{\"type\":");
                        write_string(t, &mut self.out);
                        self.out.push_str(",\"");
                        self.out.push_str(key);
                        self.out.push_str("\":");
                        self.schema(node.get(key)?, space)?;
                        self.props(node, &SCHEMA_RESERVED);
                        self.out.push('}');
                        Some(())
                    }
                    _ if PRIMITIVES.contains(&t) => {
                        if attributes(node, &SCHEMA_RESERVED).next().is_none() {
                            write_string(t, &mut self.out);
                        } else {
                            self.out.push_str("{\"type\":");
                            write_string(t, &mut self.out);
                            self.props(node, &SCHEMA_RESERVED);
                            self.out.push('}');
                        }
                        Some(())
                    }
                    // `{"type": "Name"}`: Avro returns the named type itself.
                    _ => self.name_ref(t, space),
                }
            }
            _ => None,
        }
    }

    /// A use of a named type by name (`Schema.Names.get`: in the enclosing namespace first,
    /// then as written).
    fn name_ref(&mut self, name: &str, space: Option<&str>) -> Option<()> {
        let candidates = match (name.contains('.'), space) {
            (false, Some(ns)) => vec![format!("{ns}.{name}"), name.to_owned()],
            _ => vec![name.to_owned()],
        };
        if let Some(full) = candidates.iter().find(|c| self.known.contains(*c)) {
            write_string(&qualified(full, space), &mut self.out);
            return Some(());
        }
        let (def, def_space) = candidates.iter().find_map(|c| self.defs.get(c).cloned())?;
        self.schema(def, def_space.as_deref())
    }

    fn named(&mut self, node: &'a Json, t: &str, space: Option<&str>) -> Option<()> {
        let (ns, short) = name_of(node, space)?;
        // `toNormalizedString` writes full names and drops namespaces, so a type with no
        // namespace inside one that has one is read back into the enclosing namespace.
        let ns = match ns {
            None if self.normalize => space.map(str::to_owned),
            ns => ns,
        };
        let full = match &ns {
            Some(ns) => format!("{ns}.{short}"),
            None => short.clone(),
        };
        if self.known.contains(&full) {
            write_string(&qualified(&full, space), &mut self.out);
            return Some(());
        }
        self.known.insert(full);
        self.out.push_str("{\"type\":");
        write_string(t, &mut self.out);
        self.out.push_str(",\"name\":");
        write_string(&short, &mut self.out);
        match (&ns, space) {
            (Some(n), s) if Some(n.as_str()) != s => {
                self.out.push_str(",\"namespace\":");
                write_string(n, &mut self.out);
            }
            (None, Some(_)) => self.out.push_str(",\"namespace\":\"\""),
            _ => {}
        }
        if let Some(doc) = node.get("doc").and_then(Json::as_str) {
            if !(self.normalize && doc.is_empty()) {
                self.out.push_str(",\"doc\":");
                write_string(doc, &mut self.out);
            }
        }
        let mut reserved: Vec<&str> = SCHEMA_RESERVED.to_vec();
        match t {
            "record" | "error" => {
                self.out.push_str(",\"fields\":[");
                let fields = match node.get("fields")? {
                    Json::Array(f) => f,
                    _ => return None,
                };
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.field(f, ns.as_deref())?;
                }
                self.out.push(']');
            }
            "enum" => {
                self.out.push_str(",\"symbols\":");
                node.get("symbols")?.write(&mut self.out);
                if let Some(d) = node.get("default").and_then(Json::as_str) {
                    self.out.push_str(",\"default\":");
                    write_string(d, &mut self.out);
                }
                reserved.push("default");
            }
            _ => {
                self.out.push_str(",\"size\":");
                match node.get("size")? {
                    n @ Json::Number(_) => n.write(&mut self.out),
                    _ => return None,
                }
            }
        }
        self.props(node, &reserved);
        if let Some(aliases) = node.get("aliases") {
            let mut names: Vec<String> = strings(aliases)?
                .into_iter()
                .map(|a| match (a.rsplit_once('.'), &ns) {
                    (Some(_), _) => a.to_owned(),
                    (None, Some(ns)) => format!("{ns}.{a}"),
                    (None, None) => a.to_owned(),
                })
                .collect();
            if self.normalize {
                names.sort();
            }
            names.dedup();
            if !names.is_empty() {
                self.out.push_str(",\"aliases\":[");
                for (i, a) in names.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    write_string(&qualified(a, ns.as_deref()), &mut self.out);
                }
                self.out.push(']');
            }
        }
        self.out.push('}');
        Some(())
    }

    fn field(&mut self, f: &'a Json, space: Option<&str>) -> Option<()> {
        let name = f.get("name")?.as_str()?;
        let ty = f.get("type")?;
        self.out.push_str("{\"name\":");
        write_string(name, &mut self.out);
        self.out.push_str(",\"type\":");
        self.schema(ty, space)?;
        if let Some(doc) = f.get("doc").and_then(Json::as_str) {
            self.out.push_str(",\"doc\":");
            write_string(doc, &mut self.out);
        }
        if let Some(default) = f.get("default") {
            self.out.push_str(",\"default\":");
            if self.normalize {
                normalized_default(default, ty).write(&mut self.out);
            } else {
                default.write(&mut self.out);
            }
        }
        if let Some(order) = f.get("order").and_then(Json::as_str) {
            let order = order.to_ascii_lowercase();
            if order != "ascending" {
                self.out.push_str(",\"order\":");
                write_string(&order, &mut self.out);
            }
        }
        if let Some(aliases) = f.get("aliases") {
            let mut names = strings(aliases)?;
            if self.normalize {
                names.sort();
            }
            names.dedup();
            if !names.is_empty() {
                self.out.push_str(",\"aliases\":[");
                for (i, a) in names.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    write_string(a, &mut self.out);
                }
                self.out.push(']');
            }
        }
        self.props(f, &FIELD_RESERVED);
        self.out.push('}');
        Some(())
    }

    /// The custom attributes of `node`: in the order written, or, normalized, sorted with a
    /// known logical type's own attributes first.
    fn props(&mut self, node: &Json, reserved: &[&str]) {
        let mut props: Vec<(&str, Json)> = attributes(node, reserved)
            .map(|(k, v)| {
                let v = if self.normalize {
                    v.sorted()
                } else {
                    v.clone()
                };
                (k, v)
            })
            .collect();
        if self.normalize {
            props.sort_by(|a, b| a.0.cmp(b.0));
            let logical = node
                .get("logicalType")
                .and_then(Json::as_str)
                .filter(|l| LOGICAL_TYPES.contains(l));
            if let Some(l) = logical {
                let mut first = vec!["logicalType"];
                if l == "decimal" {
                    first.push("precision");
                    let zero_scale =
                        matches!(node.get("scale"), Some(Json::Number(n)) if n.as_i64() == Some(0));
                    if !zero_scale {
                        first.push("scale");
                    }
                }
                let mut ordered: Vec<(&str, Json)> = Vec::with_capacity(props.len());
                for key in first {
                    if let Some(i) = props.iter().position(|(k, _)| *k == key) {
                        ordered.push(props.remove(i));
                    }
                }
                ordered.append(&mut props);
                props = ordered;
            }
        }
        for (k, v) in props {
            self.out.push(',');
            write_string(k, &mut self.out);
            self.out.push(':');
            v.write(&mut self.out);
        }
    }
}

/// `(k, v)` of `node`'s entries that are not `reserved`, in order.
fn attributes<'n>(
    node: &'n Json,
    reserved: &'n [&'n str],
) -> impl Iterator<Item = (&'n str, &'n Json)> + 'n {
    let entries: &[(String, Json)] = match node {
        Json::Object(e) => e,
        _ => &[],
    };
    entries
        .iter()
        .filter(move |(k, _)| !reserved.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v))
}

/// The strings of a JSON array of strings.
fn strings(v: &Json) -> Option<Vec<&str>> {
    match v {
        Json::Array(items) => items.iter().map(Json::as_str).collect(),
        _ => None,
    }
}

/// `(namespace, short name)` of a named type defined in `space` (`Schema.Name`: a dotted
/// name carries its namespace; otherwise the `namespace` attribute when it is text, else the
/// enclosing one; `""` is no namespace).
fn name_of(node: &Json, space: Option<&str>) -> Option<(Option<String>, String)> {
    let name = node.get("name")?.as_str()?;
    let (ns, short) = match name.rsplit_once('.') {
        Some((ns, short)) => (Some(ns.to_owned()), short.to_owned()),
        None => {
            let ns = match node.get("namespace").and_then(Json::as_str) {
                Some(n) => Some(n.to_owned()),
                None => space.map(str::to_owned),
            };
            (ns, name.to_owned())
        }
    };
    Some((ns.filter(|n| !n.is_empty()), short))
}

/// `Schema.Name.getQualified(space)`: the short name where its namespace is `space` (or it
/// has none), else the full name.
fn qualified(full: &str, space: Option<&str>) -> String {
    match full.rsplit_once('.') {
        Some((ns, short)) if Some(ns) == space => short.to_owned(),
        Some(_) => full.to_owned(),
        None => full.to_owned(),
    }
}

/// The full name a schema defines at its top, if it is a named type.
fn top_level_name(node: &Json) -> Option<String> {
    let t = node.get("type")?.as_str()?;
    if !matches!(t, "record" | "error" | "enum" | "fixed") {
        return None;
    }
    let (ns, short) = name_of(node, None)?;
    Some(match ns {
        Some(ns) => format!("{ns}.{short}"),
        None => short,
    })
}

/// Every named type `node` defines, by full name, with the namespace in effect around it.
fn collect_definitions<'a>(
    node: &'a Json,
    space: Option<&str>,
    out: &mut HashMap<String, (&'a Json, Option<String>)>,
) {
    match node {
        Json::Array(branches) => {
            for b in branches {
                collect_definitions(b, space, out);
            }
        }
        Json::Object(_) => {
            let t = node.get("type");
            match t.and_then(Json::as_str) {
                Some("record" | "error" | "enum" | "fixed") => {
                    let Some((ns, short)) = name_of(node, space) else {
                        return;
                    };
                    let full = match &ns {
                        Some(ns) => format!("{ns}.{short}"),
                        None => short,
                    };
                    out.entry(full).or_insert((node, space.map(str::to_owned)));
                    if let Some(Json::Array(fields)) = node.get("fields") {
                        for f in fields {
                            if let Some(ty) = f.get("type") {
                                collect_definitions(ty, ns.as_deref(), out);
                            }
                        }
                    }
                }
                Some("array") | Some("map") => {
                    for key in ["items", "values"] {
                        if let Some(inner) = node.get(key) {
                            collect_definitions(inner, space, out);
                        }
                    }
                }
                _ => {
                    if let Some(inner @ (Json::Object(_) | Json::Array(_))) = t {
                        collect_definitions(inner, space, out);
                    }
                }
            }
        }
        _ => {}
    }
}

/// A field's default as `toNormalizedString` writes it: keys sorted, and a whole number
/// where the field (or its union's first branch) is `float` or `double` written as a double
/// (Avro reads the default into a Java `Double`/`Float`).
fn normalized_default(default: &Json, ty: &Json) -> Json {
    let first = match ty {
        Json::Array(branches) => branches.first(),
        other => Some(other),
    };
    let floating = first
        .and_then(|t| t.as_str().or_else(|| t.get("type").and_then(Json::as_str)))
        .is_some_and(|t| t == "float" || t == "double");
    match default {
        Json::Number(n) if floating && (n.is_i64() || n.is_u64()) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| default.clone(), Json::Number),
        other => other.sorted(),
    }
}

/// The expected texts below are what Avro Java 1.12.2's `Schema.toString()` (and, for
/// `normalize`, `toNormalizedString` read back and printed) answers for the same input: each
/// case was run through it.
#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> String {
        java_string(text, &[], false).expect("canonical")
    }

    #[test]
    fn primitives_without_attributes_are_their_names() {
        assert_eq!(canonical(r#"{"type": "string"}"#), r#""string""#);
        assert_eq!(canonical(r#" "int" "#), r#""int""#);
        assert_eq!(
            canonical(r#"{"logicalType": "uuid", "type": "string"}"#),
            r#"{"type":"string","logicalType":"uuid"}"#
        );
    }

    #[test]
    fn records_are_written_in_avro_order_with_attributes_as_written() {
        let text = r#"{
          "fields": [
            {"type": {"type": "long"}, "name": "id", "default": 0, "order": "ascending", "z": 1, "a": 2},
            {"name": "kind", "type": {"name": "Kind", "type": "enum", "symbols": ["A", "B"], "default": "A"}},
            {"name": "tags", "type": {"type": "array", "items": "string"}, "doc": "labels", "order": "DESCENDING"},
            {"name": "again", "type": ["null", "Kind", "shop.Other"], "aliases": ["b", "a"]}
          ],
          "x-owner": "team",
          "aliases": ["shop.Old", "other.Older"],
          "doc": "A user",
          "namespace": "shop",
          "name": "User",
          "type": "record"
        }"#;
        let refs = vec![(
            "shop.Other".to_owned(),
            r#"{"type":"fixed","name":"Other","namespace":"shop","size":2}"#.to_owned(),
        )];
        assert_eq!(
            java_string(text, &refs, false).expect("canonical"),
            concat!(
                r#"{"type":"record","name":"User","namespace":"shop","doc":"A user","fields":["#,
                r#"{"name":"id","type":"long","default":0,"z":1,"a":2},"#,
                r#"{"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A","B"],"default":"A"}},"#,
                r#"{"name":"tags","type":{"type":"array","items":"string"},"doc":"labels","order":"descending"},"#,
                r#"{"name":"again","type":["null","Kind","Other"],"aliases":["b","a"]}],"#,
                r#""x-owner":"team","aliases":["Old","other.Older"]}"#
            )
        );
    }

    #[test]
    fn namespaces_are_written_where_they_change() {
        let text = r#"{"type":"record","name":"a.b.Outer","fields":[
            {"name":"in","type":{"type":"record","name":"Inner","fields":[]}},
            {"name":"out","type":{"type":"record","name":"Other","namespace":"c","fields":[]}},
            {"name":"none","type":{"type":"fixed","name":"F","namespace":"","size":1}},
            {"name":"again","type":"c.Other"}
        ]}"#;
        assert_eq!(
            canonical(text),
            concat!(
                r#"{"type":"record","name":"Outer","namespace":"a.b","fields":["#,
                r#"{"name":"in","type":{"type":"record","name":"Inner","fields":[]}},"#,
                r#"{"name":"out","type":{"type":"record","name":"Other","namespace":"c","fields":[]}},"#,
                r#"{"name":"none","type":{"type":"fixed","name":"F","namespace":"","size":1}},"#,
                r#"{"name":"again","type":"c.Other"}]}"#
            )
        );
    }

    #[test]
    fn canonical_text_is_a_fixed_point() {
        let text = r#"{"type":"record","name":"R","namespace":"n","fields":[{"name":"f","type":{"type":"bytes","scale":2,"logicalType":"decimal","precision":4},"default":"\u0000"}],"b":{"y":1,"x":2}}"#;
        let once = canonical(text);
        assert_eq!(canonical(&once), once);
        let normalized = java_string(text, &[], true).expect("normalized");
        assert_eq!(
            normalized,
            concat!(
                r#"{"type":"record","name":"R","namespace":"n","fields":[{"name":"f","type":"#,
                r#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":2},"default":"\u0000"}],"#,
                r#""b":{"x":2,"y":1}}"#
            )
        );
        assert_eq!(
            java_string(&normalized, &[], true).as_deref(),
            Some(&*normalized)
        );
    }

    #[test]
    fn a_type_a_reference_defines_deeper_is_written_where_first_used() {
        let refs = vec![(
            "a.Top".to_owned(),
            r#"{"type":"record","name":"Top","namespace":"a","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["X"]}}]}"#.to_owned(),
        )];
        let text = r#"{"type":"record","name":"M","namespace":"a","fields":[{"name":"t","type":"Top"},{"name":"e","type":"E"},{"name":"e2","type":"a.E"}]}"#;
        assert_eq!(
            java_string(text, &refs, false).expect("canonical"),
            concat!(
                r#"{"type":"record","name":"M","namespace":"a","fields":[{"name":"t","type":"Top"},"#,
                r#"{"name":"e","type":{"type":"enum","name":"E","symbols":["X"]}},{"name":"e2","type":"E"}]}"#
            )
        );
    }

    #[test]
    fn shapes_avro_java_refuses_are_left_to_the_caller() {
        assert_eq!(java_string(r#"{"type":{"type":"int"}}"#, &[], false), None);
        assert_eq!(java_string(r#""Unknown""#, &[], false), None);
        assert_eq!(java_string("{", &[], false), None);
    }

    #[test]
    fn normalized_a_type_without_namespace_joins_the_enclosing_one() {
        // toNormalizedString writes `"name":"F"` with no namespace; read back inside `a.b`,
        // F is a.b.F (Confluent's quirk, kept so the stored text and id are the same).
        let text = r#"{"type":"record","name":"a.b.Outer","fields":[{"name":"none","type":{"type":"fixed","name":"F","namespace":"","size":1}},{"name":"f2","type":"F"}]}"#;
        assert_eq!(
            java_string(text, &[], true).expect("normalized"),
            concat!(
                r#"{"type":"record","name":"Outer","namespace":"a.b","fields":["#,
                r#"{"name":"none","type":{"type":"fixed","name":"F","size":1}},{"name":"f2","type":"F"}]}"#
            )
        );
    }
}
