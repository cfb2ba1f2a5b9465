//! `schemaflow.lock`: the released versions of every subject, committed beside the schemas, so
//! that a change can be checked against what was released without git history or a registry —
//! by `schemaflow check --against lock`, and by `cargo build` through
//! `schemaflow_build::Builder::lock_file`.
//!
//! ## The file (format 1)
//!
//! TOML, written by `schemaflow lock` (keys in this order; edit it only through the command):
//!
//! ```toml
//! format = 1                                  # this layout; readers refuse other numbers
//!
//! [[subject]]
//! name = "user-events-value"                  # the registry subject (or the schema's full name)
//! type = "AVRO"                               # AVRO | PROTOBUF | JSON
//! compatibility = "BACKWARD"                  # the subject's level
//! file = "schemas/user_event.avsc"            # where the current schema lives (optional)
//!
//! [[subject.version]]
//! version = 1                                 # the registry's version number
//! fingerprint = "sha256:4f0c…"                # see below
//! references = [{ name = "com.example.events.Address", subject = "com.example.events.Address", version = 1 }]
//! schema = """
//! {"type": "record", …}"""                    # the released text, as registered
//! ```
//!
//! * Subjects are sorted by name, versions by number; `file` paths are relative to the lock
//!   file's folder (the repository root) with `/` separators.
//! * `references` name other subjects of the same lock (`name` is the Avro full name, the
//!   Protobuf import path or the JSON Schema reference name, as in the registry's `references`), so every locked version can be
//!   parsed from the lock alone.
//! * `fingerprint`: Avro — SHA-256 of the schema's Parsing Canonical Form (the Avro
//!   specification's normalisation: whitespace, attribute order, docs and defaults do not
//!   count); Protobuf — SHA-256 of the serialized `FileDescriptorProto` without source
//!   positions (comments and formatting do not count); JSON Schema — SHA-256 of the
//!   normalized text (Confluent's `normalize()`: keys sorted, no insignificant whitespace).
//!   All three come from [`crate::format`](mod@crate::format). Lower-case hex after `sha256:`.
//!   Two versions with the same fingerprint are the same schema; `lock --add` records a new
//!   version only when the fingerprint changed.
//!
//! ## Checking against it
//!
//! A current schema is checked against **every** locked version of its subject in the
//! subject's directions ([`CompatibilityLevel::transitive`]): consumers of any released
//! version may still be running, whatever the registry's own level checks on registration.
//! A subject that is not in the lock is new (nothing to compare); a locked subject whose file
//! is gone is `SCHEMA_DELETED`.

mod check;
mod file;
mod fingerprint;

pub use check::{check_subject, locked_input, LockCheck};
pub use file::{LockError, LockFile, LockedReference, LockedSubject, LockedVersion, FORMAT};
pub use fingerprint::fingerprint;

pub use crate::compat::CompatibilityLevel;
