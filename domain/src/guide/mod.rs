//! Guided troubleshooting: a guide is a decision tree for one kind of
//! equipment and symptom family, walked by the customer in the browser. The
//! server replays the submitted walk against the same guide, so a transcript
//! that does not follow the tree is refused.
//!
//! Guides are JSON files (`domain/guides/*.json`); `parse` reads one and
//! `Guide::problems` lists everything wrong with it, unsafe steps included
//! (`guide_safety`).

use serde::{Deserialize, Serialize};

use super::guide_safety;
use crate::locale::Locale;
pub use crate::locale::Text;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guide {
    pub id: String,
    pub version: u32,
    /// Asset kinds this guide is offered for (`alarm_panel`, `nvr`, …).
    pub equipment: Vec<String>,
    pub title: Text,
    pub root: String,
    pub nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    pub id: String,
    #[serde(flatten)]
    pub kind: NodeKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NodeKind {
    /// A question with choices, each leading on.
    Question {
        prompt: Text,
        choices: Vec<Choice>,
    },
    /// Something the customer does, then "did that help?".
    Instruction {
        text: Text,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image: Option<String>,
        helped: String,
        not_helped: String,
    },
    /// A value the technician will need (serial, error code, LED pattern, photo).
    Collect {
        prompt: Text,
        key: String,
        input: InputKind,
        #[serde(default)]
        optional: bool,
        next: String,
    },
    /// A diagnosis run in the browser; the first matching branch picks the next node.
    Check {
        prompt: Text,
        check: Check,
        branches: Vec<Branch>,
        otherwise: String,
    },
    Outcome(Outcome),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Text,
    Number,
    Photo,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub label: Text,
    pub next: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Check {
    /// Can the browser reach the device's web interface (address from a collected value)?
    Reachability { address_key: String },
    /// Browser clock against the server's.
    Clock { max_skew_seconds: u32 },
    /// Latency and download rate to the service.
    Connection { max_latency_ms: u32, min_kbps: u32 },
    /// A device log the customer picks, scanned locally for patterns.
    LogAnalysis { patterns: Vec<LogPattern> },
    /// Looks up an error code the customer entered (a collected value).
    ErrorCode { code_key: String, codes: Vec<ErrorCodeEntry> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPattern {
    pub id: String,
    pub label: Text,
    /// Case-insensitive substrings; a line matching any of them counts.
    pub any: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorCodeEntry {
    pub code: String,
    pub meaning: Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckResult {
    /// Reachable / clock right / connection good.
    Ok,
    /// Unreachable / clock wrong / connection poor.
    Failed,
    /// The browser could not check (blocked, no file chosen): never a false "down".
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "if", rename_all = "snake_case")]
pub enum Condition {
    Result { result: CheckResult },
    Pattern { pattern: String, min_count: u32 },
    Code { code: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branch {
    #[serde(flatten)]
    pub when: Condition,
    pub next: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Emergency,
    Major,
    General,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Emergency, Severity::Major, Severity::General];

    /// As stored and sent (the serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Emergency => "emergency",
            Severity::Major => "major",
            Severity::General => "general",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The tier ladder after self-help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Phone,
    Remote,
    OnSite,
    ReturnToFactory,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    Resolved { message: Text },
    Escalate { message: Text, severity: Severity, tier: Tier, technician_hint: Text },
}

/// One answered step of a walk, as the widget records it. `choice` is the
/// choice id (question), `yes`/`no` (instruction), `next` (collect), or
/// `branch-N`/`otherwise` (check).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalkStep {
    pub node: String,
    pub choice: String,
    /// What was collected, or the check's finding, for the technician.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A photo taken at a collect step, uploaded before the case exists
    /// (an attachment id; the server keeps it only if it came with this
    /// submission).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<i64>,
    /// Browser time in ms since the epoch; informational only.
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkError {
    TooLong,
    UnexpectedNode { index: usize },
    UnknownChoice { index: usize },
    ValueTooLong { index: usize },
    NotFinished,
}

/// The most steps a walk may have; deeper than any real guide.
pub const MAX_STEPS: usize = 64;
pub const MAX_VALUE_CHARS: usize = 500;

impl NodeKind {
    /// Everything the customer reads at this node: all its texts but the
    /// technician's hint.
    pub fn customer_texts(&self) -> Vec<&Text> {
        let hint = match self {
            NodeKind::Outcome(Outcome::Escalate { technician_hint, .. }) => Some(technician_hint),
            _ => None,
        };
        self.texts().into_iter().filter(|t| !hint.is_some_and(|h| std::ptr::eq(*t, h))).collect()
    }

    /// Every way out of this node: (choice as recorded in a walk, next node).
    pub fn exits(&self) -> Vec<(String, &str)> {
        match self {
            NodeKind::Question { choices, .. } => choices.iter().map(|c| (c.id.clone(), c.next.as_str())).collect(),
            NodeKind::Instruction { helped, not_helped, .. } => {
                vec![("yes".into(), helped.as_str()), ("no".into(), not_helped.as_str())]
            }
            NodeKind::Collect { next, .. } => vec![("next".into(), next.as_str())],
            NodeKind::Check { branches, otherwise, .. } => branches
                .iter()
                .enumerate()
                .map(|(i, b)| (format!("branch-{i}"), b.next.as_str()))
                .chain(std::iter::once(("otherwise".to_string(), otherwise.as_str())))
                .collect(),
            NodeKind::Outcome(_) => Vec::new(),
        }
    }

    /// Every text at this node, the technician's hint included.
    pub(super) fn texts(&self) -> Vec<&Text> {
        match self {
            NodeKind::Question { prompt, choices } => std::iter::once(prompt).chain(choices.iter().map(|c| &c.label)).collect(),
            NodeKind::Instruction { text, .. } => vec![text],
            NodeKind::Collect { prompt, .. } => vec![prompt],
            NodeKind::Check { prompt, check, .. } => {
                let mut texts = vec![prompt];
                match check {
                    Check::LogAnalysis { patterns } => texts.extend(patterns.iter().map(|p| &p.label)),
                    Check::ErrorCode { codes, .. } => texts.extend(codes.iter().map(|c| &c.meaning)),
                    _ => {}
                }
                texts
            }
            NodeKind::Outcome(Outcome::Resolved { message }) => vec![message],
            NodeKind::Outcome(Outcome::Escalate { message, technician_hint, .. }) => vec![message, technician_hint],
        }
    }
}

/// Reads one guide file; errors name the file, the node and the problem.
pub fn parse(file: &str, json: &str) -> Result<Guide, Vec<String>> {
    let guide: Guide = serde_json::from_str(json).map_err(|e| vec![format!("{file}: not a valid guide: {e}")])?;
    let problems = guide.problems();
    if problems.is_empty() {
        Ok(guide)
    } else {
        Err(problems.into_iter().map(|p| format!("{file}: {p}")).collect())
    }
}

impl Guide {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The node reached after `steps`, assuming they were taken in this guide.
    /// Stops at the first step that does not fit.
    pub fn current<'a>(&'a self, steps: &[WalkStep]) -> Option<&'a Node> {
        let mut node = self.node(&self.root)?;
        for step in steps {
            let exits = node.kind.exits();
            let Some((_, next)) = exits.iter().find(|(c, _)| *c == step.choice) else { break };
            node = self.node(next)?;
        }
        Some(node)
    }

    /// Replays a submitted walk: it must start at the root, follow existing
    /// exits and end on an outcome, which is returned. `NotFinished` means
    /// every step was valid but the walk stopped before an outcome.
    pub fn replay(&self, steps: &[WalkStep]) -> Result<&Outcome, WalkError> {
        if steps.len() > MAX_STEPS {
            return Err(WalkError::TooLong);
        }
        let mut node = self.node(&self.root).ok_or(WalkError::NotFinished)?;
        for (index, step) in steps.iter().enumerate() {
            if step.node != node.id || matches!(node.kind, NodeKind::Outcome(_)) {
                return Err(WalkError::UnexpectedNode { index });
            }
            if step.value.as_ref().is_some_and(|v| v.chars().count() > MAX_VALUE_CHARS) {
                return Err(WalkError::ValueTooLong { index });
            }
            let exits = node.kind.exits();
            let (_, next) = exits.iter().find(|(c, _)| *c == step.choice).ok_or(WalkError::UnknownChoice { index })?;
            node = self.node(next).ok_or(WalkError::UnknownChoice { index })?;
        }
        match &node.kind {
            NodeKind::Outcome(outcome) => Ok(outcome),
            _ => Err(WalkError::NotFinished),
        }
    }

    /// Everything wrong with the guide, each naming its node; empty if sound.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let slug = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !slug(&self.id) {
            problems.push(format!("guide id '{}' must be lowercase letters, digits, '-' or '_'", self.id));
        }
        if self.version == 0 {
            problems.push("version must be 1 or more".into());
        }
        if self.equipment.is_empty() {
            problems.push("names no equipment kinds".into());
        }
        for locale in Locale::ALL {
            if self.title.get(locale).trim().is_empty() {
                problems.push(format!("title has no {} text", locale.tag()));
            }
        }
        for (i, node) in self.nodes.iter().enumerate() {
            if self.nodes[..i].iter().any(|n| n.id == node.id) {
                problems.push(format!("node '{}': id used twice", node.id));
            }
        }
        if self.node(&self.root).is_none() {
            problems.push(format!("root node '{}' does not exist", self.root));
            return problems;
        }
        let collected: Vec<&str> = self
            .nodes
            .iter()
            .filter_map(|n| match &n.kind {
                NodeKind::Collect { key, .. } => Some(key.as_str()),
                _ => None,
            })
            .collect();
        for node in &self.nodes {
            let mut problem = |p: String| problems.push(format!("node '{}': {p}", node.id));
            for t in node.kind.texts() {
                for locale in Locale::ALL {
                    if t.get(locale).trim().is_empty() {
                        problem(format!("missing {} text", locale.tag()));
                    }
                }
            }
            // Nothing a customer reads may ask for a technician's job.
            guide_safety::problems(&node.kind.customer_texts()).into_iter().for_each(&mut problem);
            let exits = node.kind.exits();
            for (choice, next) in &exits {
                if self.node(next).is_none() {
                    problem(format!("'{choice}' leads to missing node '{next}'"));
                }
            }
            match &node.kind {
                NodeKind::Question { choices, .. } => {
                    if choices.len() < 2 {
                        problem("a question needs at least two choices".into());
                    }
                    for (i, c) in choices.iter().enumerate() {
                        if choices[..i].iter().any(|o| o.id == c.id) {
                            problem(format!("choice id '{}' used twice", c.id));
                        }
                    }
                }
                NodeKind::Collect { key, .. } if !slug(key) => problem(format!("bad key '{key}'")),
                NodeKind::Check { check, branches, .. } => {
                    let mut known_patterns: Vec<&str> = Vec::new();
                    let mut known_codes: Vec<&str> = Vec::new();
                    match check {
                        Check::Reachability { address_key: key } | Check::ErrorCode { code_key: key, .. }
                            if !collected.contains(&key.as_str()) =>
                        {
                            problem(format!("uses '{key}', which no collect node asks for"));
                        }
                        _ => {}
                    }
                    match check {
                        Check::LogAnalysis { patterns } => {
                            if patterns.is_empty() {
                                problem("log analysis without patterns".into());
                            }
                            for p in patterns {
                                if p.any.is_empty() || p.any.iter().any(|s| s.trim().is_empty()) {
                                    problem(format!("pattern '{}' has an empty match list or string", p.id));
                                }
                                known_patterns.push(&p.id);
                            }
                        }
                        Check::ErrorCode { codes, .. } => known_codes.extend(codes.iter().map(|c| c.code.as_str())),
                        _ => {}
                    }
                    for b in branches {
                        match (&b.when, check) {
                            (Condition::Pattern { pattern, .. }, _) if !known_patterns.contains(&pattern.as_str()) => {
                                problem(format!("branch tests unknown pattern '{pattern}'"));
                            }
                            (Condition::Code { code }, _) if !known_codes.contains(&code.as_str()) => {
                                problem(format!("branch tests unknown code '{code}'"));
                            }
                            (Condition::Result { .. }, Check::LogAnalysis { .. } | Check::ErrorCode { .. }) => {
                                problem("this check has no ok/failed result; test patterns or codes".into());
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        // Depth-first from the root: cycles and unreachable nodes. With every
        // exit resolved and no cycle, every path ends in an outcome.
        let mut state = vec![0u8; self.nodes.len()]; // 0 new, 1 on the path, 2 done
        self.visit(&self.root, &mut state, &mut problems);
        for (node, s) in self.nodes.iter().zip(&state) {
            if *s == 0 {
                problems.push(format!("node '{}': unreachable from the root", node.id));
            }
        }
        problems
    }

    /// Depth-first from `id`, marking nodes seen (1: on the path, 2: done)
    /// and reporting cycles. Iterative: a long chain of nodes must not
    /// overflow the stack of the thread validating an uploaded guide.
    fn visit(&self, id: &str, state: &mut [u8], problems: &mut Vec<String>) {
        let index: std::collections::HashMap<&str, usize> = self.nodes.iter().enumerate().rev().map(|(i, n)| (n.id.as_str(), i)).collect();
        let mut path: Vec<(usize, usize)> = Vec::new();
        let mut enter = |next: &str, state: &mut [u8], path: &mut Vec<(usize, usize)>| {
            let Some(&i) = index.get(next) else { return };
            match state[i] {
                1 => problems.push(format!("node '{next}': part of a cycle")),
                2 => {}
                _ => {
                    state[i] = 1;
                    path.push((i, 0));
                }
            }
        };
        enter(id, state, &mut path);
        while let Some(&(i, pos)) = path.last() {
            let exits = self.nodes[i].kind.exits();
            match exits.get(pos) {
                Some((_, next)) => {
                    if let Some(top) = path.last_mut() {
                        top.1 += 1;
                    }
                    enter(next, state, &mut path);
                }
                None => {
                    state[i] = 2;
                    path.pop();
                }
            }
        }
    }
}

/// The guides shipped with Fixline, as (file name, JSON): every
/// `domain/guides/*.json`, embedded at build time. Only the server
/// refers to it, so the browser's WASM does not carry it: the browser
/// receives the one guide it walks.
pub const SHIPPED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/shipped_guides.rs"));

#[cfg(test)]
mod tests;
