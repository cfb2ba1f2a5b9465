//! Avro schema resolution as a byte-to-byte plan: reads a datum written with the writer schema
//! and writes the same data encoded with the reader schema, applying the specification's
//! resolution rules. The reader type's generated decoder
//! ([`AvroDatum`](super::avro::AvroDatum)) then reads the result.
//!
//! Why not apache-avro's `Value::resolve`: it needs a full `Value` tree per message, and its
//! decimal resolution rejects the minimal two's-complement bytes that Java and fastavro write.
//! Logical types resolve on their underlying physical types, as in Java.
//!
//! Rules applied (Avro specification, "Schema Resolution"):
//! promotions int→long/float/double, long→float/double, float→double, string↔bytes;
//! record fields matched by name (or reader alias), writer-only fields skipped, reader-only
//! fields filled from their default (none → the plan fails); enum symbols by name, unknown
//! ones to the reader's enum default; unions branch by branch; arrays and maps recursively;
//! named types by [`crate::avro::names_match`] (Java's rule, the checker's too); fixed sizes
//! equal. Recursive types work.

use std::collections::HashMap;

use apache_avro::schema::{RecordSchema, Schema, UnionSchema};

use crate::avro::{
    collect_named_types, encode_default, full_name, names_match, promotable, read_int, read_len,
    read_long, take, write_long, AvroDecodeError, Kind, Names, Phys, ResolveError, ResolveRule,
};

fn fail<T>(path: &str, rule: ResolveRule) -> Result<T, ResolveError> {
    Err(ResolveError {
        path: path.to_string(),
        rule,
    })
}

/// A compiled writer→reader resolution.
#[derive(Debug)]
pub struct ResolvePlan {
    steps: Vec<Step>,
    root: usize,
    shortcut: Shortcut,
}

/// The common evolutions, recognised at plan time so most messages need no re-encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shortcut {
    /// No shortcut: transcode.
    None,
    /// The reader is the writer plus trailing fields with defaults: reader bytes = writer
    /// bytes followed by these default bytes. (Decoding still runs the plan over the datum,
    /// which checks that it is exactly one writer datum.)
    AppendDefaults(Vec<u8>),
    /// The reader is the writer minus trailing fields: the reader's bytes are a prefix of the
    /// writer's; the rest (these writer-schema steps) is only validated.
    SkipTrailing(Vec<usize>),
}

#[derive(Debug, Clone)]
enum Step {
    Placeholder,
    Null,
    Boolean,
    /// Int or long: a zig-zag varint copied as is (int→long is the same bytes).
    Varint,
    IntToFloat,
    IntToDouble,
    LongToFloat,
    LongToDouble,
    Float,
    FloatToDouble,
    Double,
    /// Bytes written, read as bytes or string (same encoding, so a copy).
    LengthPrefixed,
    /// A string written: the same copy, its UTF-8 checked — as the direct read checks it —
    /// also where the reader skips the field (the fuzzer's avro_resolve found a v2 datum
    /// whose dropped `channel` was not UTF-8 resolving into v1, which the v2 read refuses).
    String,
    Fixed(usize),
    Enum {
        map: Vec<Option<i32>>,
        writer_symbols: Vec<String>,
    },
    Array(usize),
    Map(usize),
    Record(RecordPlan),
    /// Writer union → reader union: per writer branch, the reader branch and its step.
    UnionToUnion(Vec<Result<(i32, usize), ResolveError>>),
    /// Writer union → reader non-union: per writer branch, the step.
    UnionToSingle(Vec<Result<usize, ResolveError>>),
    /// Writer non-union → reader union branch.
    SingleToUnion(i32, usize),
}

#[derive(Debug, Clone)]
enum RecordPlan {
    /// Writer fields map to reader fields in increasing order: stream straight through.
    InOrder(Vec<Op>),
    /// Reader order differs: each writer field into a slot, then slots in reader order.
    Reordered {
        writer: Vec<(Option<usize>, usize)>,
        reader: Vec<Source>,
    },
}

#[derive(Debug, Clone)]
enum Op {
    Read(usize),
    Skip(usize),
    Default(Vec<u8>),
}

#[derive(Debug, Clone)]
enum Source {
    Writer(usize),
    Default(Vec<u8>),
}

struct Builder<'a> {
    steps: Vec<Step>,
    named: HashMap<(String, String), usize>,
    wnames: Names<'a>,
    rnames: Names<'a>,
}

impl ResolvePlan {
    /// Compile the plan, or say (with the element path) why `writer` data cannot be read as
    /// `reader`.
    pub fn new(writer: &Schema, reader: &Schema) -> Result<Self, ResolveError> {
        let mut b = Builder {
            steps: Vec::new(),
            named: HashMap::new(),
            wnames: HashMap::new(),
            rnames: HashMap::new(),
        };
        collect_named_types(writer, &mut b.wnames);
        collect_named_types(reader, &mut b.rnames);
        let root = b.build(writer, reader, "")?;
        let mut plan = ResolvePlan {
            steps: b.steps,
            root,
            shortcut: Shortcut::None,
        };
        plan.shortcut = plan.find_shortcut();
        Ok(plan)
    }

    /// The shortcut this plan allows (see [`Shortcut`]).
    pub fn shortcut(&self) -> &Shortcut {
        &self.shortcut
    }

    /// Validate that `rest` is exactly the trailing writer fields of a [`Shortcut::SkipTrailing`]
    /// plan (so corrupt or truncated tails are still errors).
    pub fn validate_tail(&self, mut rest: &[u8]) -> Result<(), AvroDecodeError> {
        let Shortcut::SkipTrailing(steps) = &self.shortcut else {
            return Ok(());
        };
        let mut sink = Vec::new();
        for s in steps {
            self.run(*s, &mut rest, &mut sink, 0)?;
            sink.clear();
        }
        if rest.is_empty() {
            Ok(())
        } else {
            Err(AvroDecodeError::TrailingBytes(rest.len()))
        }
    }

    fn find_shortcut(&self) -> Shortcut {
        let Some(Step::Record(RecordPlan::InOrder(ops))) = self.steps.get(self.root) else {
            return Shortcut::None;
        };
        let lead = ops
            .iter()
            .take_while(|op| matches!(op, Op::Read(s) if self.is_identity(*s, &mut Vec::new())))
            .count();
        let rest = &ops[lead..];
        if rest.is_empty() {
            return Shortcut::None;
        }
        if rest.iter().all(|op| matches!(op, Op::Default(_))) {
            let mut bytes = Vec::new();
            for op in rest {
                if let Op::Default(d) = op {
                    bytes.extend_from_slice(d);
                }
            }
            return Shortcut::AppendDefaults(bytes);
        }
        if rest.iter().all(|op| matches!(op, Op::Skip(_))) {
            return Shortcut::SkipTrailing(
                rest.iter()
                    .filter_map(|op| match op {
                        Op::Skip(s) => Some(*s),
                        _ => None,
                    })
                    .collect(),
            );
        }
        Shortcut::None
    }

    /// Whether `step` writes exactly the bytes it reads.
    fn is_identity(&self, step: usize, visiting: &mut Vec<usize>) -> bool {
        if visiting.contains(&step) {
            return true; // a recursive type: identity if the rest of it is
        }
        visiting.push(step);
        let same = match self.steps.get(step) {
            Some(Step::Null | Step::Boolean | Step::Varint | Step::Float | Step::Double)
            | Some(Step::LengthPrefixed | Step::String | Step::Fixed(_)) => true,
            Some(Step::Enum { map, .. }) => map.iter().enumerate().all(|(i, m)| *m == Some(i as i32)),
            Some(Step::Array(s) | Step::Map(s)) => self.is_identity(*s, visiting),
            Some(Step::Record(RecordPlan::InOrder(ops))) => ops
                .iter()
                .all(|op| matches!(op, Op::Read(s) if self.is_identity(*s, visiting))),
            Some(Step::UnionToUnion(branches)) => branches.iter().enumerate().all(|(i, b)| {
                matches!(b, Ok((r, s)) if *r == i as i32 && self.is_identity(*s, visiting))
            }),
            _ => false,
        };
        visiting.pop();
        same
    }

    /// Transcode one datum: `input` written with the writer schema, output appended to `out`
    /// encoded with the reader schema. Corrupt input is an error, never a panic; so are bytes
    /// after the datum ([`AvroDecodeError::TrailingBytes`]), as on the direct read.
    pub fn transcode(&self, input: &[u8], out: &mut Vec<u8>) -> Result<(), AvroDecodeError> {
        let mut cursor = input;
        self.run(self.root, &mut cursor, out, 0)?;
        if cursor.is_empty() {
            Ok(())
        } else {
            Err(AvroDecodeError::TrailingBytes(cursor.len()))
        }
    }

    fn run(
        &self,
        step: usize,
        input: &mut &[u8],
        out: &mut Vec<u8>,
        depth: u32,
    ) -> Result<(), AvroDecodeError> {
        if depth > MAX_DEPTH {
            return Err(AvroDecodeError::TooDeep);
        }
        let step = self
            .steps
            .get(step)
            .ok_or(AvroDecodeError::Internal("bad step"))?;
        match step {
            Step::Placeholder => return Err(AvroDecodeError::Internal("unfinished plan")),
            Step::Null => {}
            Step::Boolean => {
                let b = take(input, 1)?;
                if b[0] > 1 {
                    return Err(AvroDecodeError::InvalidBoolean(b[0]));
                }
                out.push(b[0]);
            }
            Step::Varint => {
                let start = *input;
                read_long(input)?;
                out.extend_from_slice(&start[..start.len() - input.len()]);
            }
            Step::IntToFloat => out.extend_from_slice(&(read_int(input)? as f32).to_le_bytes()),
            Step::IntToDouble => out.extend_from_slice(&f64::from(read_int(input)?).to_le_bytes()),
            Step::LongToFloat => out.extend_from_slice(&(read_long(input)? as f32).to_le_bytes()),
            Step::LongToDouble => out.extend_from_slice(&(read_long(input)? as f64).to_le_bytes()),
            Step::Float => out.extend_from_slice(take(input, 4)?),
            Step::FloatToDouble => {
                let b = take(input, 4)?;
                let f = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                out.extend_from_slice(&f64::from(f).to_le_bytes());
            }
            Step::Double => out.extend_from_slice(take(input, 8)?),
            Step::LengthPrefixed => {
                let start = *input;
                let len = read_len(input)?;
                take(input, len)?;
                out.extend_from_slice(&start[..start.len() - input.len()]);
            }
            Step::String => copy_str(input, out)?,
            Step::Fixed(n) => out.extend_from_slice(take(input, *n)?),
            Step::Enum {
                map,
                writer_symbols,
            } => {
                let i = read_int(input)?;
                let mapped = usize::try_from(i).ok().and_then(|i| map.get(i));
                match mapped {
                    Some(Some(r)) => write_long(i64::from(*r), out),
                    Some(None) => {
                        return Err(AvroDecodeError::UnknownEnumSymbol(
                            writer_symbols[i as usize].clone(),
                        ))
                    }
                    None => return Err(AvroDecodeError::EnumIndexOutOfRange(i)),
                }
            }
            Step::Array(item) | Step::Map(item) => {
                let is_map = matches!(step, Step::Map(_));
                loop {
                    let mut count = read_long(input)?;
                    if count == 0 {
                        break;
                    }
                    if count < 0 {
                        count = count
                            .checked_neg()
                            .ok_or(AvroDecodeError::InvalidBlockCount(count))?;
                        read_long(input)?; // block size in bytes: not needed
                    }
                    if count as u64 > input.len() as u64 && !self.zero_width(*item) {
                        return Err(AvroDecodeError::InvalidBlockCount(count));
                    }
                    write_long(count, out);
                    for _ in 0..count {
                        if is_map {
                            copy_str(input, out)?;
                        }
                        self.run(*item, input, out, depth + 1)?;
                    }
                }
                out.push(0);
            }
            Step::Record(RecordPlan::InOrder(ops)) => {
                for op in ops {
                    match op {
                        Op::Read(s) => self.run(*s, input, out, depth + 1)?,
                        Op::Skip(s) => {
                            let mark = out.len();
                            self.run(*s, input, out, depth + 1)?;
                            out.truncate(mark);
                        }
                        Op::Default(bytes) => out.extend_from_slice(bytes),
                    }
                }
            }
            Step::Record(RecordPlan::Reordered { writer, reader }) => {
                let mut scratch = Vec::new();
                let mut slots: Vec<(usize, usize)> = Vec::with_capacity(writer.len());
                for (slot, s) in writer {
                    let start = scratch.len();
                    self.run(*s, input, &mut scratch, depth + 1)?;
                    if slot.is_some() {
                        slots.push((start, scratch.len()));
                    } else {
                        scratch.truncate(start);
                        slots.push((start, start));
                    }
                }
                for src in reader {
                    match src {
                        Source::Writer(i) => {
                            let (a, b) = slots[*i];
                            out.extend_from_slice(&scratch[a..b]);
                        }
                        Source::Default(bytes) => out.extend_from_slice(bytes),
                    }
                }
            }
            Step::UnionToUnion(branches) => {
                let b = read_int(input)?;
                match usize::try_from(b).ok().and_then(|b| branches.get(b)) {
                    Some(Ok((r, s))) => {
                        write_long(i64::from(*r), out);
                        self.run(*s, input, out, depth + 1)?;
                    }
                    Some(Err(e)) => {
                        return Err(AvroDecodeError::UnreadableBranch(Box::new(e.clone())))
                    }
                    None => return Err(AvroDecodeError::UnionBranchOutOfRange(b)),
                }
            }
            Step::UnionToSingle(branches) => {
                let b = read_int(input)?;
                match usize::try_from(b).ok().and_then(|b| branches.get(b)) {
                    Some(Ok(s)) => self.run(*s, input, out, depth + 1)?,
                    Some(Err(e)) => {
                        return Err(AvroDecodeError::UnreadableBranch(Box::new(e.clone())))
                    }
                    None => return Err(AvroDecodeError::UnionBranchOutOfRange(b)),
                }
            }
            Step::SingleToUnion(r, s) => {
                write_long(i64::from(*r), out);
                self.run(*s, input, out, depth + 1)?;
            }
        }
        Ok(())
    }

    /// Items that take no bytes (null, empty records): a block count cannot be checked against
    /// the remaining input for them.
    fn zero_width(&self, step: usize) -> bool {
        match self.steps.get(step) {
            Some(Step::Null) | Some(Step::Fixed(0)) => true,
            Some(Step::Record(RecordPlan::InOrder(ops))) => ops.is_empty(),
            _ => false,
        }
    }
}

/// Copy one Avro string (a string value or a map key) from `input` to `out`, checking that it
/// is UTF-8.
fn copy_str(input: &mut &[u8], out: &mut Vec<u8>) -> Result<(), AvroDecodeError> {
    let start = *input;
    crate::avro::binary::read_str(input)?;
    out.extend_from_slice(&start[..start.len() - input.len()]);
    Ok(())
}

/// How deeply a plan nests (records, unions, arrays and maps each take a level): hostile input
/// through a recursive type must not overflow the stack — a 2 MiB thread stack (tokio's
/// workers', the test harness's) in a debug build holds about this many levels with room to
/// spare; 512 did not.
const MAX_DEPTH: u32 = 128;

impl<'a> Builder<'a> {
    fn push(&mut self, step: Step) -> usize {
        self.steps.push(step);
        self.steps.len() - 1
    }

    fn deref<'s>(
        &self,
        s: &'s Schema,
        names: &Names<'a>,
        path: &str,
    ) -> Result<&'s Schema, ResolveError>
    where
        'a: 's,
    {
        match crate::avro::deref(s, names) {
            Some(d) => Ok(d),
            None => fail(
                path,
                ResolveRule::UnknownNamedType(match s {
                    Schema::Ref { name } => name.fullname(None),
                    _ => String::new(),
                }),
            ),
        }
    }

    fn build(&mut self, w: &'a Schema, r: &'a Schema, path: &str) -> Result<usize, ResolveError> {
        let w = self.deref(w, &self.wnames.clone(), path)?;
        let r = self.deref(r, &self.rnames.clone(), path)?;
        let (wp, rp) = (Phys::of(w), Phys::of(r));

        // Named types: memoize (also what makes recursive types terminate).
        let key = match (full_name(w), full_name(r)) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        };
        if let Some(k) = &key {
            if let Some(&i) = self.named.get(k) {
                return Ok(i);
            }
        }

        let step = match (&wp, &rp) {
            (Phys::Union(wu), Phys::Union(ru)) => {
                let mut branches = Vec::new();
                for (i, wb) in wu.variants().iter().enumerate() {
                    let wb = self.deref(wb, &self.wnames.clone(), path)?;
                    branches.push(match self.best_branch(wb, ru) {
                        Some(ri) => {
                            let rb = &ru.variants()[ri];
                            match self.build(wb, rb, &format!("{path}/{i}")) {
                                Ok(s) => Ok((ri as i32, s)),
                                Err(e) => Err(e),
                            }
                        }
                        None => fail(
                            path,
                            ResolveRule::NoReaderBranch {
                                branch: i,
                                writer: kind_name(wb),
                            },
                        ),
                    });
                }
                Step::UnionToUnion(branches)
            }
            (Phys::Union(wu), _) => {
                let mut branches = Vec::new();
                for (i, wb) in wu.variants().iter().enumerate() {
                    branches.push(self.build(wb, r, &format!("{path}/{i}")));
                }
                Step::UnionToSingle(branches)
            }
            (_, Phys::Union(ru)) => {
                let Some(ri) = self.best_branch(w, ru) else {
                    return fail(
                        path,
                        ResolveRule::NotInReaderUnion {
                            writer: kind_name(w),
                        },
                    );
                };
                let s = self.build(w, &ru.variants()[ri], path)?;
                Step::SingleToUnion(ri as i32, s)
            }
            (Phys::Null, Phys::Null) => Step::Null,
            (Phys::Boolean, Phys::Boolean) => Step::Boolean,
            (Phys::Int, Phys::Int) | (Phys::Int, Phys::Long) | (Phys::Long, Phys::Long) => {
                Step::Varint
            }
            (Phys::Int, Phys::Float) => Step::IntToFloat,
            (Phys::Int, Phys::Double) => Step::IntToDouble,
            (Phys::Long, Phys::Float) => Step::LongToFloat,
            (Phys::Long, Phys::Double) => Step::LongToDouble,
            (Phys::Float, Phys::Float) => Step::Float,
            (Phys::Float, Phys::Double) => Step::FloatToDouble,
            (Phys::Double, Phys::Double) => Step::Double,
            (Phys::String, Phys::Bytes | Phys::String) => Step::String,
            (Phys::Bytes, Phys::Bytes | Phys::String) => Step::LengthPrefixed,
            (Phys::Fixed(wf), Phys::Fixed(rf)) => {
                if !names_match(&rf.name, &rf.aliases, &wf.name) {
                    return fail(
                        path,
                        ResolveRule::NameMismatch {
                            kind: "fixed",
                            writer: wf.name.fullname(None),
                            reader: rf.name.fullname(None),
                        },
                    );
                }
                let (ws, rs) = (wf.size, rf.size);
                if ws != rs {
                    return fail(
                        path,
                        ResolveRule::FixedSize {
                            writer: ws,
                            reader: rs,
                        },
                    );
                }
                Step::Fixed(ws)
            }
            (Phys::Enum(we), Phys::Enum(re)) => {
                if !names_match(&re.name, &re.aliases, &we.name) {
                    return fail(
                        path,
                        ResolveRule::NameMismatch {
                            kind: "enum",
                            writer: we.name.fullname(None),
                            reader: re.name.fullname(None),
                        },
                    );
                }
                let default = re
                    .default
                    .as_ref()
                    .and_then(|d| re.symbols.iter().position(|s| s == d));
                let map = we
                    .symbols
                    .iter()
                    .map(|s| {
                        re.symbols
                            .iter()
                            .position(|x| x == s)
                            .or(default)
                            .map(|i| i as i32)
                    })
                    .collect();
                Step::Enum {
                    map,
                    writer_symbols: we.symbols.clone(),
                }
            }
            (Phys::Array(wi), Phys::Array(ri)) => {
                let s = self.build(wi, ri, &format!("{path}/items"))?;
                Step::Array(s)
            }
            (Phys::Map(wv), Phys::Map(rv)) => {
                let s = self.build(wv, rv, &format!("{path}/values"))?;
                Step::Map(s)
            }
            (Phys::Record(wr), Phys::Record(rr)) => {
                if !names_match(&rr.name, &rr.aliases, &wr.name) {
                    return fail(
                        path,
                        ResolveRule::NameMismatch {
                            kind: "record",
                            writer: wr.name.fullname(None),
                            reader: rr.name.fullname(None),
                        },
                    );
                }
                let idx = self.push(Step::Placeholder);
                if let Some(k) = key.clone() {
                    self.named.insert(k, idx);
                }
                let plan = self.record(wr, rr, path)?;
                self.steps[idx] = Step::Record(plan);
                return Ok(idx);
            }
            _ => {
                return fail(
                    path,
                    ResolveRule::TypeMismatch {
                        writer: kind_name(w),
                        reader: kind_name(r),
                    },
                )
            }
        };
        let idx = self.push(step);
        if let Some(k) = key {
            self.named.insert(k, idx);
        }
        Ok(idx)
    }

    fn record(
        &mut self,
        wr: &'a RecordSchema,
        rr: &'a RecordSchema,
        path: &str,
    ) -> Result<RecordPlan, ResolveError> {
        // For each writer field: the reader field it feeds, if any.
        let mut target: Vec<Option<usize>> = Vec::with_capacity(wr.fields.len());
        for wf in &wr.fields {
            let pos = rr
                .fields
                .iter()
                .position(|rf| rf.name == wf.name || rf.aliases.contains(&wf.name));
            target.push(pos);
        }
        let mut wsteps = Vec::with_capacity(wr.fields.len());
        for (i, wf) in wr.fields.iter().enumerate() {
            let fpath = format!("{path}/fields/{}", wf.name);
            let s = match target[i] {
                Some(ri) => self.build(&wf.schema, &rr.fields[ri].schema, &fpath)?,
                None => self.build(&wf.schema, &wf.schema, &fpath)?,
            };
            wsteps.push(s);
        }
        // Reader fields without a writer field need their default.
        let mut defaults: Vec<Option<Vec<u8>>> = vec![None; rr.fields.len()];
        for (ri, rf) in rr.fields.iter().enumerate() {
            if target.contains(&Some(ri)) {
                continue;
            }
            let Some(default) = &rf.default else {
                return fail(
                    &format!("{path}/fields/{}", rf.name),
                    ResolveRule::MissingDefault(rf.name.clone()),
                );
            };
            let mut bytes = Vec::new();
            encode_default(&rf.schema, default, &self.rnames, &mut bytes).map_err(|e| {
                ResolveError {
                    path: format!("{path}/fields/{}", rf.name),
                    rule: ResolveRule::InvalidDefault {
                        field: rf.name.clone(),
                        reason: e.to_string(),
                    },
                }
            })?;
            defaults[ri] = Some(bytes);
        }
        let mapped: Vec<usize> = target.iter().flatten().copied().collect();
        if mapped.windows(2).all(|w| w[0] < w[1]) {
            let mut ops = Vec::new();
            let mut next_reader = 0;
            for (i, t) in target.iter().enumerate() {
                match t {
                    Some(ri) => {
                        while next_reader < *ri {
                            if let Some(d) = defaults[next_reader].take() {
                                ops.push(Op::Default(d));
                            }
                            next_reader += 1;
                        }
                        ops.push(Op::Read(wsteps[i]));
                        next_reader = ri + 1;
                    }
                    None => ops.push(Op::Skip(wsteps[i])),
                }
            }
            for d in defaults.into_iter().skip(next_reader).flatten() {
                ops.push(Op::Default(d));
            }
            Ok(RecordPlan::InOrder(ops))
        } else {
            let writer = target.iter().copied().zip(wsteps).collect();
            let reader = (0..rr.fields.len())
                .map(|ri| match target.iter().position(|t| *t == Some(ri)) {
                    Some(wi) => Source::Writer(wi),
                    None => Source::Default(defaults[ri].clone().unwrap_or_default()),
                })
                .collect();
            Ok(RecordPlan::Reordered { writer, reader })
        }
    }

    /// The reader union branch for a writer schema: same type/name first, then a promotion.
    fn best_branch(&self, w: &Schema, ru: &UnionSchema) -> Option<usize> {
        let rbs: Vec<&Schema> = ru
            .variants()
            .iter()
            .map(|b| self.deref(b, &self.rnames, "").unwrap_or(b))
            .collect();
        let wp = Phys::of(w);
        // 1. same kind and, for named types, same full name
        for (i, rb) in rbs.iter().enumerate() {
            if same_kind(&wp, &Phys::of(rb)) {
                match (full_name(w), full_name(rb)) {
                    (Some(a), Some(b)) if a != b => {}
                    _ => return Some(i),
                }
            }
        }
        // 2. same kind, unqualified name or alias
        for (i, rb) in rbs.iter().enumerate() {
            if same_kind(&wp, &Phys::of(rb)) {
                return Some(i);
            }
        }
        // 3. promotions
        rbs.iter()
            .position(|rb| promotable(wp.kind(), Kind::of(rb)))
    }
}

fn same_kind(a: &Phys<'_>, b: &Phys<'_>) -> bool {
    match (a, b) {
        (Phys::Fixed(x), Phys::Fixed(y)) => names_match(&y.name, &y.aliases, &x.name),
        (Phys::Enum(x), Phys::Enum(y)) => names_match(&y.name, &y.aliases, &x.name),
        (Phys::Record(x), Phys::Record(y)) => names_match(&y.name, &y.aliases, &x.name),
        (Phys::Union(_), _) | (_, Phys::Union(_)) | (Phys::Unknown, _) | (_, Phys::Unknown) => {
            false
        }
        _ => a.kind() == b.kind(),
    }
}

fn kind_name(s: &Schema) -> String {
    let word = Kind::of(s).word();
    match full_name(s) {
        Some(n) => format!("{word} {n}"),
        None => word.to_string(),
    }
}

#[cfg(test)]
mod tests {
    //! Each case: a writer schema, a value, a reader schema. The plan's output, read with the
    //! reader schema, must equal apache-avro's own `Value` resolution of the same bytes (an
    //! independent implementation), and the expected value.
    use super::*;
    use apache_avro::reader::datum::GenericDatumReader;
    use apache_avro::types::{Record, Value};
    use apache_avro::writer::datum::GenericDatumWriter;

    fn check(writer: &str, value: Value, reader: &str, expected: Value) {
        let w = Schema::parse_str(writer).unwrap();
        let r = Schema::parse_str(reader).unwrap();
        let bytes = GenericDatumWriter::builder(&w)
            .build()
            .unwrap()
            .write_value_to_vec(value)
            .unwrap();
        let plan = ResolvePlan::new(&w, &r).unwrap();
        let mut out = Vec::new();
        plan.transcode(&bytes, &mut out).unwrap();
        let ours = GenericDatumReader::builder(&r)
            .build()
            .unwrap()
            .read_value(&mut out.as_slice())
            .unwrap();
        let theirs = GenericDatumReader::builder(&w)
            .reader_schema(&r)
            .build()
            .unwrap()
            .read_value(&mut bytes.as_slice())
            .unwrap();
        assert_eq!(ours, expected, "plan output");
        assert_eq!(theirs, expected, "apache-avro resolution");
    }

    fn fails(writer: &str, reader: &str, needle: &str) {
        let w = Schema::parse_str(writer).unwrap();
        let r = Schema::parse_str(reader).unwrap();
        let err = ResolvePlan::new(&w, &r).unwrap_err().to_string();
        assert!(err.contains(needle), "{err}");
    }

    #[test]
    fn promotions() {
        check(r#""int""#, Value::Int(-7), r#""long""#, Value::Long(-7));
        check(r#""int""#, Value::Int(3), r#""float""#, Value::Float(3.0));
        check(r#""int""#, Value::Int(3), r#""double""#, Value::Double(3.0));
        check(
            r#""long""#,
            Value::Long(1 << 40),
            r#""double""#,
            Value::Double((1u64 << 40) as f64),
        );
        check(
            r#""float""#,
            Value::Float(1.5),
            r#""double""#,
            Value::Double(1.5),
        );
        check(
            r#""string""#,
            Value::String("hé".into()),
            r#""bytes""#,
            Value::Bytes("hé".as_bytes().to_vec()),
        );
        check(
            r#""bytes""#,
            Value::Bytes(b"ab".to_vec()),
            r#""string""#,
            Value::String("ab".into()),
        );
        fails(r#""long""#, r#""int""#, "cannot be read as int");
        fails(r#""double""#, r#""float""#, "cannot be read");
    }

    #[test]
    fn records_reorder_skip_and_default() {
        let w = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"gone","type":{"type":"array","items":"string"}},{"name":"b","type":"string"}]}"#;
        let r = r#"{"type":"record","name":"R","fields":[{"name":"b","type":"string"},{"name":"c","type":"long","default":5},{"name":"a","type":"long"}]}"#;
        let ws = Schema::parse_str(w).unwrap();
        let mut rec = Record::new(&ws).unwrap();
        rec.put("a", 1);
        rec.put("gone", Value::Array(vec![Value::String("x".into())]));
        rec.put("b", "hi");
        check(
            w,
            rec.into(),
            r,
            Value::Record(vec![
                ("b".into(), Value::String("hi".into())),
                ("c".into(), Value::Long(5)),
                ("a".into(), Value::Long(1)),
            ]),
        );
        fails(
            w,
            r#"{"type":"record","name":"R","fields":[{"name":"z","type":"int"}]}"#,
            "no default",
        );
    }

    #[test]
    fn enums_by_symbol_and_default() {
        let w = r#"{"type":"enum","name":"E","symbols":["A","B","C"]}"#;
        let r = r#"{"type":"enum","name":"E","symbols":["C","A"],"default":"A"}"#;
        check(w, Value::Enum(2, "C".into()), r, Value::Enum(0, "C".into()));
        check(w, Value::Enum(1, "B".into()), r, Value::Enum(1, "A".into()));
        fails(
            w,
            r#"{"type":"enum","name":"Other","symbols":["A"]}"#,
            "cannot be read as enum",
        );
    }

    #[test]
    fn unions() {
        let w = r#"["null","int","string"]"#;
        let r = r#"["string","null","long"]"#;
        check(
            w,
            Value::Union(1, Box::new(Value::Int(4))),
            r,
            Value::Union(2, Box::new(Value::Long(4))),
        );
        check(
            w,
            Value::Union(0, Box::new(Value::Null)),
            r,
            Value::Union(1, Box::new(Value::Null)),
        );
        // non-union writer into a union reader
        check(
            r#""int""#,
            Value::Int(9),
            r#"["null","long"]"#,
            Value::Union(1, Box::new(Value::Long(9))),
        );
        // union writer into a non-union reader, branch readable
        check(
            r#"["int","long"]"#,
            Value::Union(0, Box::new(Value::Int(2))),
            r#""long""#,
            Value::Long(2),
        );
        fails(r#""boolean""#, r#"["null","string"]"#, "no branch");
    }

    #[test]
    fn arrays_maps_fixed_recursive() {
        check(
            r#"{"type":"map","values":{"type":"array","items":"int"}}"#,
            Value::Map(
                [(
                    "k".to_string(),
                    Value::Array(vec![Value::Int(1), Value::Int(2)]),
                )]
                .into(),
            ),
            r#"{"type":"map","values":{"type":"array","items":"double"}}"#,
            Value::Map(
                [(
                    "k".to_string(),
                    Value::Array(vec![Value::Double(1.0), Value::Double(2.0)]),
                )]
                .into(),
            ),
        );
        check(
            r#"{"type":"fixed","name":"F","size":2}"#,
            Value::Fixed(2, vec![1, 2]),
            r#"{"type":"fixed","name":"F","size":2}"#,
            Value::Fixed(2, vec![1, 2]),
        );
        fails(
            r#"{"type":"fixed","name":"F","size":2}"#,
            r#"{"type":"fixed","name":"F","size":3}"#,
            "size",
        );
        let list_w = r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}"#;
        let list_r = r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"long"},{"name":"next","type":["null","Node"]},{"name":"tag","type":"string","default":"t"}]}"#;
        let tail = Value::Record(vec![
            ("v".into(), Value::Int(2)),
            ("next".into(), Value::Union(0, Box::new(Value::Null))),
        ]);
        let head = Value::Record(vec![
            ("v".into(), Value::Int(1)),
            ("next".into(), Value::Union(1, Box::new(tail))),
        ]);
        let rtail = Value::Record(vec![
            ("v".into(), Value::Long(2)),
            ("next".into(), Value::Union(0, Box::new(Value::Null))),
            ("tag".into(), Value::String("t".into())),
        ]);
        let rhead = Value::Record(vec![
            ("v".into(), Value::Long(1)),
            ("next".into(), Value::Union(1, Box::new(rtail))),
            ("tag".into(), Value::String("t".into())),
        ]);
        check(list_w, head, list_r, rhead);
    }

    #[test]
    fn shortcuts_for_trailing_additions_and_removals() {
        let v1 = Schema::parse_str(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"s","type":"string"}]}"#).unwrap();
        let v2 = Schema::parse_str(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"s","type":"string"},{"name":"c","type":"string","default":"x"}]}"#).unwrap();
        let plan = ResolvePlan::new(&v1, &v2).unwrap();
        assert_eq!(plan.shortcut(), &Shortcut::AppendDefaults(vec![2, b'x']));
        let back = ResolvePlan::new(&v2, &v1);
        // long → int is not a promotion: no plan at all.
        assert!(back.is_err());
        let v2i = Schema::parse_str(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"s","type":"string"},{"name":"c","type":"string","default":"x"}]}"#).unwrap();
        let plan = ResolvePlan::new(&v2i, &v1).unwrap();
        assert!(matches!(plan.shortcut(), Shortcut::SkipTrailing(s) if s.len() == 1));
        assert!(plan.validate_tail(&[2, b'z']).is_ok());
        assert!(plan.validate_tail(&[4, b'z']).is_err(), "truncated tail");
        assert!(
            plan.validate_tail(&[2, b'z', 0]).is_err(),
            "trailing garbage"
        );
        // A promotion that changes bytes, or a reorder, gets no shortcut.
        let f = Schema::parse_str(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"double"},{"name":"s","type":"string"}]}"#).unwrap();
        assert_eq!(
            ResolvePlan::new(&v1, &f).unwrap().shortcut(),
            &Shortcut::None
        );
        let swapped = Schema::parse_str(r#"{"type":"record","name":"R","fields":[{"name":"s","type":"string"},{"name":"a","type":"int"}]}"#).unwrap();
        assert_eq!(
            ResolvePlan::new(&v1, &swapped).unwrap().shortcut(),
            &Shortcut::None
        );
    }

    /// The runtime (this plan) and the checker answer alias questions by one rule
    /// ([`crate::avro::names_match`], Java's): a rename the checker rejects is one the codec
    /// cannot read, and the other way round.
    #[test]
    fn runtime_and_checker_agree_on_renames() {
        use crate::compat::avro::{differences, AvroCompatSchema};
        use crate::compat::SchemaInput;
        let rec = |name: &str, aliases: &str| {
            format!(
                r#"{{"type":"record","name":"{name}"{aliases},"fields":[{{"name":"a","type":"int"}}]}}"#
            )
        };
        let en = |name: &str, aliases: &str| {
            format!(r#"{{"type":"enum","name":"{name}"{aliases},"symbols":["X"]}}"#)
        };
        let fx = |name: &str, aliases: &str| {
            format!(r#"{{"type":"fixed","name":"{name}"{aliases},"size":2}}"#)
        };
        // (reader name, reader aliases, writer name, readable)
        let cases = [
            ("a.R", "", "a.R", true),
            ("b.R", "", "a.R", true), // namespace change: unqualified names equal (Java)
            ("a.S", r#","aliases":["R"]"#, "a.R", true), // alias in the reader's namespace
            ("b.S", r#","aliases":["a.R"]"#, "a.R", true), // fully qualified alias
            ("b.S", r#","aliases":["R"]"#, "a.R", false), // alias means b.R, not a.R
            ("b.S", r#","aliases":["c.R"]"#, "a.R", false), // same short name, other type
            ("a.S", "", "a.R", false),
        ];
        for make in [rec, en, fx] {
            for (rname, aliases, wname, readable) in cases {
                let (r, w) = (make(rname, aliases), make(wname, ""));
                let runtime = ResolvePlan::new(
                    &Schema::parse_str(&w).unwrap(),
                    &Schema::parse_str(&r).unwrap(),
                )
                .is_ok();
                let input = |text: &str| {
                    AvroCompatSchema::parse(&SchemaInput::new(crate::SchemaType::Avro, text, "t"))
                        .unwrap()
                };
                let checker = differences(&input(&r), &input(&w), "reader", "writer").is_empty();
                assert_eq!(runtime, readable, "runtime: reader {r} writer {w}");
                assert_eq!(checker, readable, "checker: reader {r} writer {w}");
            }
        }
    }

    #[test]
    fn minimal_decimal_bytes_pass_through() {
        // apache-avro's own resolution rejects this (2 bytes < precision 10's length); ours copies.
        let s = r#"{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}"#;
        let w = Schema::parse_str(s).unwrap();
        let plan = ResolvePlan::new(&w, &Schema::parse_str(r#""bytes""#).unwrap()).unwrap();
        let mut out = Vec::new();
        plan.transcode(&[4, 0x04, 0xd2], &mut out).unwrap();
        assert_eq!(out, [4, 0x04, 0xd2]);
    }
}
