//! Build steps of the app crate:
//! - `sqlx::migrate!` embeds the migrations: rebuild when they change.
//! - The texts: every `i18n/*.toml` (one file per language) is checked —
//!   the same keys in every file, the same placeholders in every text —
//!   and turned into one `Texts` and one `ConsoleTexts` value per language
//!   (`$OUT_DIR/texts.rs`, included by `src/i18n.rs`). A missing key or a
//!   dropped placeholder stops the build, naming the file and the key.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;

/// The languages, as (file, constant prefix); the first is the reference.
const LANGUAGES: [(&str, &str); 3] = [("zh-CN", "ZH_CN"), ("zh-TW", "ZH_TW"), ("en", "EN")];
/// (section in the files, struct).
const SECTIONS: [(&str, &str); 2] = [("widget", "Texts"), ("console", "ConsoleTexts")];

type Section = BTreeMap<String, String>;

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("i18n");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<BTreeMap<String, Section>> = Vec::new();
    for (lang, _) in LANGUAGES {
        let path = dir.join(format!("{lang}.toml"));
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        files.push(read(lang, &text));
    }
    let mut problems = Vec::new();
    for (section, _) in SECTIONS {
        let reference = &files[0][section];
        for (i, (lang, _)) in LANGUAGES.iter().enumerate().skip(1) {
            let other = &files[i][section];
            for key in reference.keys().filter(|k| !other.contains_key(*k)) {
                problems.push(format!("i18n/{lang}.toml [{section}]: missing `{key}`"));
            }
            for key in other.keys().filter(|k| !reference.contains_key(*k)) {
                problems.push(format!("i18n/{lang}.toml [{section}]: `{key}` is not in i18n/{}.toml", LANGUAGES[0].0));
            }
            for (key, text) in reference {
                if let Some(translated) = other.get(key) {
                    if placeholders(text) != placeholders(translated) {
                        problems.push(format!(
                            "i18n/{lang}.toml [{section}] `{key}`: placeholders {:?}, but {:?} in i18n/{}.toml",
                            placeholders(translated),
                            placeholders(text),
                            LANGUAGES[0].0
                        ));
                    }
                }
            }
        }
    }
    if !problems.is_empty() {
        panic!("the texts do not match:\n{}", problems.join("\n"));
    }
    let out = generate(&files);
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("texts.rs");
    std::fs::write(dest, out).unwrap();
}

/// A language file: its sections, each a table of texts.
fn read(lang: &str, text: &str) -> BTreeMap<String, Section> {
    let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("i18n/{lang}.toml: {e}"));
    let mut out = BTreeMap::new();
    for (section, _) in SECTIONS {
        let Some(toml::Value::Table(t)) = table.get(section) else { panic!("i18n/{lang}.toml: no [{section}] table") };
        let texts = t
            .iter()
            .map(|(k, v)| match v {
                toml::Value::String(s) => (k.clone(), s.clone()),
                _ => panic!("i18n/{lang}.toml [{section}] `{k}`: not a string"),
            })
            .collect();
        out.insert(section.to_string(), texts);
    }
    if let Some(extra) = table.keys().find(|k| !SECTIONS.iter().any(|(s, _)| s == k)) {
        panic!("i18n/{lang}.toml: unknown table [{extra}]");
    }
    out
}

/// `{n}`-style placeholders of a text.
fn placeholders(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        match rest[start..].find('}') {
            Some(end) => {
                out.insert(rest[start..start + end + 1].to_string());
                rest = &rest[start + end + 1..];
            }
            None => break,
        }
    }
    out
}

fn generate(files: &[BTreeMap<String, Section>]) -> String {
    let mut out = String::new();
    out.push_str(
        "/// What the widget shows, and whatever the server and the console share\n\
         /// with it. The console's own strings are in [`ConsoleTexts`], so the\n\
         /// widget's WASM does not carry them.\npub struct Texts {\n",
    );
    for key in files[0]["widget"].keys() {
        writeln!(out, "    pub {key}: &'static str,").unwrap();
    }
    out.push_str(
        "}\n\n/// The console's own texts, which the widget's bundle does not carry. The\n\
         /// texts both show are reached through `Deref` (`t.loading` works on both).\n\
         pub struct ConsoleTexts {\n    pub common: &'static Texts,\n",
    );
    for key in files[0]["console"].keys() {
        writeln!(out, "    pub {key}: &'static str,").unwrap();
    }
    out.push_str("}\n");
    for ((_, name), file) in LANGUAGES.iter().zip(files) {
        writeln!(out, "\npub static {name}: Texts = Texts {{").unwrap();
        for (key, text) in &file["widget"] {
            writeln!(out, "    {key}: {text:?},").unwrap();
        }
        writeln!(out, "}};\n\npub static {name}_CONSOLE: ConsoleTexts = ConsoleTexts {{\n    common: &{name},").unwrap();
        for (key, text) in &file["console"] {
            writeln!(out, "    {key}: {text:?},").unwrap();
        }
        out.push_str("};\n");
    }
    out
}
