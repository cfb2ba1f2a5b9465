//! JSON Schema → Rust items, one file at a time.
//!
//! What maps to what (see the crate docs for the user's view):
//!
//! * an object with `properties` → a struct, fields in the schema's order; `additionalProperties:
//!   false` → `deny_unknown_fields`, a schema (or `true` given explicitly) → a flattened
//!   `additional_properties` map; an object with only `additionalProperties` → a `BTreeMap`;
//! * `allOf` of objects (local `$ref`s followed) → one struct of their properties;
//! * a string `enum` → a Rust enum; `oneOf`/`anyOf` of several non-null branches → an
//!   untagged enum (serde tries the branches in the schema's order);
//! * `type: [T, "null"]`, `oneOf`/`anyOf` with a `{"type":"null"}` branch, an `enum` holding
//!   `null` → `Option<T>`;
//! * `$ref` inside the file → the definition's type (every `definitions`/`$defs` entry is
//!   generated, named after its key); to another file (`"address.json"`, optionally with a
//!   `#/definitions/..` fragment) → that file's type by a relative path;
//! * what has no Rust shape (a tuple `items`/`prefixItems`, a mixed `type` list, `{}`) →
//!   `serde_json::Value`.
//!
//! Recursion: types refer to each other by name, and a field that holds a type which (directly,
//! not through a `Vec` or map) holds the field's own type is boxed — decided on the whole set's
//! graph after every item is known, so mutual recursion across files terminates too.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::doc::Node;
use crate::rust::{doc_lines, field_ident, serde_name, str_lit, type_ident};

/// Marks a by-name use of a generated type in item text, `\u{1}KEY\u{2}`: rendered as the
/// type's path, boxed when it closes a cycle. `\u{3}` instead of `\u{1}` marks a use inside a
/// collection (already behind a pointer: never boxed, no edge).
const DIRECT: char = '\u{1}';
const END: char = '\u{2}';
const INDIRECT: char = '\u{3}';

/// `serde_json::Value`, for the parts of a schema with no Rust shape. The user's crate needs
/// serde_json then (schemaflow's `codegen_support` does not re-export it).
pub const VALUE: &str = "::serde_json::Value";

/// One schema file as the generator sees it.
pub struct FileInfo {
    /// Path relative to its folder (`user_event.json`): also how other files `$ref` it.
    pub rel: String,
    /// How a sibling file's module names this file's module (`super::address`).
    pub module_path: String,
    /// The parsed document.
    pub doc: Node,
    /// Names claimed before generation: `""` the root, `/definitions/X`, `/$defs/X`.
    pub names: BTreeMap<String, String>,
    /// Whether it belongs to the set being generated (else: the context set).
    pub in_set: bool,
}

impl FileInfo {
    /// The root type's name: `title`, else the file stem.
    pub fn root_name(&self) -> &str {
        self.names.get("").map(String::as_str).unwrap_or("Root")
    }
}

/// Claim the names of a file's root and definitions.
pub fn claim_names(doc: &Node, rel: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let mut used = BTreeSet::new();
    let stem = rel.rsplit('/').next().unwrap_or(rel);
    let stem = stem.split('.').next().unwrap_or(stem);
    let root = doc.get("title").and_then(Node::as_str).unwrap_or(stem);
    names.insert(String::new(), unique(&mut used, &type_ident(root)));
    for defs in ["definitions", "$defs"] {
        for (key, _) in doc.get(defs).and_then(Node::members).unwrap_or_default() {
            let name = unique(&mut used, &type_ident(key));
            names.insert(format!("/{defs}/{}", escape_token(key)), name);
        }
    }
    names
}

fn escape_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn unique(used: &mut BTreeSet<String>, base: &str) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    while used.contains(&name) {
        name = format!("{base}{n}");
        n += 1;
    }
    used.insert(name.clone());
    name
}

/// A generated item with its by-name uses still marked.
pub struct Item {
    /// The item's key (`file:Name`), for the recursion graph.
    pub key: String,
    /// Its text.
    pub text: String,
}

/// A type as a field would hold it: its text, and whether `null` is one of its values.
struct Ty {
    code: String,
    nullable: bool,
}

impl Ty {
    fn of(code: impl Into<String>) -> Ty {
        Ty {
            code: code.into(),
            nullable: false,
        }
    }
}

/// The generator of one file's module.
pub struct FileGen<'a> {
    rt: &'a str,
    files: &'a [FileInfo],
    this: usize,
    attributes: &'a [(String, String)],
    names: BTreeMap<String, String>,
    used: BTreeSet<String>,
    queue: Vec<String>,
    done: BTreeSet<String>,
    /// The module's items.
    pub items: Vec<Item>,
    /// Functions giving the serde defaults of properties with a `default`.
    pub defaults: String,
    depth: usize,
}

type Res<T> = Result<T, String>;

impl<'a> FileGen<'a> {
    /// A generator for `files[this]`; `attributes` are the builder's `type_attribute`s.
    pub fn new(
        rt: &'a str,
        files: &'a [FileInfo],
        this: usize,
        attributes: &'a [(String, String)],
    ) -> Self {
        let names = files[this].names.clone();
        FileGen {
            rt,
            files,
            this,
            attributes,
            used: names.values().cloned().collect(),
            queue: names.keys().cloned().collect(),
            names,
            done: BTreeSet::new(),
            items: Vec::new(),
            defaults: String::new(),
            depth: 0,
        }
    }

    fn doc(&self) -> &'a Node {
        &self.files[self.this].doc
    }

    /// Generate the root, every definition and every type they need.
    pub fn run(&mut self) -> Res<()> {
        // The root first, then definitions in the file's order.
        let mut pending: Vec<String> = std::mem::take(&mut self.queue);
        pending.sort_by_key(|p| (!p.is_empty(), self.def_index(p).unwrap_or(usize::MAX)));
        self.queue = pending.into_iter().rev().collect();
        while let Some(ptr) = self.queue.pop() {
            if !self.done.insert(ptr.clone()) {
                continue;
            }
            self.emit_named(&ptr)?;
        }
        Ok(())
    }

    fn def_index(&self, ptr: &str) -> Option<usize> {
        let doc = self.doc();
        let mut i = 0;
        for defs in ["definitions", "$defs"] {
            for (key, _) in doc.get(defs).and_then(Node::members).unwrap_or_default() {
                if ptr == format!("/{defs}/{}", escape_token(key)) {
                    return Some(i);
                }
                i += 1;
            }
        }
        None
    }

    fn marker(&self, file: usize, name: &str) -> String {
        format!("{DIRECT}{file}:{name}{END}")
    }

    /// The named type for the schema at `ptr` (claimed now if new, and queued).
    fn named(&mut self, ptr: &str, node: &Node, hint: &str) -> String {
        if let Some(n) = self.names.get(ptr) {
            return self.marker(self.this, &n.clone());
        }
        let base = node
            .get("title")
            .and_then(Node::as_str)
            .map(type_ident)
            .unwrap_or_else(|| type_ident(hint));
        let name = unique(&mut self.used, &base);
        self.names.insert(ptr.to_string(), name.clone());
        // Emitted after the root and the definitions, in the order met.
        self.queue.insert(0, ptr.to_string());
        self.marker(self.this, &name)
    }

    fn emit_named(&mut self, ptr: &str) -> Res<()> {
        let doc = self.doc();
        let node = doc
            .pointer(ptr)
            .ok_or_else(|| format!("no schema at #{ptr}"))?;
        let name = self.names.get(ptr).cloned().unwrap_or_default();
        let key = format!("{}:{name}", self.this);
        let mut text = doc_lines(description(node), "");
        if let Some(props) = object_parts(doc, node, ptr) {
            self.emit_struct(&mut text, &name, node, ptr, props)?;
        } else if let Some(values) = string_enum(node) {
            self.emit_enum(&mut text, &name, node, &values);
        } else if let Some(branches) = union_branches(node) {
            self.emit_union(&mut text, &name, node, ptr, &branches)?;
        } else {
            let ty = self.ty(node, ptr, &name)?;
            let code = if ty.nullable {
                format!("::std::option::Option<{}>", ty.code)
            } else {
                ty.code
            };
            if ptr.is_empty() {
                // The root gets a type of its own, to carry `GeneratedSchema`.
                self.derive(&mut text, &name, ptr, false);
                let _ = writeln!(
                    text,
                    "#[serde(transparent)]\npub struct {name}(pub {code});"
                );
            } else {
                let _ = writeln!(text, "pub type {name} = {};", code);
            }
        }
        self.items.push(Item { key, text });
        Ok(())
    }

    fn derive(&self, text: &mut String, name: &str, ptr: &str, copy: bool) {
        let rt = self.rt;
        let extra = if copy {
            "Copy, Eq, Hash, PartialOrd, Ord, "
        } else {
            ""
        };
        let _ = writeln!(
            text,
            "#[derive(Debug, Clone, {extra}PartialEq, {rt}::codegen_support::serde::Serialize, {rt}::codegen_support::serde::Deserialize)]\n#[serde(crate = \"{rt}::codegen_support::serde\")]"
        );
        let at = format!("{}#{ptr}", self.files[self.this].rel);
        for (path, attribute) in self.attributes {
            if path == "." || path == name || *path == at {
                let _ = writeln!(text, "{attribute}");
            }
        }
    }

    fn emit_struct(
        &mut self,
        text: &mut String,
        name: &str,
        node: &'a Node,
        ptr: &str,
        parts: ObjectParts<'a>,
    ) -> Res<()> {
        self.derive(text, name, ptr, false);
        let closed = matches!(node.get("additionalProperties"), Some(Node::Bool(false)));
        let extra = match node.get("additionalProperties") {
            Some(Node::Bool(true)) => Some(Ty::of(VALUE)),
            Some(s @ Node::Obj(m)) if !m.is_empty() => Some(self.collection_item(
                s,
                &format!("{ptr}/additionalProperties"),
                &format!("{name}Value"),
            )?),
            _ => None,
        };
        if closed {
            text.push_str("#[serde(deny_unknown_fields)]\n");
        }
        let _ = writeln!(text, "pub struct {name} {{");
        let mut idents = BTreeSet::new();
        for (prop, schema, at) in parts.properties {
            let ident = field_ident(prop);
            let ident = if idents.contains(&ident) {
                unique(&mut idents, &format!("{ident}_"))
            } else {
                idents.insert(ident.clone());
                ident
            };
            let hint = format!("{name}{}", type_ident(prop));
            let ty = self.ty(schema, &at, &hint)?;
            text.push_str(&doc_lines(description(schema), "    "));
            let mut attrs: Vec<String> = Vec::new();
            if serde_name(&ident) != prop {
                attrs.push(format!("rename = {}", str_lit(prop)));
            }
            let required = parts.required.contains(prop.as_str());
            let code = if required {
                if ty.nullable {
                    format!("::std::option::Option<{}>", ty.code)
                } else {
                    ty.code
                }
            } else if let Some(default) = (!ty.nullable)
                .then(|| self.default_for(name, &ident, &ty.code, schema))
                .flatten()
            {
                attrs.push(default);
                ty.code
            } else if ty.nullable {
                // `null` is a value here: None is written as `null`, as Python writes a key
                // whose value is None.
                attrs.push("default".into());
                format!("::std::option::Option<{}>", ty.code)
            } else {
                // `null` would break the schema: None leaves the key out.
                attrs.push("default".into());
                attrs.push("skip_serializing_if = \"::std::option::Option::is_none\"".into());
                format!("::std::option::Option<{}>", ty.code)
            };
            if !attrs.is_empty() {
                let _ = writeln!(text, "    #[serde({})]", attrs.join(", "));
            }
            let _ = writeln!(text, "    pub {ident}: {code},");
        }
        if let Some(extra) = extra {
            let ident = unique(&mut idents, "additional_properties");
            let _ = writeln!(
                text,
                "    /// The properties not named by the schema (`additionalProperties`).\n    #[serde(flatten)]\n    pub {ident}: ::std::collections::BTreeMap<::std::string::String, {}>,",
                extra.code
            );
        }
        text.push_str("}\n");
        Ok(())
    }

    /// A `#[serde(default…)]` for an optional property whose `default` the field's Rust type
    /// can hold; the field is then always written, as Python writes a key it was given.
    fn default_for(
        &mut self,
        owner: &str,
        field: &str,
        code: &str,
        schema: &Node,
    ) -> Option<String> {
        let value = schema.get("default")?;
        let expr = match (value, code) {
            (Node::Arr(a), c) if a.is_empty() && c.starts_with("::std::vec::Vec<") => {
                return Some("default".into())
            }
            (Node::Obj(m), c) if m.is_empty() && c.starts_with("::std::collections::BTreeMap<") => {
                return Some("default".into())
            }
            (Node::Bool(b), "bool") => b.to_string(),
            (Node::Num(n), "i64") => format!("{}_i64", n.as_i64()?),
            (Node::Num(n), "f64") => format!("{:?}_f64", n.as_f64()?),
            (Node::Str(s), "::std::string::String") => format!("{}.to_string()", str_lit(s)),
            _ => return None,
        };
        let fname = format!(
            "__default_{}_{}",
            field_ident(owner).trim_start_matches("r#"),
            serde_name(field)
        );
        let _ = writeln!(
            self.defaults,
            "#[doc(hidden)]\npub fn {fname}() -> {code} {{\n    {expr}\n}}"
        );
        Some(format!("default = {}", str_lit(&fname)))
    }

    fn emit_enum(&mut self, text: &mut String, name: &str, _node: &Node, values: &[String]) {
        let ptr = self
            .names
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(p, _)| p.clone())
            .unwrap_or_default();
        self.derive(text, name, &ptr, true);
        let _ = writeln!(text, "pub enum {name} {{");
        let mut idents = BTreeSet::new();
        for v in values {
            let ident = unique(&mut idents, &type_ident(v));
            let _ = writeln!(text, "    #[serde(rename = {})]\n    {ident},", str_lit(v));
        }
        text.push_str("}\n");
    }

    fn emit_union(
        &mut self,
        text: &mut String,
        name: &str,
        node: &Node,
        ptr: &str,
        branches: &[(usize, &'a Node, &'static str)],
    ) -> Res<()> {
        let _ = node;
        self.derive(text, name, ptr, false);
        let _ = writeln!(text, "#[serde(untagged)]\npub enum {name} {{");
        let mut idents = BTreeSet::new();
        for (i, branch, keyword) in branches {
            let variant = unique(&mut idents, &variant_name(branch, *i));
            let at = format!("{ptr}/{keyword}/{i}");
            let ty = self.ty(branch, &at, &format!("{name}{variant}"))?;
            text.push_str(&doc_lines(description(branch), "    "));
            let _ = writeln!(text, "    {variant}({}),", ty.code);
        }
        text.push_str("}\n");
        Ok(())
    }

    /// The type of the elements of a `Vec` or values of a map: uses by name inside are behind
    /// the collection's pointer, so they never need a `Box`.
    fn collection_item(&mut self, node: &'a Node, ptr: &str, hint: &str) -> Res<Ty> {
        let ty = self.ty(node, ptr, hint)?;
        let code = if ty.nullable {
            format!("::std::option::Option<{}>", ty.code)
        } else {
            ty.code
        };
        Ok(Ty::of(code.replace(DIRECT, &INDIRECT.to_string())))
    }

    fn ty(&mut self, node: &'a Node, ptr: &str, hint: &str) -> Res<Ty> {
        let obj = match node {
            Node::Obj(m) => m,
            Node::Bool(_) => return Ok(Ty::of(VALUE)),
            _ => return Err(format!("#{ptr}: a schema must be an object or a boolean")),
        };
        if obj.is_empty() {
            return Ok(Ty::of(VALUE));
        }
        if let Some(r) = node.get("$ref").and_then(Node::as_str) {
            return self.ref_type(r, ptr);
        }
        let type_nullable = type_list(node).contains(&"null");
        if object_parts(self.doc(), node, ptr).is_some() || string_enum(node).is_some() {
            let code = self.named(ptr, node, hint);
            return Ok(Ty {
                code,
                nullable: is_nullable(node),
            });
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(branches) = node.get(keyword).and_then(Node::elements) {
                let non_null: Vec<(usize, &Node)> = branches
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| !is_null_schema(b))
                    .collect();
                let nullable = non_null.len() < branches.len() || type_nullable;
                return match non_null.as_slice() {
                    [] => Ok(Ty::of("()")),
                    [(i, only)] => {
                        let t = self.ty(only, &format!("{ptr}/{keyword}/{i}"), hint)?;
                        Ok(Ty {
                            code: t.code,
                            nullable: nullable || t.nullable,
                        })
                    }
                    _ => Ok(Ty {
                        code: self.named(ptr, node, hint),
                        nullable,
                    }),
                };
            }
        }
        if let Some(parts) = node.get("allOf").and_then(Node::elements) {
            if let [only] = parts {
                return self.ty(only, &format!("{ptr}/allOf/0"), hint);
            }
            return Ok(Ty::of(VALUE));
        }
        if let Some(c) = node.get("const") {
            return Ok(Ty::of(match c {
                Node::Str(_) => "::std::string::String",
                _ => VALUE,
            }));
        }
        if node.get("enum").is_some() {
            return Ok(Ty::of(VALUE));
        }
        let types: Vec<&str> = type_list(node)
            .into_iter()
            .filter(|t| *t != "null")
            .collect();
        let one = match types.as_slice() {
            [] if type_nullable => return Ok(Ty::of("()")),
            [] => {
                if node.get("additionalProperties").is_some() {
                    "object"
                } else if node.get("items").is_some() || node.get("prefixItems").is_some() {
                    "array"
                } else {
                    return Ok(Ty::of(VALUE));
                }
            }
            [t] => t,
            _ => return Ok(Ty::of(VALUE)),
        };
        let code = match one {
            "string" => "::std::string::String".to_string(),
            "integer" => "i64".to_string(),
            "number" => "f64".to_string(),
            "boolean" => "bool".to_string(),
            "object" => match node.get("additionalProperties") {
                Some(s @ Node::Obj(m)) if !m.is_empty() => {
                    let item = self.collection_item(
                        s,
                        &format!("{ptr}/additionalProperties"),
                        &format!("{hint}Value"),
                    )?;
                    format!(
                        "::std::collections::BTreeMap<::std::string::String, {}>",
                        item.code
                    )
                }
                _ => format!("::std::collections::BTreeMap<::std::string::String, {VALUE}>"),
            },
            "array" => match node.get("items") {
                Some(items @ (Node::Obj(_) | Node::Bool(_)))
                    if node.get("prefixItems").is_none() =>
                {
                    let item = self.collection_item(
                        items,
                        &format!("{ptr}/items"),
                        &format!("{hint}Item"),
                    )?;
                    format!("::std::vec::Vec<{}>", item.code)
                }
                _ => format!("::std::vec::Vec<{VALUE}>"),
            },
            other => return Err(format!("#{ptr}: unknown type {other:?}")),
        };
        Ok(Ty {
            code,
            nullable: type_nullable,
        })
    }

    fn ref_type(&mut self, r: &str, ptr: &str) -> Res<Ty> {
        if let Some(fragment) = r.strip_prefix('#') {
            if !fragment.is_empty() && !fragment.starts_with('/') {
                return Err(format!(
                    "#{ptr}: $ref {r:?}: anchors are not supported by the generator (use a JSON pointer)"
                ));
            }
            let doc = self.doc();
            let target = doc
                .pointer(fragment)
                .ok_or_else(|| format!("#{ptr}: $ref {r:?} points at nothing in the file"))?;
            let nullable = is_nullable(target);
            if let Some(name) = self.names.get(fragment).cloned() {
                return Ok(Ty {
                    code: self.marker(self.this, &name),
                    nullable,
                });
            }
            self.depth += 1;
            if self.depth > 64 {
                return Err(format!("#{ptr}: $ref {r:?}: a cycle of $refs with no type"));
            }
            let hint = type_ident(fragment.rsplit('/').next().unwrap_or("Type"));
            let ty = self.ty(target, fragment, &hint);
            self.depth -= 1;
            return ty;
        }
        if r.contains("://") || r.starts_with("urn:") {
            return Err(format!(
                "#{ptr}: $ref {r:?}: absolute URIs are not supported by the generator; refer to another file by its relative name (the registry reference's name)"
            ));
        }
        let (file, fragment) = r.split_once('#').unwrap_or((r, ""));
        let j = resolve_file(self.files, self.this, file)
            .ok_or_else(|| format!("#{ptr}: $ref {r:?}: no file {file:?} in the set"))?;
        let name = self.files[j].names.get(fragment).cloned().ok_or_else(|| {
            format!("#{ptr}: $ref {r:?}: only a file's root or its definitions/$defs can be referred to from another file")
        })?;
        let target = self.files[j].doc.pointer(fragment);
        Ok(Ty {
            code: self.marker(j, &name),
            nullable: target.is_some_and(is_nullable),
        })
    }
}

/// The file `reference` names, seen from `files[from]`: relative to the referring file's
/// folder, else to the set's root; the set's own files before the context's.
pub fn resolve_file(files: &[FileInfo], from: usize, reference: &str) -> Option<usize> {
    let dir = files[from]
        .rel
        .rsplit_once('/')
        .map(|(d, _)| d)
        .unwrap_or("");
    let joined = normalize(&if dir.is_empty() {
        reference.to_string()
    } else {
        format!("{dir}/{reference}")
    });
    let plain = normalize(reference);
    let in_set = files[from].in_set;
    for candidate in [&joined, &plain] {
        for pass in [in_set, !in_set] {
            if let Some(j) = files
                .iter()
                .position(|f| f.in_set == pass && f.rel == *candidate)
            {
                return Some(j);
            }
        }
    }
    None
}

fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Every `$ref` to another file in `doc` (without fragment), in document order, once.
pub fn external_refs(doc: &Node) -> Vec<String> {
    fn walk(n: &Node, out: &mut Vec<String>) {
        match n {
            Node::Obj(m) => {
                for (k, v) in m {
                    if k == "$ref" {
                        if let Some(r) = v.as_str() {
                            let file = r.split('#').next().unwrap_or("");
                            if !file.is_empty() && !out.iter().any(|o| o == file) {
                                out.push(file.to_string());
                            }
                        }
                    } else {
                        walk(v, out);
                    }
                }
            }
            Node::Arr(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, &mut out);
    out
}

fn description(node: &Node) -> Option<&str> {
    node.get("description").and_then(Node::as_str)
}

fn type_list(node: &Node) -> Vec<&str> {
    match node.get("type") {
        Some(Node::Str(t)) => vec![t.as_str()],
        Some(Node::Arr(a)) => a.iter().filter_map(Node::as_str).collect(),
        _ => Vec::new(),
    }
}

fn is_null_schema(node: &Node) -> bool {
    let types = type_list(node);
    types == ["null"] || matches!(node.get("const"), Some(Node::Null))
}

/// Whether `null` is one of the schema's values (its `type`, a null branch, an `enum` member).
fn is_nullable(node: &Node) -> bool {
    type_list(node).contains(&"null")
        || ["oneOf", "anyOf"].iter().any(|k| {
            node.get(k)
                .and_then(Node::elements)
                .is_some_and(|b| b.iter().any(is_null_schema))
        })
        || node
            .get("enum")
            .and_then(Node::elements)
            .is_some_and(|v| v.contains(&Node::Null))
}

/// The values of a string `enum` (a `null` member makes the type optional instead).
fn string_enum(node: &Node) -> Option<Vec<String>> {
    let values = node.get("enum")?.elements()?;
    let strings: Vec<String> = values
        .iter()
        .filter(|v| **v != Node::Null)
        .map(|v| v.as_str().map(str::to_string))
        .collect::<Option<_>>()?;
    (!strings.is_empty()).then_some(strings)
}

fn union_branches(node: &Node) -> Option<Vec<(usize, &Node, &'static str)>> {
    for keyword in ["oneOf", "anyOf"] {
        if let Some(b) = node.get(keyword).and_then(Node::elements) {
            let non_null: Vec<(usize, &Node, &'static str)> = b
                .iter()
                .enumerate()
                .filter(|(_, n)| !is_null_schema(n))
                .map(|(i, n)| (i, n, keyword))
                .collect();
            return (non_null.len() > 1).then_some(non_null);
        }
    }
    None
}

fn variant_name(branch: &Node, i: usize) -> String {
    if let Some(t) = branch.get("title").and_then(Node::as_str) {
        return type_ident(t);
    }
    if let Some(r) = branch.get("$ref").and_then(Node::as_str) {
        let last = r.rsplit(['/', '#']).find(|s| !s.is_empty()).unwrap_or(r);
        return type_ident(last.split('.').next().unwrap_or(last));
    }
    match type_list(branch).as_slice() {
        [t] => type_ident(t),
        _ => format!("Variant{i}"),
    }
}

/// The properties of an object schema, `allOf` parts included.
pub struct ObjectParts<'a> {
    properties: Vec<(&'a String, &'a Node, String)>,
    required: BTreeSet<&'a str>,
}

/// The properties (with their pointers) and required names of an object schema with
/// `properties`, or of an `allOf` whose parts all are such objects (local `$ref`s followed).
/// `ptr` is the node's pointer.
fn object_parts<'a>(doc: &'a Node, node: &'a Node, ptr: &str) -> Option<ObjectParts<'a>> {
    fn own<'a>(node: &'a Node, at: &str, parts: &mut ObjectParts<'a>) -> bool {
        let Some(props) = node.get("properties").and_then(Node::members) else {
            return false;
        };
        for (k, v) in props {
            if !parts.properties.iter().any(|(p, _, _)| *p == k) {
                parts
                    .properties
                    .push((k, v, format!("{at}/properties/{}", escape_token(k))));
            }
        }
        for r in node
            .get("required")
            .and_then(Node::elements)
            .unwrap_or_default()
        {
            if let Some(r) = r.as_str() {
                parts.required.insert(r);
            }
        }
        true
    }
    let types = type_list(node);
    if !types.is_empty() && !types.contains(&"object") {
        return None;
    }
    let mut parts = ObjectParts {
        properties: Vec::new(),
        required: BTreeSet::new(),
    };
    let mut any = own(node, ptr, &mut parts) && !parts.properties.is_empty();
    if let Some(all) = node.get("allOf").and_then(Node::elements) {
        for (i, part) in all.iter().enumerate() {
            let (target, at) = match part.get("$ref").and_then(Node::as_str) {
                Some(r) => match r.strip_prefix('#') {
                    Some(frag) if frag.is_empty() || frag.starts_with('/') => {
                        (doc.pointer(frag)?, frag.to_string())
                    }
                    _ => return None,
                },
                None => (part, format!("{ptr}/allOf/{i}")),
            };
            if !own(target, &at, &mut parts) {
                return None;
            }
            any = true;
        }
    }
    any.then_some(parts)
}

/// Render `items` of every file: uses by name become paths from `from`'s module, boxed where
/// a use closes a cycle of direct containment (found on the whole set's graph).
pub fn render(files: &[FileInfo], all_items: &[Vec<Item>]) -> Vec<String> {
    // Edges: item key → keys it holds directly.
    let mut edges: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for items in all_items {
        for item in items {
            edges
                .entry(item.key.as_str())
                .or_default()
                .extend(direct_uses(&item.text));
        }
    }
    let reaches = |from: &str, to: &str| -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(k) = stack.pop() {
            if k == to {
                return true;
            }
            if seen.insert(k.clone()) {
                if let Some(next) = edges.get(k.as_str()) {
                    stack.extend(next.iter().cloned());
                }
            }
        }
        false
    };
    let mut out = Vec::new();
    for (i, items) in all_items.iter().enumerate() {
        let mut module = String::new();
        for item in items {
            let mut text = String::with_capacity(item.text.len());
            let mut rest = item.text.as_str();
            while let Some(start) = rest.find([DIRECT, INDIRECT]) {
                text.push_str(&rest[..start]);
                let direct = rest[start..].starts_with(DIRECT);
                let after = &rest[start + 1..];
                let end = after.find(END).unwrap_or(after.len());
                let key = &after[..end];
                rest = after.get(end + 1..).unwrap_or("");
                let (file, name) = key.split_once(':').unwrap_or(("0", key));
                let j: usize = file.parse().unwrap_or(i);
                let path = if j == i {
                    name.to_string()
                } else {
                    format!("{}::{name}", files[j].module_path)
                };
                if direct && reaches(key, &item.key) {
                    let _ = write!(text, "::std::boxed::Box<{path}>");
                } else {
                    text.push_str(&path);
                }
            }
            text.push_str(rest);
            module.push_str(&text);
        }
        out.push(module);
    }
    out
}

fn direct_uses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(DIRECT) {
        let after = &rest[start + 1..];
        let end = after.find(END).unwrap_or(after.len());
        out.push(after[..end].to_string());
        rest = after.get(end + 1..).unwrap_or("");
    }
    out
}
