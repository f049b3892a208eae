//! Guided troubleshooting: a guide is a decision tree for one kind of
//! equipment and symptom family, walked by the customer in the browser. The
//! server replays the submitted walk against the same guide, so a transcript
//! that does not follow the tree is refused.
//!
//! Guides are JSON files (`app/guides/*.json`); `parse` reads one and
//! `Guide::problems` lists everything wrong with it, unsafe steps included
//! (`guide_safety`).

use serde::{Deserialize, Serialize};

use super::guide_safety;
use crate::i18n::Locale;

/// One text in every supported language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub zh_cn: String,
    pub zh_tw: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhCn => &self.zh_cn,
            Locale::ZhTw => &self.zh_tw,
            Locale::En => &self.en,
        }
    }
}

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
    Question { prompt: Text, choices: Vec<Choice> },
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
    Check { prompt: Text, check: Check, branches: Vec<Branch>, otherwise: String },
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
            guide_safety::problems(&node.kind).into_iter().for_each(&mut problem);
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
/// `app/guides/*.json`, embedded at build time. Server-only: the browser
/// receives the one guide it walks.
#[cfg(feature = "ssr")]
pub const SHIPPED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/shipped_guides.rs"));

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The shipped first-aid guide for an alarm panel: the tests' fixture.
    fn first_aid() -> Guide {
        let (file, json) = SHIPPED.iter().find(|(f, _)| *f == "alarm-panel-first-aid.json").expect("first-aid guide shipped");
        parse(file, json).expect("the shipped first-aid guide is valid")
    }

    fn walk(g: &Guide, choices: &[&str]) -> Vec<WalkStep> {
        let mut steps = Vec::new();
        for c in choices {
            let node = g.current(&steps).unwrap();
            steps.push(WalkStep { node: node.id.clone(), choice: (*c).into(), value: None, photo: None, at_ms: 0 });
        }
        steps
    }

    #[test]
    fn every_shipped_guide_is_sound() {
        let mut ids = Vec::new();
        for (file, json) in SHIPPED {
            let guide = parse(file, json).unwrap_or_else(|e| panic!("{}", e.join("\n")));
            assert!(guide.nodes.len() >= 8, "{file}: fewer than 8 nodes");
            assert!(!ids.contains(&guide.id), "{file}: duplicate guide id");
            ids.push(guide.id);
        }
    }

    #[test]
    fn replay_reaches_outcomes() {
        let g = first_aid();
        assert!(matches!(g.replay(&walk(&g, &["all_off", "yes"])), Ok(Outcome::Resolved { .. })));
        assert!(matches!(
            g.replay(&walk(&g, &["fault_light", "battery", "no"])),
            Ok(Outcome::Escalate { severity: Severity::General, .. })
        ));
    }

    #[test]
    fn replay_refuses_walks_that_do_not_follow_the_tree() {
        let g = first_aid();
        assert_eq!(g.replay(&[]), Err(WalkError::NotFinished));
        assert_eq!(g.replay(&walk(&g, &["all_off"])), Err(WalkError::NotFinished));
        let mut bad = walk(&g, &["all_off", "yes"]);
        bad[1].node = "restart".into();
        assert_eq!(g.replay(&bad), Err(WalkError::UnexpectedNode { index: 1 }));
        let mut bad = walk(&g, &["all_off"]);
        bad[0].choice = "nope".into();
        bad.push(WalkStep { node: "power".into(), choice: "yes".into(), value: None, photo: None, at_ms: 0 });
        assert_eq!(g.replay(&bad), Err(WalkError::UnknownChoice { index: 0 }));
        let mut extra = walk(&g, &["all_off", "yes"]);
        extra.push(WalkStep { node: "fixed".into(), choice: "yes".into(), value: None, photo: None, at_ms: 0 });
        assert_eq!(g.replay(&extra), Err(WalkError::UnexpectedNode { index: 2 }));
        let mut long = walk(&g, &["all_off"]);
        long[0].value = Some("x".repeat(MAX_VALUE_CHARS + 1));
        assert_eq!(g.replay(&long), Err(WalkError::ValueTooLong { index: 0 }));
    }

    fn broken(edit: impl FnOnce(&mut Guide)) -> String {
        let mut g = first_aid();
        edit(&mut g);
        let json = serde_json::to_string(&g).unwrap();
        parse("broken.json", &json).unwrap_err().join("\n")
    }

    fn step_mut<'a>(g: &'a mut Guide, id: &str) -> &'a mut NodeKind {
        &mut g.nodes.iter_mut().find(|n| n.id == id).unwrap().kind
    }

    #[test]
    fn validation_rule_dangling_reference() {
        let p = broken(|g| {
            if let NodeKind::Instruction { helped, .. } = step_mut(g, "power") {
                *helped = "ghost".into();
            }
        });
        assert!(p.contains("broken.json: node 'power': 'yes' leads to missing node 'ghost'"), "{p}");
    }

    #[test]
    fn validation_rule_cycle() {
        let p = broken(|g| {
            if let NodeKind::Instruction { helped, .. } = step_mut(g, "power") {
                *helped = "lights".into();
            }
        });
        assert!(p.contains("part of a cycle"), "{p}");
    }

    #[test]
    fn validation_rule_unreachable() {
        let p = broken(|g| {
            if let NodeKind::Instruction { not_helped, .. } = step_mut(g, "power") {
                *not_helped = "panel_fault".into();
            }
        });
        assert!(p.contains("node 'no_power': unreachable from the root"), "{p}");
    }

    #[test]
    fn validation_rule_missing_locale() {
        let p = broken(|g| {
            if let NodeKind::Question { prompt, .. } = step_mut(g, "lights") {
                prompt.zh_tw.clear();
            }
        });
        assert!(p.contains("node 'lights': missing zh-TW text"), "{p}");
    }

    #[test]
    fn validation_rule_missing_root_and_duplicates() {
        assert!(broken(|g| g.root = "nowhere".into()).contains("root node 'nowhere' does not exist"));
        let p = broken(|g| {
            let copy = g.nodes[1].clone();
            g.nodes.push(copy);
        });
        assert!(p.contains("id used twice"), "{p}");
    }

    #[test]
    fn validation_rule_checks_reference_known_patterns_and_keys() {
        let p = broken(|g| {
            g.nodes.push(Node {
                id: "scan".into(),
                kind: NodeKind::Check {
                    prompt: first_aid_text(),
                    check: Check::Reachability { address_key: "ip".into() },
                    branches: vec![Branch { when: Condition::Pattern { pattern: "nope".into(), min_count: 1 }, next: "fixed".into() }],
                    otherwise: "fixed".into(),
                },
            });
        });
        assert!(p.contains("node 'scan': uses 'ip', which no collect node asks for"), "{p}");
        assert!(p.contains("node 'scan': branch tests unknown pattern 'nope'"), "{p}");
    }

    #[test]
    fn validation_rule_question_needs_two_choices() {
        let p = broken(|g| {
            if let NodeKind::Question { choices, .. } = step_mut(g, "fault_kind") {
                choices.truncate(1);
            }
        });
        assert!(p.contains("node 'fault_kind': a question needs at least two choices"), "{p}");
    }

    #[test]
    fn validation_rule_codes_and_results_fit_their_check() {
        let p = broken(|g| {
            g.nodes.push(Node {
                id: "ask_code".into(),
                kind: NodeKind::Collect { prompt: first_aid_text(), key: "code".into(), input: InputKind::Text, optional: false, next: "codes".into() },
            });
            g.nodes.push(Node {
                id: "codes".into(),
                kind: NodeKind::Check {
                    prompt: first_aid_text(),
                    check: Check::ErrorCode { code_key: "code".into(), codes: vec![] },
                    branches: vec![
                        Branch { when: Condition::Code { code: "E9".into() }, next: "fixed".into() },
                        Branch { when: Condition::Result { result: CheckResult::Ok }, next: "fixed".into() },
                    ],
                    otherwise: "fixed".into(),
                },
            });
            if let NodeKind::Question { choices, .. } = step_mut(g, "fault_kind") {
                choices[2].next = "ask_code".into();
            }
        });
        assert!(p.contains("node 'codes': branch tests unknown code 'E9'"), "{p}");
        assert!(p.contains("node 'codes': this check has no ok/failed result"), "{p}");
    }

    #[test]
    fn malformed_json_names_the_file() {
        let e = parse("bad.json", "{ \"id\": 3 }").unwrap_err();
        assert!(e[0].starts_with("bad.json: not a valid guide"), "{e:?}");
    }

    fn first_aid_text() -> Text {
        Text { zh_cn: "检查".into(), zh_tw: "檢查".into(), en: "Check".into() }
    }

    proptest! {
        /// Any sequence of picks through any shipped guide ends on an outcome
        /// within the node count, and the server accepts the walk.
        #[test]
        fn every_walk_ends(guide_index in 0usize..64, picks in proptest::collection::vec(0usize..8, 0..64)) {
            let (file, json) = SHIPPED[guide_index % SHIPPED.len()];
            let g = parse(file, json).unwrap();
            let mut steps = Vec::new();
            let mut picks = picks.into_iter();
            loop {
                let node = g.current(&steps).unwrap();
                let exits = node.kind.exits();
                if exits.is_empty() {
                    break;
                }
                let pick = picks.next().unwrap_or(0) % exits.len();
                steps.push(WalkStep { node: node.id.clone(), choice: exits[pick].0.clone(), value: None, photo: None, at_ms: 0 });
                prop_assert!(steps.len() <= g.nodes.len());
            }
            prop_assert!(g.replay(&steps).is_ok());
        }
    }
}
