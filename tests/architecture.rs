//! The boundaries ARCHITECTURE.md promises, checked on the source tree, so
//! that an arrow that must never exist fails the build's tests the day it
//! is added rather than being found in a review:
//!
//! - which workspace crates each crate may depend on (normal dependencies);
//! - which parts of the product may not name which crates or modules
//!   (config names neither the conversation nor the Okta client, the server
//!   does not reach into the Okta client, no library code uses the simulated
//!   org or the bench, nothing on the server's path uses the login client);
//! - no import circle between the files of one folder, in any crate.
//!
//! References are read from the text: `crate::a::b`, `super::x`, and the
//! braces of grouped `use` lines. Re-exports (`pub use`) in `mod.rs` and
//! `lib.rs` are a folder's facade, not a dependency, and are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The code of a file without comments (line comments only: the project
/// does not use block comments for prose) and without its unit tests (an
/// inline `mod tests` at the end, whose `super::` is the file itself).
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .take_while(|line| line.trim() != "#[cfg(test)]")
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A module path such as `["auth", "login"]` for `src/auth/login.rs`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap_or(file);
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The module paths a file's code refers to (resolved against its own
/// module), without re-export lines.
fn references(code: &str, module: &[String], is_facade: bool) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    for statement in code.split(';') {
        let trimmed = statement.trim_start();
        if is_facade && (trimmed.starts_with("pub use") || trimmed.starts_with("pub(crate) use")) {
            continue;
        }
        for (at, _) in statement.match_indices("crate::") {
            let before = statement[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            for path in expand(&statement[at + "crate::".len()..]) {
                found.insert(path);
            }
        }
        for (at, _) in statement.match_indices("super::") {
            let before = statement[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let mut base = module.to_vec();
            let mut rest = &statement[at..];
            while let Some(after) = rest.strip_prefix("super::") {
                base.pop();
                rest = after;
            }
            for path in expand(rest) {
                let mut full = base.clone();
                full.extend(path);
                found.insert(full);
            }
        }
    }
    found
}

/// The paths at the start of `text`: `a::b::C` or `a::{b, c::d}`.
fn expand(text: &str) -> Vec<Vec<String>> {
    let mut prefix = Vec::new();
    let mut rest = text;
    loop {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            if let Some(inner) = rest.strip_prefix('{') {
                let mut depth = 1;
                let mut end = 0;
                for (i, c) in inner.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = i;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let mut paths = Vec::new();
                let mut depth = 0;
                let mut start = 0;
                let group = &inner[..end];
                for (i, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            for path in expand(group[start..i].trim()) {
                                paths.push([prefix.clone(), path].concat());
                            }
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
                for path in expand(group[start..].trim()) {
                    paths.push([prefix.clone(), path].concat());
                }
                return paths;
            }
            return vec![prefix];
        }
        rest = &rest[name.len()..];
        prefix.push(name);
        match rest.strip_prefix("::") {
            Some(after) => rest = after,
            None => return vec![prefix],
        }
    }
}

/// Cycles between the files of each folder of the crate rooted at `src`.
/// A `mod.rs` or `lib.rs` is one of its folder's files: it names its
/// children by their bare names (`login::start`), which count too.
fn folder_cycles(src: &Path) -> Vec<String> {
    let files: Vec<PathBuf> = rust_files(src)
        .into_iter()
        .filter(|file| !file.ends_with("tests.rs"))
        .collect();
    let modules: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .map(|file| (module_of(src, file), file.clone()))
        .collect();
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for (module, file) in &modules {
        let is_facade = file
            .file_name()
            .is_some_and(|name| name == "mod.rs" || name == "lib.rs" || name == "main.rs")
            || file.with_extension("").is_dir();
        let code = code_of(file);
        let mut targets = references(&code, module, is_facade);
        if is_facade {
            // Children named by their bare names.
            for child in modules
                .keys()
                .filter(|child| child.len() == module.len() + 1 && child.starts_with(module))
            {
                let name = child.last().cloned().unwrap_or_default();
                let named = code.split(';').any(|statement| {
                    let trimmed = statement.trim_start();
                    !trimmed.starts_with("pub use")
                        && !trimmed.starts_with("pub(crate) use")
                        && statement
                            .match_indices(&format!("{name}::"))
                            .any(|(at, _)| {
                                !statement[..at]
                                    .chars()
                                    .last()
                                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
                            })
                });
                if named {
                    targets.insert(child.clone());
                }
            }
        }
        for target in targets {
            let owner = (0..=target.len())
                .rev()
                .map(|n| target[..n].to_vec())
                .find(|candidate| modules.contains_key(candidate));
            let Some(owner_file) = owner.and_then(|owner| modules.get(&owner)) else {
                continue;
            };
            if owner_file != file && !folders_of(owner_file).is_disjoint(&folders_of(file)) {
                edges
                    .entry(file.clone())
                    .or_default()
                    .insert(owner_file.clone());
            }
        }
    }
    let mut cycles = Vec::new();
    for (from, targets) in &edges {
        for to in targets {
            if from < to && reaches(&edges, to, from) {
                cycles.push(format!("{} <-> {}", from.display(), to.display()));
            }
        }
    }
    cycles
}

/// The folders a file is one of the files of: the folder it sits in, and,
/// for `x.rs` beside a folder `x/`, that folder too (it is its facade).
fn folders_of(file: &Path) -> BTreeSet<PathBuf> {
    let mut folders = BTreeSet::new();
    if let Some(parent) = file.parent() {
        folders.insert(parent.to_path_buf());
    }
    let own = file.with_extension("");
    if own.is_dir() {
        folders.insert(own);
    }
    folders
}

fn reaches(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>, from: &Path, to: &Path) -> bool {
    let mut seen = BTreeSet::new();
    let mut pending = vec![from.to_path_buf()];
    while let Some(at) = pending.pop() {
        if at == to {
            return true;
        }
        if seen.insert(at.clone())
            && let Some(next) = edges.get(&at)
        {
            pending.extend(next.iter().cloned());
        }
    }
    false
}

/// The workspace crates a crate's manifest names under `[dependencies]`.
fn workspace_dependencies(manifest: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(manifest).unwrap_or_default();
    let ours = [
        "radius-proto",
        "okta-api",
        "okta-client",
        "okta-sim",
        "radius-bench",
        "radius-login",
        "okta-radius",
    ];
    let mut section = String::new();
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line.to_owned();
            continue;
        }
        if section != "[dependencies]" {
            continue;
        }
        let name = line
            .split(['=', '.', ' '])
            .next()
            .unwrap_or_default()
            .trim();
        if ours.contains(&name) {
            found.insert(name.to_owned());
        }
    }
    found
}

#[test]
fn crates_depend_only_on_what_they_may() {
    let allowed: &[(&str, &[&str])] = &[
        ("crates/radius-proto", &[]),
        ("crates/okta-api", &[]),
        ("crates/okta-client", &["okta-api"]),
        ("crates/okta-sim", &["okta-api"]),
        ("crates/radius-bench", &["radius-proto", "okta-sim"]),
        ("crates/radius-login", &["radius-proto"]),
    ];
    for (dir, may) in allowed {
        let found = workspace_dependencies(&root().join(dir).join("Cargo.toml"));
        let extra: Vec<_> = found
            .iter()
            .filter(|name| !may.contains(&name.as_str()))
            .collect();
        assert!(
            extra.is_empty(),
            "{dir} depends on {extra:?}; it may depend only on {may:?}"
        );
    }
}

#[test]
fn the_product_keeps_its_arrows() {
    // (folder, what its files must never name, why)
    let rules: &[(&str, &[&str], &str)] = &[
        (
            "src/config",
            &[
                "crate::auth",
                "okta_client",
                "crate::server",
                "crate::service",
            ],
            "the config is read by everything and reads nothing of the service",
        ),
        (
            "src/server",
            &["okta_client", "okta_sim", "radius_bench"],
            "the server hands requests to the conversation and never talks to Okta",
        ),
        (
            "src/auth",
            &[
                "okta_sim",
                "radius_bench",
                "crate::server",
                "crate::service",
            ],
            "the conversation knows neither sockets nor the simulated org",
        ),
        (
            "src/telemetry",
            &["crate::auth", "crate::server", "okta_sim"],
            "logging and metrics serve everyone and depend on no one",
        ),
        (
            "src/accounting",
            &[
                "okta_client",
                "okta_sim",
                "crate::auth",
                "crate::server",
                "crate::disconnect",
            ],
            "accounting stores records and sessions; the server feeds it and disconnects read it",
        ),
        (
            "src/disconnect",
            &["okta_sim", "radius_bench", "crate::server", "crate::auth"],
            "disconnects follow Okta and read the session table, beside the request path",
        ),
    ];
    let mut broken = Vec::new();
    for (folder, forbidden, why) in rules {
        for file in rust_files(&root().join(folder)) {
            let code = code_of(&file);
            for name in *forbidden {
                if code.contains(name) {
                    broken.push(format!("{} names {name}: {why}", file.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn the_login_client_stays_off_the_servers_path() {
    // `okta-radius login` is a client: only the command line starts it.
    let mut broken = Vec::new();
    for folder in [
        "src/config",
        "src/server",
        "src/auth",
        "src/service",
        "src/telemetry",
    ] {
        for file in rust_files(&root().join(folder)) {
            if code_of(&file).contains("radius_login") {
                broken.push(format!("{} names radius_login", file.display()));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn conversation_steps_never_call_back_into_the_driver() {
    // Steps say what happens next; only the driver (and the entry point
    // that starts it) act on it.
    let src = root().join("src");
    let mut broken = Vec::new();
    for file in rust_files(&src.join("auth")) {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        if matches!(name.as_deref(), Some("driver.rs" | "mod.rs")) {
            continue;
        }
        let module = module_of(&src, &file);
        for path in references(&code_of(&file), &module, false) {
            let names = |item: &[&str]| {
                path.iter()
                    .map(String::as_str)
                    .take(item.len())
                    .eq(item.iter().copied())
            };
            if names(&["auth", "driver"]) || names(&["auth", "Authenticator"]) {
                broken.push(format!("{} names {}", file.display(), path.join("::")));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn no_import_circle_between_the_files_of_a_folder() {
    let mut cycles = Vec::new();
    let crates = root().join("crates");
    let mut roots = vec![root().join("src")];
    if let Ok(entries) = std::fs::read_dir(&crates) {
        for entry in entries.flatten() {
            roots.push(entry.path().join("src"));
        }
    }
    for src in roots {
        cycles.extend(folder_cycles(&src));
    }
    assert!(cycles.is_empty(), "import circles:\n{}", cycles.join("\n"));
}
