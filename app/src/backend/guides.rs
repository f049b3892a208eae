//! The guide library on the server: every shipped guide, validated once.

use std::sync::OnceLock;

use crate::domain::guide::{self, Guide};

static LIBRARY: OnceLock<Result<Vec<Guide>, String>> = OnceLock::new();

fn library() -> &'static Result<Vec<Guide>, String> {
    LIBRARY.get_or_init(|| {
        let mut guides = Vec::new();
        let mut problems = Vec::new();
        for (file, json) in guide::SHIPPED {
            match guide::parse(file, json) {
                Ok(g) => guides.push(g),
                Err(p) => problems.extend(p),
            }
        }
        if problems.is_empty() { Ok(guides) } else { Err(problems.join("\n")) }
    })
}

/// Validates every guide; called at startup so a broken guide stops the
/// server with the file, node and problem named.
pub fn check() -> Result<usize, String> {
    library().as_ref().map(Vec::len).map_err(|e| format!("invalid guides:\n{e}"))
}

pub fn all() -> &'static [Guide] {
    library().as_deref().unwrap_or(&[])
}

pub fn find(id: &str, version: u32) -> Option<&'static Guide> {
    all().iter().find(|g| g.id == id && g.version == version)
}

/// The guide offered for an asset kind: the first (by file name) that lists it.
pub fn for_equipment(kind: &str) -> Option<&'static Guide> {
    all().iter().find(|g| g.equipment.iter().any(|e| e == kind))
}
