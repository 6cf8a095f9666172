//! The architecture, checked on the sources: a module imports only from layers below it (no
//! circles), and only the napi glue (`src/node/`) knows napi.
//!
//! Layers, top to bottom (a module may use any module of a lower layer, none of its own or a
//! higher one): the napi glue → lib.rs (the table of contents) → agent tools → queries / OAuth /
//! webhooks → the client → storage → the API transport / configuration / the dispute and early-fraud-warning
//! types / the customer cache → ids /
//! secrets / HTTP → errors → quoting. `crate::Name` paths that go through lib.rs's re-exports count as the module
//! the name comes from.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

const LAYERS: &[(&str, u8)] = &[
    ("node", 10),
    ("lib", 9),
    ("tools", 8),
    ("queries", 7),
    ("oauth", 7),
    ("webhooks", 7),
    ("client", 6),
    ("signature", 5),
    ("store", 5),
    ("api", 4),
    ("config", 4),
    ("dispute", 4),
    ("fraud_warning", 4),
    ("cache", 4),
    ("ids", 3),
    ("secret", 3),
    ("http", 3),
    ("error", 2),
    ("quote", 1),
];

/// Arrows that run the wrong way today, each with the change that removes it. Keep this empty: an
/// entry that no longer matches any import fails the test, so it is removed with its cause.
const KNOWN_EXCEPTIONS: &[(&str, &str, &str)] = &[];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/queries/types.rs` → `queries`, `src/lib.rs` → `lib`.
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(src()).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
    first.trim_end_matches(".rs").to_string()
}

/// The code without comments (line comments, doc comments and block comments).
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |i| &after[i..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |i| &after[i + 2..]);
        } else if rest.starts_with('"') {
            // Skip string literals: a message may mention `crate::…` or napi.
            let bytes = rest.as_bytes();
            let mut i = 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            rest = rest.get(i + 1..).unwrap_or("");
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn ident_at(s: &str) -> &str {
    let s = s.trim_start();
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The first identifier of each top-level item of a `{ a::b, c, d::{e, f} }` group.
fn group_heads(group: &str) -> Vec<&str> {
    let (mut depth, mut start, mut heads) = (0, 0, Vec::new());
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                heads.push(ident_at(&group[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    heads.push(ident_at(&group[start..]));
    heads.into_iter().filter(|h| !h.is_empty()).collect()
}

/// Every first segment after `crate::` in `code` (`crate::{a, b::c}` gives `a` and `b`).
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(group.len(), |(j, _)| j);
            out.extend(group_heads(&group[..end]).into_iter().map(str::to_string));
        } else {
            out.push(ident_at(after).to_string());
        }
        rest = after;
    }
    out
}

/// lib.rs's flat re-exports: `pub use module::{Name, …}` → Name → module.
fn reexports(lib: &str) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for item in lib.split("pub use ").skip(1) {
        let item = &item[..item.find(';').unwrap_or(item.len())];
        let module = ident_at(item).to_string();
        let tail = &item[module.len()..].trim_start_matches("::");
        let listed: Vec<&str> = if let Some(g) = tail.strip_prefix('{') {
            group_heads(g.trim_end_matches('}'))
        } else {
            vec![ident_at(tail)]
        };
        for name in listed {
            names.insert(name.to_string(), module.clone());
        }
    }
    names
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let rank: HashMap<&str, u8> = LAYERS.iter().copied().collect();
    let lib = code_of(&std::fs::read_to_string(src().join("lib.rs")).unwrap());
    let names = reexports(&lib);
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut wrong = Vec::new();
    let mut excused = Vec::new();
    for file in &files {
        let from = module_of(file);
        let Some(&from_rank) = rank.get(from.as_str()) else {
            wrong.push(format!("{}: module `{from}` has no layer: add it to LAYERS", file.display()));
            continue;
        };
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        for head in crate_paths(&code) {
            let to = if rank.contains_key(head.as_str()) {
                head.clone()
            } else if let Some(module) = names.get(&head) {
                module.clone()
            } else if head == "self" || head.is_empty() {
                continue;
            } else {
                // A name lib.rs defines itself, or a macro exported at the root: lib's layer.
                "lib".to_string()
            };
            if to == from {
                continue;
            }
            if KNOWN_EXCEPTIONS.iter().any(|(a, b, _)| *a == from && *b == to) {
                excused.push((from.clone(), to));
                continue;
            }
            let to_rank = rank.get(to.as_str()).copied().unwrap_or(u8::MAX);
            if to_rank >= from_rank {
                wrong.push(format!("{}: `{from}` uses `crate::{head}` from `{to}`, not below it", file.display()));
            }
        }
    }
    for (a, b, why) in KNOWN_EXCEPTIONS {
        if !excused.iter().any(|(x, y)| x == a && y == b) {
            wrong.push(format!("KNOWN_EXCEPTIONS lists `{a}` -> `{b}` ({why}), which no import needs now: remove it"));
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "imports against the layers:\n{}", wrong.join("\n"));
}

/// Outside the glue, napi may appear only as an attribute that exists under the `node` feature:
/// `#[cfg_attr(feature = "node", napi…)]` on a result type, so that its TypeScript type is
/// generated from its one declaration (issue 20). The core still builds without napi. True when
/// napi appears anywhere else in `source`.
fn napi_outside_feature_attributes(source: &str) -> bool {
    let mut rest = source;
    let mut outside = String::new();
    while let Some(at) = rest.find("#[cfg_attr(") {
        outside.push_str(&rest[..at]);
        // The attribute runs to the `)]` that closes it (rustfmt may spread it over lines).
        let attribute = &rest[at..];
        let end = attribute.find(")]").map_or(attribute.len(), |e| e + 2);
        let words: String = attribute[..end].split_whitespace().collect::<Vec<_>>().join(" ");
        if !words.starts_with("#[cfg_attr( feature = \"node\", napi")
            && !words.starts_with("#[cfg_attr(feature = \"node\", napi")
        {
            outside.push_str(&attribute[..end]);
        }
        rest = &attribute[end..];
    }
    outside.push_str(rest);
    code_of(&outside).contains("napi")
}

#[test]
fn only_the_glue_knows_napi() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut wrong = Vec::new();
    for file in files.iter().filter(|f| module_of(f) != "node") {
        if napi_outside_feature_attributes(&std::fs::read_to_string(file).unwrap()) {
            wrong.push(file.display().to_string());
        }
    }
    assert!(napi_outside_feature_attributes("use napi::Env;"));
    assert!(napi_outside_feature_attributes("#[cfg_attr(feature = \"node\", derive(X))] #[napi]"));
    assert!(napi_outside_feature_attributes("#[cfg_attr(feature = \"serde\", napi(object))] struct A;"));
    assert!(!napi_outside_feature_attributes("#[cfg_attr(feature = \"node\", napi(ts_type = \"string\"))]"));
    assert!(!napi_outside_feature_attributes(
        "#[cfg_attr(\n    feature = \"node\",\n    napi_derive::napi(object)\n)]\nstruct A;"
    ));
    assert!(wrong.is_empty(), "napi outside src/node/: {wrong:?}");
    // And the glue is compiled only with the feature.
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    assert!(lib.contains("#[cfg(feature = \"node\")]\npub mod node;"), "src/node must sit behind the `node` feature");
}

#[test]
fn the_checker_sees_what_it_checks() {
    assert_eq!(crate_paths("use crate::{api::Api, ids::{AccountId, AppSlug}};"), ["api", "ids"]);
    assert_eq!(crate_paths("let x = crate::store::Connection::new(); crate::Error::from(e)"), ["store", "Error"]);
    assert_eq!(code_of("a // crate::x\nb /* napi */ \"crate::y\" c"), "a \nb  \"\" c");
    assert_eq!(module_of(&src().join("queries").join("types.rs")), "queries");
    let names = reexports("pub use config::{Config, Scope};\npub use http::USER_AGENT;");
    assert_eq!(names.get("Scope").map(String::as_str), Some("config"));
    assert_eq!(names.get("USER_AGENT").map(String::as_str), Some("http"));
}

/// Issue 20: the id and slug rules live in `src/ids.rs` only; the JSON Schemas a model is shown
/// are generated from them. A regex restating them anywhere else (a schema literal, a TypeScript
/// check) could drift from the parser, so none may be written outside `src/ids.rs`.
#[test]
fn id_and_slug_patterns_are_written_only_in_ids() {
    use stripe_connect::{AccountId, ChargeId, ClientId, CustomerId, DisputeId, RefundId};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut needles: Vec<String> = vec!["A-Za-z0-9_.-".into(), "(?!acct_".into(), "\"pattern\"".into()];
    for prefixes in [
        AccountId::PREFIXES,
        CustomerId::PREFIXES,
        ChargeId::PREFIXES,
        RefundId::PREFIXES,
        DisputeId::PREFIXES,
        ClientId::PREFIXES,
    ] {
        // `(ch|py)_` and `(?:ch_|py_)`, the two ways to write an id type's prefixes as a regex.
        if prefixes.len() > 1 {
            needles
                .push(format!("({})_", prefixes.iter().map(|p| p.trim_end_matches('_')).collect::<Vec<_>>().join("|")));
            needles.push(prefixes.join("|"));
        }
    }
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    ts_files(&root.join("bindings").join("src"), &mut files);
    let mut wrong = Vec::new();
    for file in files.iter().filter(|f| !f.ends_with("src/ids.rs")) {
        let text = std::fs::read_to_string(file).unwrap();
        for needle in &needles {
            if text.contains(needle.as_str()) {
                wrong.push(format!("{}: `{needle}`", file.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "id or slug rules restated outside src/ids.rs:\n{}", wrong.join("\n"));
    // The check would see one: the schema literal this replaced.
    let old = r#""pattern": "^(ch|py)_[A-Za-z0-9_]{1,250}$""#;
    assert!(needles.iter().filter(|n| old.contains(n.as_str())).count() >= 2, "{needles:?}");
}

fn ts_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            ts_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "ts" || e == "mts") {
            out.push(path);
        }
    }
}
