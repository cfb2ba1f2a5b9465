//! A JSON document that keeps its objects' key order.
//!
//! Generated structs declare their fields in the order the schema lists its `properties`, so
//! serde writes them in that order — the order a Python producer's dict built from the schema
//! has, and so the bytes Python's `JSONSerializer` writes. `serde_json::Value` sorts keys
//! unless serde_json's `preserve_order` feature is on, and turning that on here would turn it
//! on for every crate built beside this one (cargo unifies features), changing their maps.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// One JSON value; objects as (key, value) pairs in document order.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as serde_json read it.
    Num(serde_json::Number),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Node>),
    /// An object, keys in document order.
    Obj(Vec<(String, Node)>),
}

impl Node {
    /// Parse a document.
    pub fn parse(text: &str) -> Result<Node, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Obj(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn members(&self) -> Option<&[(String, Node)]> {
        match self {
            Node::Obj(m) => Some(m),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn elements(&self) -> Option<&[Node]> {
        match self {
            Node::Arr(a) => Some(a),
            _ => None,
        }
    }

    /// The value at a JSON pointer fragment (`/definitions/Device`, `""` for the root), with
    /// `~0`/`~1` and percent escapes undone as RFC 6901 and URI fragments have them.
    pub fn pointer(&self, pointer: &str) -> Option<&Node> {
        let mut at = self;
        if pointer.is_empty() {
            return Some(at);
        }
        let rest = pointer.strip_prefix('/')?;
        for raw in rest.split('/') {
            let token = percent_decode(raw).replace("~1", "/").replace("~0", "~");
            at = match at {
                Node::Obj(_) => at.get(&token)?,
                Node::Arr(a) => a.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(at)
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Num(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Num(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Node::Null, Node::Num))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Arr(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut members: Vec<(String, Node)> = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Node>()? {
            // A repeated key: the last one wins, as serde_json::Value has it.
            members.retain(|(key, _)| *key != k);
            members.push((k, v));
        }
        Ok(Node::Obj(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_key_order_and_resolves_pointers() {
        let n = Node::parse(r#"{"b":1,"a":{"x/y":[true,{"c%25":"d"}]}}"#).expect("json");
        let keys: Vec<&str> = n
            .members()
            .expect("obj")
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(keys, ["b", "a"]);
        assert_eq!(n.pointer("/a/x~1y/0"), Some(&Node::Bool(true)));
        assert_eq!(
            n.pointer("/a/x~1y/1/c%2525").and_then(Node::as_str),
            Some("d")
        );
        assert_eq!(n.pointer(""), Some(&n));
        assert_eq!(n.pointer("/nope"), None);
    }
}
