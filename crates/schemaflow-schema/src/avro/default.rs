//! A field default (JSON, as written in the schema) encoded into Avro binary: the bytes the
//! codec's resolution plan appends for a reader-only field, and what the JSON encoder writes
//! for a field the input leaves out. One encoder for both, on Avro's JSON encoding of
//! defaults (the specification's field-default table; logical types by their underlying
//! type):
//!
//! * int must fit 32 bits; float and double also take `"NaN"`, `"Infinity"`, `"-Infinity"`;
//! * bytes and fixed are strings of code points 0–255 (a fixed's length is its size);
//! * a union's default is for its first branch that it fits (Avro 1.12, AVRO-3649: any
//!   branch, the first that fits wins);
//! * a record default lacking a field takes that field's own default; keys that name no
//!   field are ignored (as Java's `ResolvingGrammarGenerator.encode` does).

use serde_json::Value as Json;

use apache_avro::schema::Schema;

use super::binary::{write_bytes, write_long};
use super::kind::Phys;
use super::names::Names;

/// Defaults nested deeper than this are refused.
const MAX_DEPTH: u32 = 128;

/// Append the Avro binary of `json`, a default for `schema`, to `out`; on error `out` may
/// hold a partial encoding. The message says why `json` does not fit.
pub(crate) fn encode_default(
    schema: &Schema,
    json: &Json,
    names: &Names<'_>,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    encode(schema, json, names, out, 0)
}

fn encode(
    schema: &Schema,
    json: &Json,
    names: &Names<'_>,
    out: &mut Vec<u8>,
    depth: u32,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("default nested too deeply".into());
    }
    let unknown = || match schema {
        Schema::Ref { name } => format!("unknown type {}", name.fullname(None)),
        _ => "unknown type".to_string(),
    };
    // The lifetime of `names`' entries is not `schema`'s: look the reference up by name.
    let schema: &Schema = match schema {
        Schema::Ref { name } => names
            .get(&name.fullname(None))
            .copied()
            .ok_or_else(unknown)?,
        s => s,
    };
    let phys = Phys::of(schema);
    let bad = || format!("{json} is not a valid default for {}", phys.kind().word());
    match phys {
        Phys::Null => json.is_null().then_some(()).ok_or_else(bad)?,
        Phys::Boolean => out.push(u8::from(json.as_bool().ok_or_else(bad)?)),
        Phys::Int => {
            let v = json.as_i64().ok_or_else(bad)?;
            let v = i32::try_from(v).map_err(|_| format!("{v} is out of range for an int"))?;
            write_long(i64::from(v), out)
        }
        Phys::Long => write_long(json.as_i64().ok_or_else(bad)?, out),
        Phys::Float => out.extend_from_slice(&(float(json).ok_or_else(bad)? as f32).to_le_bytes()),
        Phys::Double => out.extend_from_slice(&float(json).ok_or_else(bad)?.to_le_bytes()),
        Phys::String => write_bytes(json.as_str().ok_or_else(bad)?.as_bytes(), out),
        Phys::Bytes => write_bytes(&json_bytes(json).ok_or_else(bad)?, out),
        Phys::Fixed(f) => {
            let b = json_bytes(json).ok_or_else(bad)?;
            if b.len() != f.size {
                return Err(format!(
                    "{json} is not a valid default for fixed {}: {} bytes, not {}",
                    f.name.fullname(None),
                    b.len(),
                    f.size
                ));
            }
            out.extend_from_slice(&b);
        }
        Phys::Enum(e) => {
            let s = json.as_str().ok_or_else(bad)?;
            let i = e.symbols.iter().position(|x| x == s).ok_or_else(bad)?;
            write_long(i as i64, out);
        }
        Phys::Array(items) => {
            let arr = json.as_array().ok_or_else(bad)?;
            if !arr.is_empty() {
                write_long(arr.len() as i64, out);
                for v in arr {
                    encode(items, v, names, out, depth + 1)?;
                }
            }
            out.push(0);
        }
        Phys::Map(values) => {
            let obj = json.as_object().ok_or_else(bad)?;
            if !obj.is_empty() {
                write_long(obj.len() as i64, out);
                for (k, v) in obj {
                    write_bytes(k.as_bytes(), out);
                    encode(values, v, names, out, depth + 1)?;
                }
            }
            out.push(0);
        }
        Phys::Union(u) => {
            let mut last = bad();
            for (i, b) in u.variants().iter().enumerate() {
                let mark = out.len();
                write_long(i as i64, out);
                match encode(b, json, names, out, depth + 1) {
                    Ok(()) => return Ok(()),
                    Err(e) => {
                        out.truncate(mark);
                        last = e;
                    }
                }
            }
            return Err(last);
        }
        Phys::Record(r) => {
            let obj = json.as_object().ok_or_else(bad)?;
            for f in &r.fields {
                let v = obj
                    .get(&f.name)
                    .or(f.default.as_ref())
                    .ok_or_else(|| format!("default record lacks field `{}`", f.name))?;
                encode(&f.schema, v, names, out, depth + 1)?;
            }
        }
        Phys::Unknown => return Err(unknown()),
    }
    Ok(())
}

fn float(json: &Json) -> Option<f64> {
    match json {
        Json::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        other => other.as_f64(),
    }
}

/// Avro JSON for bytes/fixed: a string whose code points 0–255 are the bytes.
fn json_bytes(json: &Json) -> Option<Vec<u8>> {
    json.as_str()?
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}
