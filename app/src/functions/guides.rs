use leptos::prelude::*;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

use crate::domain::guide::Guide;
use crate::errors::AppError;
use crate::models::GuideStats;

/// Every guide's newest version with where its walks ended. Any staff member.
#[server(endpoint = "guide_stats")]
pub async fn list_guide_stats() -> Result<Vec<GuideStats>, AppError> {
    use crate::backend::{auth, guides, state};
    use crate::domain::guide::NodeKind;

    auth::require_staff(&[]).await?;
    let pool = state::pool()?;
    let locale = crate::language::request_locale();
    let counts = guides::session_counts(&pool).await?;
    let stats = guides::latest(&pool)
        .await?
        .into_iter()
        .map(|g| {
            let label = |node: &str| -> String {
                let text = g.node(node).map(|n| match &n.kind {
                    NodeKind::Question { prompt, .. } | NodeKind::Collect { prompt, .. } | NodeKind::Check { prompt, .. } => {
                        prompt.get(locale).to_string()
                    }
                    NodeKind::Instruction { text, .. } => text.get(locale).to_string(),
                    NodeKind::Outcome(_) => String::new(),
                });
                let short: String = text.unwrap_or_default().chars().take(24).collect();
                if short.is_empty() {
                    node.to_string()
                } else {
                    format!("{node} · {short}…")
                }
            };
            let mine = counts.iter().filter(|(id, ..)| *id == g.id);
            let by = |result: Option<&str>| {
                let mut rows: Vec<(String, i64)> =
                    mine.clone().filter(|(_, r, ..)| r.as_deref() == result).map(|(_, _, node, n)| (label(node), *n)).collect();
                rows.sort_by_key(|r| std::cmp::Reverse(r.1));
                rows
            };
            let (resolved_at, escalated_from, abandoned_at) = (by(Some("self_resolved")), by(Some("escalated")), by(None));
            let sum = |rows: &[(String, i64)]| rows.iter().map(|(_, n)| n).sum::<i64>();
            let (self_resolved, escalated, abandoned) = (sum(&resolved_at), sum(&escalated_from), sum(&abandoned_at));
            let finished = self_resolved + escalated;
            GuideStats {
                id: g.id.clone(),
                version: g.version,
                title: g.title.get(locale).to_string(),
                equipment: g.equipment.clone(),
                nodes: g.nodes.len(),
                started: finished + abandoned,
                self_resolved,
                escalated,
                abandoned,
                deflection_percent: (finished > 0).then(|| (self_resolved * 100 / finished) as u32),
                resolved_at,
                escalated_from,
                abandoned_at,
            }
        })
        .collect();
    Ok(stats)
}

/// One guide version, for the preview. Any staff member.
#[server(endpoint = "get_guide")]
pub async fn get_guide(id: String, version: u32) -> Result<Guide, AppError> {
    crate::backend::auth::require_staff(&[]).await?;
    let pool = crate::backend::state::pool()?;
    let g = crate::backend::guides::find(&pool, &id, version).await?.ok_or(AppError::NotFound)?;
    Ok((*g).clone())
}

/// Validates an uploaded guide and stores it as the guide's next version.
/// Administrators and supervisors only.
#[server(input = Json, endpoint = "import_guide")]
pub async fn import_guide(json: String) -> Result<(String, u32), AppError> {
    use crate::models::Role;
    let user = crate::backend::auth::require_staff(&[Role::Admin, Role::Supervisor]).await?;
    let pool = crate::backend::state::pool()?;
    let stored = crate::backend::guides::import(&pool, &json, user.id).await.map_err(|problems| AppError::InvalidGuide { problems })?;
    tracing::info!(guide = %stored.0, version = stored.1, by = %user.username, "guide imported");
    Ok(stored)
}
