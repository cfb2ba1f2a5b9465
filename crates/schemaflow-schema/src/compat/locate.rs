//! Where a finding is in the candidate file, from the parsers' own positions.
//!
//! * **Protobuf**: protox keeps the `source_code_info` of a `.proto` file, the position of
//!   every element by its descriptor path (`[4, 0, 2, 1]` = the second field of the first
//!   message, numbered as in `descriptor.proto`). The finding's full name
//!   (`shop.v1.Order.id`) is mapped to that path; an element the candidate no longer has
//!   (a removed field) is placed at its nearest enclosing element that it does have.
//! * **Avro**: the Avro parser keeps no positions, so beside it a small JSON pass
//!   (`Node`) keeps where every value starts. The finding's path is Avro's
//!   (Java's `SchemaCompatibility`): `fields/N` is the reader's field N, another number is the
//!   writer's union branch, names are JSON keys; named types are followed to their definition.
//!   Backward, the candidate is the reader and the path is walked in it; forward, the path is
//!   walked in the previous schema (the reader) and each reader field is found in the
//!   candidate by its name or aliases, as the resolution matches them.
//!
//! * **JSON Schema**: the finding's path is a JSON pointer into the candidate (`#/properties/a`),
//!   walked in the same small JSON pass.
//!
//! An element is placed at its `"name"` when it has one (a field, a named type), else where
//! its value starts; what cannot be placed is at line 1.

use std::collections::HashMap;

use super::{Direction, Finding, SchemaInput};
use crate::SchemaType;

/// A place in a file: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl Position {
    /// The start of a file.
    pub const START: Position = Position { line: 1, column: 1 };
}

/// Place findings in the candidate's text.
///
/// Each finding comes back with where it is in `cand` ([`Position::START`] when it cannot be
/// placed); `previous` are the versions the findings were found against (forward Avro paths
/// are walked in them).
pub fn locate(
    cand: &SchemaInput,
    previous: &[SchemaInput],
    findings: Vec<Finding>,
) -> Vec<(Position, Finding)> {
    match cand.schema_type {
        SchemaType::Avro => {
            let candidate = Node::parse(&cand.text);
            let previous: Vec<(&str, Option<Node>)> = previous
                .iter()
                .map(|p| (p.label.as_str(), Node::parse(&p.text)))
                .collect();
            findings
                .into_iter()
                .map(|f| {
                    let at = candidate.as_ref().and_then(|c| match f.direction {
                        Direction::Backward => Some(avro_backward(c, &f.path)),
                        Direction::Forward => previous
                            .iter()
                            .find(|(label, _)| *label == f.against)
                            .and_then(|(_, p)| p.as_ref())
                            .map(|p| avro_forward(p, c, &f.path)),
                    });
                    (at.unwrap_or(Position::START), f)
                })
                .collect()
        }
        SchemaType::Json => {
            let candidate = Node::parse(&cand.text);
            findings
                .into_iter()
                .map(|f| {
                    let at = candidate.as_ref().map(|c| json_position(c, &f.path));
                    (at.unwrap_or(Position::START), f)
                })
                .collect()
        }
        SchemaType::Protobuf => {
            let positions = proto_positions(&cand.label, &cand.text);
            findings
                .into_iter()
                .map(|f| {
                    let at = proto_position(&positions, &f.path);
                    (at, f)
                })
                .collect()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Protobuf.

/// The position of every named element of a `.proto` text, by full name (and the package
/// statement under the package's name and `(package)`). Empty when it does not parse.
fn proto_positions(label: &str, text: &str) -> HashMap<String, Position> {
    use prost_types::{DescriptorProto, EnumDescriptorProto};

    struct Walk {
        spans: HashMap<Vec<i32>, Position>,
        out: HashMap<String, Position>,
    }
    impl Walk {
        fn put(&mut self, name: String, path: &[i32]) {
            if let Some(p) = self.spans.get(path) {
                self.out.entry(name).or_insert(*p);
            }
        }
        fn message(&mut self, m: &DescriptorProto, scope: &str, path: &mut Vec<i32>) {
            let full = join(scope, m.name());
            self.put(full.clone(), path);
            // Field numbers of DescriptorProto: field 2, nested_type 3, enum_type 4, oneof 8.
            for (tag, names) in [
                (2, m.field.iter().map(|f| f.name()).collect::<Vec<_>>()),
                (8, m.oneof_decl.iter().map(|o| o.name()).collect()),
            ] {
                for (i, n) in names.into_iter().enumerate() {
                    path.extend([tag, i as i32]);
                    self.put(join(&full, n), path);
                    path.truncate(path.len() - 2);
                }
            }
            for (i, nested) in m.nested_type.iter().enumerate() {
                path.extend([3, i as i32]);
                self.message(nested, &full, path);
                path.truncate(path.len() - 2);
            }
            for (i, e) in m.enum_type.iter().enumerate() {
                path.extend([4, i as i32]);
                self.enumeration(e, &full, path);
                path.truncate(path.len() - 2);
            }
        }
        fn enumeration(&mut self, e: &EnumDescriptorProto, scope: &str, path: &mut Vec<i32>) {
            let full = join(scope, e.name());
            self.put(full.clone(), path);
            // EnumDescriptorProto: value 2. A value's full name is a sibling of its enum's
            // (C++ scoping); both spellings are placed.
            for (i, v) in e.value.iter().enumerate() {
                path.extend([2, i as i32]);
                self.put(join(&full, v.name()), path);
                self.put(join(scope, v.name()), path);
                path.truncate(path.len() - 2);
            }
        }
    }
    fn join(scope: &str, name: &str) -> String {
        if scope.is_empty() {
            name.to_string()
        } else {
            format!("{scope}.{name}")
        }
    }

    let Ok(file) = protox::file::File::from_source(label, text) else {
        return HashMap::new();
    };
    let fdp = file.file_descriptor_proto();
    let spans = fdp
        .source_code_info
        .iter()
        .flat_map(|i| &i.location)
        .filter(|l| l.span.len() >= 3)
        .map(|l| {
            let at = Position {
                line: l.span[0].max(0) as usize + 1,
                column: l.span[1].max(0) as usize + 1,
            };
            (l.path.clone(), at)
        })
        .rev() // the first location of a path wins
        .collect();
    let mut w = Walk {
        spans,
        out: HashMap::new(),
    };
    let package = fdp.package();
    // FileDescriptorProto: package 2, message_type 4, enum_type 5.
    if !package.is_empty() {
        w.put(package.to_string(), &[2]);
    }
    w.put("(package)".to_string(), &[2]);
    for (i, m) in fdp.message_type.iter().enumerate() {
        w.message(m, package, &mut vec![4, i as i32]);
    }
    for (i, e) in fdp.enum_type.iter().enumerate() {
        w.enumeration(e, package, &mut vec![5, i as i32]);
    }
    w.out
}

/// The position of a full name, else of its nearest enclosing element, else the start.
fn proto_position(positions: &HashMap<String, Position>, full_name: &str) -> Position {
    let mut name = full_name;
    loop {
        if let Some(p) = positions.get(name) {
            return *p;
        }
        match name.rsplit_once('.') {
            Some((outer, _)) => name = outer,
            None => return Position::START,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Avro.

/// One step of an Avro compatibility path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step<'a> {
    /// A JSON key: `type`, `items`, `values`, `symbols`, `size`, `name`.
    Key(&'a str),
    /// `fields/N`: the reader's field N.
    Field(usize),
    /// Another number: the writer's union branch N (the reader stays where it is).
    Branch(usize),
}

fn steps(path: &str) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    let mut segs = path.split('/').filter(|s| !s.is_empty()).peekable();
    while let Some(s) = segs.next() {
        if s == "fields" {
            if let Some(i) = segs.peek().and_then(|n| n.parse().ok()) {
                segs.next();
                out.push(Step::Field(i));
                continue;
            }
        }
        match s.parse() {
            Ok(i) => out.push(Step::Branch(i)),
            Err(_) => out.push(Step::Key(s)),
        }
    }
    out
}

/// Named types of one Avro document, by full and by short name.
struct Names<'a> {
    full: HashMap<String, &'a Node>,
    short: HashMap<String, Vec<&'a Node>>,
}

impl<'a> Names<'a> {
    fn of(root: &'a Node) -> Self {
        fn walk<'a>(n: &'a Node, ns: Option<&str>, names: &mut Names<'a>) {
            match &n.value {
                Value::Object(_) => {
                    let name = n.get("name").and_then(Node::as_str);
                    let named = matches!(
                        n.get("type").and_then(Node::as_str),
                        Some("record" | "error" | "enum" | "fixed")
                    );
                    let mut inner = ns.map(str::to_string);
                    if let (true, Some(name)) = (named, name) {
                        let full = match (
                            name.contains('.'),
                            n.get("namespace").and_then(Node::as_str),
                            ns,
                        ) {
                            (true, _, _) => name.to_string(),
                            (false, Some(explicit), _) if !explicit.is_empty() => {
                                format!("{explicit}.{name}")
                            }
                            (false, Some(_), _) | (false, None, None) => name.to_string(),
                            (false, None, Some(ns)) => format!("{ns}.{name}"),
                        };
                        let short = full.rsplit('.').next().unwrap_or(&full).to_string();
                        inner = full.rsplit_once('.').map(|(ns, _)| ns.to_string());
                        names.full.entry(full).or_insert(n);
                        names.short.entry(short).or_default().push(n);
                    }
                    if let Value::Object(entries) = &n.value {
                        for (_, v) in entries {
                            walk(v, inner.as_deref(), names);
                        }
                    }
                }
                Value::Array(items) => {
                    for i in items {
                        walk(i, ns, names);
                    }
                }
                _ => {}
            }
        }
        let mut names = Names {
            full: HashMap::new(),
            short: HashMap::new(),
        };
        walk(root, None, &mut names);
        names
    }

    /// What a node stands for: a type name's definition, or the schema a `{"type": …}`
    /// wrapper holds; `None` when it is neither.
    fn resolve(&self, n: &'a Node) -> Option<&'a Node> {
        match &n.value {
            Value::String(s) => self.full.get(s).copied().or_else(|| {
                let short = s.rsplit('.').next().unwrap_or(s);
                match self.short.get(short).map(Vec::as_slice) {
                    Some([only]) => Some(*only),
                    _ => None,
                }
            }),
            Value::Object(_) => n
                .get("type")
                .filter(|t| !matches!(t.value, Value::Other))
                .filter(|t| match &t.value {
                    Value::String(s) => self.full.contains_key(s) || self.short.contains_key(s),
                    _ => true,
                }),
            _ => None,
        }
    }

    /// Apply `f` to `n`, else to what `n` stands for (a few levels deep).
    fn step<T>(&self, n: &'a Node, f: impl Fn(&'a Node) -> Option<T>) -> Option<T> {
        let mut cur = n;
        for _ in 0..8 {
            if let Some(t) = f(cur) {
                return Some(t);
            }
            cur = self.resolve(cur)?;
        }
        None
    }
}

fn field(n: &Node, i: usize) -> Option<&Node> {
    match &n.get("fields")?.value {
        Value::Array(fields) => fields.get(i),
        _ => None,
    }
}

/// The names a reader field matches a writer field by: its name, then its aliases.
fn field_names(f: &Node) -> Vec<&str> {
    let mut names: Vec<&str> = f.get("name").and_then(Node::as_str).into_iter().collect();
    if let Some(Value::Array(aliases)) = f.get("aliases").map(|a| &a.value) {
        names.extend(aliases.iter().filter_map(Node::as_str));
    }
    names
}

/// The position of an element: its `"name"` when it has one, else its start.
fn place(n: &Node) -> Position {
    n.get("name")
        .filter(|v| matches!(v.value, Value::String(_)))
        .map_or(n.at, |v| v.at)
}

/// Backward: the candidate is the reader; walk the path in it.
fn avro_backward(candidate: &Node, path: &str) -> Position {
    let names = Names::of(candidate);
    let mut cur = candidate;
    for step in steps(path) {
        let next = match step {
            Step::Key(k) => names.step(cur, |n| n.get(k)),
            Step::Field(i) => names.step(cur, |n| field(n, i)),
            Step::Branch(_) => continue,
        };
        match next {
            Some(n) => cur = n,
            None => break,
        }
    }
    place(cur)
}

/// Forward: the previous schema is the reader and the candidate the writer; walk the path in
/// the reader and follow it in the candidate.
fn avro_forward(reader: &Node, candidate: &Node, path: &str) -> Position {
    let (r_names, w_names) = (Names::of(reader), Names::of(candidate));
    let mut r = Some(reader);
    let mut w = candidate;
    for step in steps(path) {
        let next = match step {
            Step::Key(k) => {
                r = r.and_then(|r| r_names.step(r, |n| n.get(k)));
                w_names.step(w, |n| n.get(k))
            }
            Step::Field(i) => {
                let Some(rf) = r.and_then(|r| r_names.step(r, |n| field(n, i))) else {
                    break;
                };
                r = Some(rf);
                let wanted = field_names(rf);
                w_names.step(w, |n| match &n.get("fields")?.value {
                    Value::Array(fields) => fields.iter().find(|wf| {
                        wf.get("name")
                            .and_then(Node::as_str)
                            .is_some_and(|name| wanted.contains(&name))
                    }),
                    _ => None,
                })
            }
            Step::Branch(i) => w_names.step(w, |n| match &n.value {
                Value::Array(branches) => branches.get(i),
                _ => None,
            }),
        };
        match next {
            Some(n) => w = n,
            None => break,
        }
    }
    place(w)
}

// ---------------------------------------------------------------------------------------------
/// Where a JSON pointer (`#/properties/age`) leads in the candidate: the deepest element of
/// the pointer the candidate has (an element removed is placed at its parent). A segment
/// that names no key or index of an array is looked for among the array's strings
/// (`#/required/age`: the `"age"` of `required`). Pointer escapes (`~1`, `~0`) are undone.
fn json_position(root: &Node, pointer: &str) -> Position {
    let mut node = root;
    for raw in pointer
        .trim_start_matches('#')
        .split('/')
        .filter(|s| !s.is_empty())
    {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        let next = match &node.value {
            Value::Object(entries) => entries.iter().find(|(k, _)| *k == seg).map(|(_, n)| n),
            Value::Array(items) => seg
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i))
                .or_else(|| {
                    items
                        .iter()
                        .find(|n| matches!(&n.value, Value::String(s) if *s == seg))
                }),
            _ => None,
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    node.at
}

// A JSON value that remembers where it starts.

/// A JSON value with the position of its first character.
#[derive(Debug)]
struct Node {
    at: Position,
    value: Value,
}

#[derive(Debug)]
enum Value {
    /// Keys in document order (a repeated key: the first is found).
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
    String(String),
    /// A number, `true`, `false` or `null`.
    Other,
}

impl Node {
    /// Parse a JSON text; `None` when it is not JSON.
    fn parse(text: &str) -> Option<Node> {
        let mut s = Scanner {
            chars: text.chars().peekable(),
            at: Position::START,
        };
        s.space();
        let n = s.value(0)?;
        s.space();
        s.chars.peek().is_none().then_some(n)
    }

    fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Deeper than this is not a schema anyone wrote by hand: not placed.
const MAX_DEPTH: usize = 256;

struct Scanner<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    at: Position,
}

impl Scanner<'_> {
    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.at.line += 1;
            self.at.column = 1;
        } else {
            self.at.column += 1;
        }
        Some(c)
    }

    fn eat(&mut self, want: char) -> Option<()> {
        self.space();
        (self.bump()? == want).then_some(())
    }

    fn space(&mut self) {
        while self
            .chars
            .peek()
            .is_some_and(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
        {
            self.bump();
        }
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.space();
        let at = self.at;
        let value = match *self.chars.peek()? {
            '{' => {
                self.bump();
                let mut entries = Vec::new();
                self.space();
                if self.chars.peek() == Some(&'}') {
                    self.bump();
                } else {
                    loop {
                        self.space();
                        let key = self.string()?;
                        self.eat(':')?;
                        entries.push((key, self.value(depth + 1)?));
                        self.space();
                        match self.bump()? {
                            ',' => continue,
                            '}' => break,
                            _ => return None,
                        }
                    }
                }
                Value::Object(entries)
            }
            '[' => {
                self.bump();
                let mut items = Vec::new();
                self.space();
                if self.chars.peek() == Some(&']') {
                    self.bump();
                } else {
                    loop {
                        items.push(self.value(depth + 1)?);
                        self.space();
                        match self.bump()? {
                            ',' => continue,
                            ']' => break,
                            _ => return None,
                        }
                    }
                }
                Value::Array(items)
            }
            '"' => Value::String(self.string()?),
            _ => {
                let mut any = false;
                while self
                    .chars
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                {
                    self.bump();
                    any = true;
                }
                if !any {
                    return None;
                }
                Value::Other
            }
        };
        Some(Node { at, value })
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut v = 0;
        for _ in 0..4 {
            v = v * 16 + self.bump()?.to_digit(16)?;
        }
        Some(v)
    }

    fn string(&mut self) -> Option<String> {
        if self.bump()? != '"' {
            return None;
        }
        let mut s = String::new();
        loop {
            match self.bump()? {
                '"' => return Some(s),
                '\\' => match self.bump()? {
                    'n' => s.push('\n'),
                    't' => s.push('\t'),
                    'r' => s.push('\r'),
                    'b' => s.push('\u{8}'),
                    'f' => s.push('\u{c}'),
                    'u' => {
                        let hi = self.hex4()?;
                        let c = if (0xD800..0xDC00).contains(&hi)
                            && self.chars.peek() == Some(&'\\')
                        {
                            self.bump();
                            if self.bump()? != 'u' {
                                return None;
                            }
                            let lo = self.hex4()?;
                            char::from_u32(
                                0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF),
                            )
                        } else {
                            char::from_u32(hi)
                        };
                        s.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
                    }
                    other => s.push(other), // `"`, `\`, `/`
                },
                c => s.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, column: usize) -> Position {
        Position { line, column }
    }

    #[test]
    fn json_pointers_are_placed() {
        let text = "{\n  \"type\": \"object\",\n  \"properties\": {\n    \"a/b\": {\"type\": \"string\"}\n  },\n  \"required\": [\"x\",\n    \"a/b\"]\n}";
        let n = Node::parse(text).expect("json");
        assert_eq!(json_position(&n, "#/properties/a~1b").line, 4);
        assert_eq!(json_position(&n, "#/required/a~1b").line, 7);
        // Gone from the candidate: its parent.
        assert_eq!(json_position(&n, "#/properties/gone").line, 3);
        assert_eq!(json_position(&n, "#/").line, 1);
    }

    #[test]
    fn json_nodes_know_where_they_start() {
        let n = Node::parse("{\n  \"a\": [1, \"x\\u00e9\\n\"],\n  \"b\": {\"c\": null}\n}")
            .expect("parses");
        assert_eq!(n.at, at(1, 1));
        let a = n.get("a").expect("a");
        assert_eq!(a.at, at(2, 8));
        match &a.value {
            Value::Array(items) => {
                assert_eq!(items[1].at, at(2, 12));
                assert_eq!(items[1].as_str(), Some("xé\n"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            n.get("b").and_then(|b| b.get("c")).map(|c| c.at),
            Some(at(3, 14))
        );
        assert!(Node::parse("{\"a\": 1").is_none());
        assert!(Node::parse("{\"a\": 1} x").is_none());
        assert!(
            Node::parse("\"\\ud83d\\ude00\"").and_then(|n| n.as_str().map(str::to_string))
                == Some("😀".to_string())
        );
    }

    const READER: &str = r#"{
  "type": "record", "name": "R", "namespace": "p",
  "fields": [
    {"name": "a", "type": "string"},
    {
      "name": "b",
      "type": {"type": "array", "items": "Inner"}
    },
    {"name": "inner", "type": {"type": "record", "name": "Inner",
      "fields": [{"name": "x", "type": "int"}]}},
    {"name": "u", "type": ["null", "long"]}
  ]
}"#;

    #[test]
    fn avro_paths_walk_the_reader() {
        let r = Node::parse(READER).expect("parses");
        // A field sits at its name.
        assert_eq!(avro_backward(&r, "/fields/1"), at(6, 15));
        assert_eq!(avro_backward(&r, "/fields/0/type"), at(4, 27));
        // Through an array to a named type defined later in the file.
        assert_eq!(
            avro_backward(&r, "/fields/1/type/items/fields/0/type"),
            at(10, 40)
        );
        // A writer's union branch leaves the reader where it is.
        assert_eq!(avro_backward(&r, "/fields/3/type/1"), at(11, 27));
        // The root, and a path that goes nowhere: as far as it gets.
        assert_eq!(avro_backward(&r, "/"), at(2, 29));
        assert_eq!(avro_backward(&r, "/fields/9/type"), at(2, 29));
    }

    #[test]
    fn avro_forward_paths_follow_reader_fields_into_the_candidate() {
        let reader = Node::parse(
            r#"{"type":"record","name":"R","fields":[{"name":"u","type":"long"},{"name":"old","aliases":["b"],"type":"int"}]}"#,
        )
        .expect("parses");
        let writer = Node::parse(
            "{\"type\": \"record\", \"name\": \"R\", \"fields\": [\n  {\"name\": \"b\", \"type\": \"string\"},\n  {\"name\": \"u\", \"type\": [\"null\",\n    \"string\"]}\n]}",
        )
        .expect("parses");
        // Reader field 0 is `u`, the candidate's second field; branch 1 of its union.
        assert_eq!(avro_forward(&reader, &writer, "/fields/0/type/1"), at(4, 5));
        // Reader field 1 matches the candidate's `b` by alias.
        assert_eq!(avro_forward(&reader, &writer, "/fields/1/type"), at(2, 25));
    }

    #[test]
    fn proto_names_map_to_source_code_info() {
        let text = "syntax = \"proto3\";\npackage p;\n\nmessage M {\n  string action_id = 1;\n  int32 action = 2;\n  message N { bool on = 1; }\n  oneof choice {\n    string s = 3;\n  }\n  enum E { E_UNSET = 0; E_ON = 1; }\n}\nenum Top { TOP_UNSET = 0; }\n";
        let p = proto_positions("m.proto", text);
        let find = |n: &str| proto_position(&p, n);
        assert_eq!(find("p.M"), at(4, 1));
        assert_eq!(find("p.M.action"), at(6, 3));
        assert_eq!(find("p.M.N.on"), at(7, 15));
        assert_eq!(find("p.M.choice"), at(8, 3));
        assert_eq!(find("p.M.s"), at(9, 5));
        assert_eq!(find("p.M.E.E_ON"), at(11, 25));
        assert_eq!(find("p.M.E_ON"), at(11, 25));
        assert_eq!(find("p.Top"), at(13, 1));
        // Gone from the candidate: the nearest enclosing element.
        assert_eq!(find("p.M.gone"), at(4, 1));
        assert_eq!(find("p.Gone"), at(2, 1));
        assert_eq!(find("(package)"), at(2, 1));
        assert_eq!(
            proto_position(&proto_positions("x", "not proto"), "p.M"),
            Position::START
        );
    }
}
