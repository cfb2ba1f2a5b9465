//! The repository's schema files and what the registry calls them: the file tree (working
//! tree or a git commit), each file's subject, its references. One model for every command
//! that works on the repository's schemas (`check`, `lock`, `register --all`).

pub mod inputs;
pub mod references;
pub mod subjects;
pub mod tree;
pub mod waivers;

/// The subjects file looked for at the repository root (its presence also marks the root).
pub const DEFAULT_SUBJECTS_CONFIG: &str = "schemaflow-subjects.toml";
