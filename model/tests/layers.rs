//! The crate's layers, as lib.rs lists them bottom to top: a module uses
//! only modules below it. This reads the sources and holds them to it, so
//! an import running upward fails here rather than in review.

use std::path::Path;

/// Bottom to top, as in lib.rs's doc comment.
const LAYERS: &[&str] = &[
    "config",
    "segment",
    "tcb",
    "system",
    "arrive",
    "properties",
    "search",
    "textbook",
    "render",
    "diagram",
    "model",
    "fast",
    "cluster",
    "check",
    "explore",
    "trace",
];

/// What the crate root re-exports, by the module that defines it.
const REEXPORTS: &[(&str, &str)] = &[
    ("Config", "config"),
    ("Preset", "config"),
    ("Profile", "config"),
    ("Variant", "config"),
    ("Sys", "system"),
    ("Action", "system"),
    ("TcpModel", "model"),
];

fn rank(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|m| *m == module)
        .unwrap_or_else(|| panic!("module {module} is not in LAYERS (nor in lib.rs's list)"))
}

/// The crate modules a line of code names: `crate::x`, `crate::{x, y}`.
fn named(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in line.split("crate::").skip(1) {
        // `crate::{x, y}` names each of x and y; `crate::x::...` names x.
        let names: Vec<&str> = match part.strip_prefix('{') {
            Some(list) => list.split('}').next().unwrap_or("").split(',').collect(),
            None => vec![part],
        };
        for name in names {
            let name: String = name
                .trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if name.is_empty() {
                continue;
            }
            let module = REEXPORTS
                .iter()
                .find(|(item, _)| *item == name)
                .map_or(name.as_str(), |(_, m)| m);
            out.push(module.to_string());
        }
    }
    out
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().unwrap() != "bin" {
                sources(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_uses_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut checked = 0;
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let module = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        if module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for used in named(line) {
                assert!(
                    used == module || rank(&used) < rank(&module),
                    "{}:{}: {module} uses {used}, which is above it: {line}",
                    rel.display(),
                    n + 1
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} uses found: is the parser right?"
    );
}

/// lib.rs's doc comment names the modules in the same order.
#[test]
fn lib_rs_lists_the_layers_in_order() {
    let lib = include_str!("../src/lib.rs");
    let doc: String = lib
        .lines()
        .filter(|l| l.starts_with("//!"))
        .collect::<Vec<_>>()
        .join("\n");
    let layers = doc.split("# Layers").nth(1).expect("a Layers section");
    let mut at = 0;
    for module in LAYERS {
        let link = if *module == "arrive" {
            "`arrive`".to_string()
        } else {
            format!("[`{module}`]")
        };
        let i = layers[at..]
            .find(&link)
            .unwrap_or_else(|| panic!("lib.rs's Layers names {module} out of order"));
        at += i;
    }
    for module in LAYERS {
        assert!(
            lib.contains(&format!("mod {module};")),
            "{module} is not a module of lib.rs"
        );
    }
}
