//! README's "Use it in your crate" shows `examples/orders-service` as it is: every line of its
//! `build.rs` and `src/lib.rs` blocks, and the dependency lines of its `Cargo.toml` block, are
//! in those files (which the test command builds and runs against a real broker).
use std::path::Path;

fn section(readme: &str) -> &str {
    let start = readme
        .find("## Use it in your crate")
        .expect("README has the section");
    let rest = &readme[start + 3..];
    let end = rest.find("\n## ").map_or(rest.len(), |e| e);
    &rest[..end]
}

/// The fenced code blocks of `text`, in order.
fn blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with("```") {
            match current.take() {
                Some(b) => out.push(b),
                None => current = Some(String::new()),
            }
        } else if let Some(b) = current.as_mut() {
            b.push_str(line);
            b.push('\n');
        }
    }
    out
}

#[test]
fn the_readme_section_is_the_downstream_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let blocks = blocks(section(&readme));
    assert_eq!(blocks.len(), 3, "Cargo.toml, build.rs, lib.rs blocks");
    let crate_dir = root.join("examples/orders-service");
    let read = |f: &str| std::fs::read_to_string(crate_dir.join(f)).unwrap();
    let manifest = read("Cargo.toml");
    for line in blocks[0].lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            manifest.lines().any(|m| m == line),
            "Cargo.toml lacks {line:?}"
        );
    }
    assert_eq!(
        blocks[1],
        read("build.rs"),
        "build.rs differs from the README"
    );
    assert!(
        read("src/lib.rs").contains(&blocks[2]),
        "src/lib.rs lacks the README's block:\n{}",
        blocks[2]
    );
    assert!(read("src/lib.rs").contains("#![deny(warnings, missing_docs)]"));
}
