//! Property-based fuzz tests of the domain parsers, through the public API
//! only: guides (`serde_json` + `Guide::problems` + replay), the device-log
//! scanner and the holiday-list import.
//!
//! Run: `cargo test --release -p domain --test domain_fuzz`.
//! Failures are not persisted (no `proptest-regressions/` files); a minimised
//! failing input is printed by proptest and belongs in a plain `#[test]` here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use domain::calendar::Date;
use domain::guide::{
    self, Branch, Check, CheckResult, Choice, Condition, ErrorCodeEntry, Guide, InputKind, LogPattern, Node, NodeKind, Outcome, Severity,
    Text, Tier, WalkError, WalkStep, MAX_STEPS, MAX_VALUE_CHARS,
};
use domain::holidays::{self, DayKind, HolidayImport, ImportedDay, LineProblem, ERROR_TEXT_CHARS, MAX_BYTES, MAX_LINES};
use domain::logscan::{self, Finding, LogScanner, PatternCount};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Value};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, max_shrink_iters: 2048, ..ProptestConfig::default() }
}

fn strings(xs: &'static [&'static str]) -> BoxedStrategy<String> {
    select(xs).prop_map(str::to_string).boxed()
}

/// Small deterministic generator for structures built from one seed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo)
    }
}

// ===========================================================================
// Guides
// ===========================================================================

struct Shipped {
    file: String,
    value: Value,
    guide: Guide,
}

/// Every `domain/guides/*.json`, read at test time.
fn shipped() -> &'static [Shipped] {
    static CELL: OnceLock<Vec<Shipped>> = OnceLock::new();
    CELL.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("guides");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .expect("domain/guides")
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        let all: Vec<Shipped> = paths
            .into_iter()
            .map(|path| {
                let file = path.file_name().unwrap().to_string_lossy().into_owned();
                let json = std::fs::read_to_string(&path).unwrap();
                let guide = guide::parse(&file, &json).unwrap_or_else(|e| panic!("{}", e.join("\n")));
                let value = serde_json::from_str(&json).unwrap();
                Shipped { file, value, guide }
            })
            .collect();
        assert!(!all.is_empty(), "no shipped guides found in {}", dir.display());
        all
    })
}

fn step(node: &str, choice: &str) -> WalkStep {
    WalkStep { node: node.into(), choice: choice.into(), value: None, photo: None, at_ms: 0 }
}

/// Follows the exits chosen by `picks` (then always the first) from the root;
/// stops at a node without exits, a missing node, or after `limit` steps.
fn follow<'g>(g: &'g Guide, picks: &[usize], limit: usize) -> (Vec<WalkStep>, Option<&'g Node>) {
    let mut steps = Vec::new();
    let Some(mut node) = g.node(&g.root) else {
        return (steps, None);
    };
    loop {
        let exits = node.kind.exits();
        if exits.is_empty() || steps.len() >= limit {
            return (steps, Some(node));
        }
        let pick = picks.get(steps.len()).copied().unwrap_or(0) % exits.len();
        let (choice, next) = &exits[pick];
        steps.push(step(&node.id, choice));
        match g.node(next) {
            Some(n) => node = n,
            None => return (steps, None),
        }
    }
}

/// One walk step chosen by indices, resolved against whichever guide it is replayed on.
#[derive(Debug, Clone)]
struct StepSeed {
    node: usize,
    choice: usize,
    value: Option<(usize, bool)>,
    photo: Option<i64>,
    at_ms: i64,
}

fn step_seed_s() -> impl Strategy<Value = StepSeed> {
    let value = prop_oneof![
        3 => Just(None),
        1 => (prop_oneof![0usize..8, (MAX_VALUE_CHARS - 3)..=(MAX_VALUE_CHARS + 3), 0usize..3000], any::<bool>()).prop_map(Some),
    ];
    (any::<usize>(), any::<usize>(), value, proptest::option::of(any::<i64>()), any::<i64>())
        .prop_map(|(node, choice, value, photo, at_ms)| StepSeed { node, choice, value, photo, at_ms })
}

fn walk_seeds_s() -> impl Strategy<Value = Vec<Vec<StepSeed>>> {
    prop::collection::vec(prop::collection::vec(step_seed_s(), 0..(MAX_STEPS + 4)), 0..4)
}

fn resolve(g: &Guide, seeds: &[StepSeed]) -> Vec<WalkStep> {
    let mut ids: Vec<String> = g.nodes.iter().map(|n| n.id.clone()).collect();
    ids.extend(["".to_string(), "ghost".to_string(), g.root.clone()]);
    let mut choices: Vec<String> = g.nodes.iter().flat_map(|n| n.kind.exits().into_iter().map(|(c, _)| c)).collect();
    choices.extend(["yes", "no", "next", "otherwise", "branch-0", "branch-1", "branch-99", "nope", ""].map(String::from));
    seeds
        .iter()
        .map(|s| WalkStep {
            node: ids[s.node % ids.len()].clone(),
            choice: choices[s.choice % choices.len()].clone(),
            value: s.value.map(|(n, wide)| if wide { "字".repeat(n) } else { "x".repeat(n) }),
            photo: s.photo,
            at_ms: s.at_ms,
        })
        .collect()
}

/// `replay` on any walk: the right error for an over-long walk, error indices
/// inside the walk, and agreement with `current` and with its own prefixes.
fn check_replay(g: &Guide, steps: &[WalkStep]) -> Result<(), TestCaseError> {
    let result = g.replay(steps);
    prop_assert_eq!(&result, &g.replay(steps), "replay is not deterministic");
    if steps.len() > MAX_STEPS {
        prop_assert_eq!(result, Err(WalkError::TooLong));
        return Ok(());
    }
    let _ = g.current(steps);
    match result {
        Err(WalkError::TooLong) => {
            prop_assert!(false, "TooLong for a walk of {} steps", steps.len())
        }
        Err(WalkError::UnexpectedNode { index } | WalkError::UnknownChoice { index } | WalkError::ValueTooLong { index }) => {
            prop_assert!(index < steps.len(), "error index {index} outside a walk of {}", steps.len());
            // Everything before the failing step was accepted.
            let prefix = g.replay(&steps[..index]);
            prop_assert!(matches!(prefix, Ok(_) | Err(WalkError::NotFinished)), "prefix of {index} steps: {prefix:?}");
            let here = g.current(&steps[..index]);
            prop_assert!(here.is_some(), "replay accepted {index} steps that `current` cannot follow");
            let here = here.unwrap();
            let at = &steps[index];
            match result {
                Err(WalkError::UnexpectedNode { .. }) => {
                    prop_assert!(here.id != at.node || matches!(here.kind, NodeKind::Outcome(_)), "UnexpectedNode at a matching node");
                }
                Err(WalkError::ValueTooLong { .. }) => {
                    prop_assert!(at.value.as_ref().is_some_and(|v| v.chars().count() > MAX_VALUE_CHARS));
                }
                _ => {
                    let exits = here.kind.exits();
                    let ok = exits.iter().find(|(c, _)| *c == at.choice).is_some_and(|(_, next)| g.node(next).is_some());
                    prop_assert!(!ok, "UnknownChoice for an exit that exists");
                }
            }
        }
        Ok(outcome) => {
            for k in 0..steps.len() {
                prop_assert_eq!(g.replay(&steps[..k]), Err(WalkError::NotFinished), "a prefix of {} steps already ended", k);
            }
            let end = g.current(steps).map(|n| &n.kind);
            prop_assert!(matches!(end, Some(NodeKind::Outcome(o)) if o == outcome), "replay and current disagree");
        }
        Err(WalkError::NotFinished) => {
            for k in 0..steps.len() {
                prop_assert_eq!(g.replay(&steps[..k]), Err(WalkError::NotFinished));
            }
        }
    }
    Ok(())
}

/// Everything the server and the widget do with a guide once it has parsed:
/// validation, storing (serialize and parse back), walks. Returns its problems.
fn exercise(g: &Guide, seeds: &[Vec<StepSeed>], picks: &[usize]) -> Result<Vec<String>, TestCaseError> {
    let problems = g.problems();
    let json = serde_json::to_string(g).map_err(|e| TestCaseError::fail(format!("cannot serialize: {e}")))?;
    let back: Guide = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(format!("stored guide does not parse back: {e}")))?;
    prop_assert_eq!(&back, g, "guide changes on a store/load round trip");
    // `parse` of the stored form validates again: the same problems, in order.
    match guide::parse("fuzz.json", &json) {
        Ok(parsed) => prop_assert!(problems.is_empty() && parsed == *g),
        Err(errors) => {
            let expected: Vec<String> = problems.iter().map(|p| format!("fuzz.json: {p}")).collect();
            prop_assert_eq!(errors, expected, "problems() differs between two runs");
        }
    }
    // A walk can never run forever: bounded by the node count.
    let (steps, end) = follow(g, picks, g.nodes.len() + 1);
    if problems.is_empty() {
        let end_kind = end.map(|n| &n.kind);
        prop_assert!(matches!(end_kind, Some(NodeKind::Outcome(_))), "a walk through a guide without problems did not end on an outcome");
        prop_assert!(steps.len() < g.nodes.len().max(1), "a walk without problems revisited a node");
        let replayed = g.replay(&steps);
        if steps.len() > MAX_STEPS {
            prop_assert_eq!(replayed, Err(WalkError::TooLong));
        } else if let Some(NodeKind::Outcome(o)) = end_kind {
            prop_assert_eq!(replayed, Ok(o));
        }
    }
    check_replay(g, &steps)?;
    for seed in seeds {
        check_replay(g, &resolve(g, seed))?;
    }
    Ok(problems)
}

// ---- arbitrary (mostly broken) guides, built as Rust values

const IDS: &[&str] = &["a", "b", "c", "d", "e", "", "A", "节点", "a b"];
const TEXTS: &[&str] = &["x", "", " ", "说明", "\u{3000}", "é"];
const CHOICE_IDS: &[&str] = &["yes", "no", "next", "otherwise", "branch-0", "c1", "c2", ""];
const KEYS: &[&str] = &["ip", "code", "", "Bad Key", "serial"];
const PATTERN_IDS: &[&str] = &["p1", "p2", ""];
const NEEDLES: &[&str] = &["err", "", " ", "ERR", "干扰"];
const CODES: &[&str] = &["E1", "e1", " E1 ", ""];

fn text_s() -> BoxedStrategy<Text> {
    (strings(TEXTS), strings(TEXTS), strings(TEXTS)).prop_map(|(zh_cn, zh_tw, en)| Text { zh_cn, zh_tw, en }).boxed()
}

fn check_s() -> BoxedStrategy<Check> {
    prop_oneof![
        strings(KEYS).prop_map(|address_key| Check::Reachability { address_key }),
        any::<u32>().prop_map(|max_skew_seconds| Check::Clock { max_skew_seconds }),
        (any::<u32>(), any::<u32>()).prop_map(|(max_latency_ms, min_kbps)| Check::Connection { max_latency_ms, min_kbps }),
        prop::collection::vec((strings(PATTERN_IDS), text_s(), prop::collection::vec(strings(NEEDLES), 0..3)), 0..3).prop_map(|ps| {
            Check::LogAnalysis { patterns: ps.into_iter().map(|(id, label, any)| LogPattern { id, label, any }).collect() }
        }),
        (strings(KEYS), prop::collection::vec((strings(CODES), text_s()), 0..3)).prop_map(|(code_key, cs)| Check::ErrorCode {
            code_key,
            codes: cs.into_iter().map(|(code, meaning)| ErrorCodeEntry { code, meaning }).collect(),
        }),
    ]
    .boxed()
}

fn check_result_s() -> BoxedStrategy<CheckResult> {
    select(&[CheckResult::Ok, CheckResult::Failed, CheckResult::Unknown][..]).boxed()
}

fn condition_s() -> BoxedStrategy<Condition> {
    prop_oneof![
        check_result_s().prop_map(|result| Condition::Result { result }),
        (strings(PATTERN_IDS), any::<u32>()).prop_map(|(pattern, min_count)| Condition::Pattern { pattern, min_count }),
        strings(CODES).prop_map(|code| Condition::Code { code }),
    ]
    .boxed()
}

fn outcome_s() -> BoxedStrategy<Outcome> {
    let severity = select(&Severity::ALL[..]);
    let tier = select(&[Tier::Phone, Tier::Remote, Tier::OnSite, Tier::ReturnToFactory][..]);
    prop_oneof![
        text_s().prop_map(|message| Outcome::Resolved { message }),
        (text_s(), severity, tier, text_s()).prop_map(|(message, severity, tier, technician_hint)| Outcome::Escalate {
            message,
            severity,
            tier,
            technician_hint
        }),
    ]
    .boxed()
}

fn node_kind_s() -> BoxedStrategy<NodeKind> {
    let input = select(&[InputKind::Text, InputKind::Number, InputKind::Photo][..]);
    prop_oneof![
        (text_s(), prop::collection::vec((strings(CHOICE_IDS), text_s(), strings(IDS)), 0..4)).prop_map(|(prompt, cs)| {
            NodeKind::Question { prompt, choices: cs.into_iter().map(|(id, label, next)| Choice { id, label, next }).collect() }
        }),
        (text_s(), proptest::option::of(strings(&["photo.png", ""])), strings(IDS), strings(IDS))
            .prop_map(|(text, image, helped, not_helped)| NodeKind::Instruction { text, image, helped, not_helped }),
        (text_s(), strings(KEYS), input, any::<bool>(), strings(IDS)).prop_map(|(prompt, key, input, optional, next)| NodeKind::Collect {
            prompt,
            key,
            input,
            optional,
            next
        }),
        (text_s(), check_s(), prop::collection::vec((condition_s(), strings(IDS)), 0..4), strings(IDS)).prop_map(
            |(prompt, check, bs, otherwise)| NodeKind::Check {
                prompt,
                check,
                branches: bs.into_iter().map(|(when, next)| Branch { when, next }).collect(),
                otherwise,
            }
        ),
        outcome_s().prop_map(NodeKind::Outcome),
    ]
    .boxed()
}

fn random_guide_s() -> impl Strategy<Value = Guide> {
    (
        strings(&["g", "", "G", "a-b_1"]),
        prop_oneof![Just(0u32), Just(1u32), any::<u32>()],
        prop::collection::vec(strings(&["nvr", ""]), 0..2),
        text_s(),
        strings(IDS),
        prop::collection::vec((strings(IDS), node_kind_s()), 0..10),
    )
        .prop_map(|(id, version, equipment, title, root, nodes)| Guide {
            id,
            version,
            equipment,
            title,
            root,
            nodes: nodes.into_iter().map(|(id, kind)| Node { id, kind }).collect(),
        })
}

// ---- sound guides, built so that `problems()` is empty

fn text_for(i: usize) -> Text {
    Text { zh_cn: format!("步骤 {i}"), zh_tw: format!("步驟 {i}"), en: format!("step {i}") }
}

/// A random decision DAG: every exit points to a later node, node `n-1` is an
/// outcome, unreachable nodes are dropped, and the order is rotated. With
/// `chain`, each node's first exit is the next node, so walks can be deeper
/// than `MAX_STEPS`.
fn build_sound(n: usize, seed: u64, chain: bool, collect_root: bool) -> Guide {
    let mut rng = SplitMix(seed);
    let id = |i: usize| format!("n{i}");
    let outcome = |rng: &mut SplitMix, i: usize| {
        NodeKind::Outcome(if rng.below(2) == 0 {
            Outcome::Resolved { message: text_for(i) }
        } else {
            Outcome::Escalate {
                message: text_for(i),
                severity: Severity::ALL[rng.below(3)],
                tier: [Tier::Phone, Tier::Remote, Tier::OnSite, Tier::ReturnToFactory][rng.below(4)],
                technician_hint: text_for(i),
            }
        })
    };
    let mut nodes = Vec::new();
    for i in 0..n {
        let target = |rng: &mut SplitMix, first: bool| id(if chain && first { i + 1 } else { rng.range(i + 1, n) });
        let kind = if i == n - 1 {
            outcome(&mut rng, i)
        } else if i == 0 && collect_root {
            NodeKind::Collect {
                prompt: text_for(i),
                key: "serial".into(),
                input: InputKind::Text,
                optional: false,
                next: target(&mut rng, true),
            }
        } else {
            let choice = rng.below(8);
            match choice {
                0 if !chain => outcome(&mut rng, i),
                1 => NodeKind::Question {
                    prompt: text_for(i),
                    choices: (0..rng.range(2, 5))
                        .map(|c| Choice { id: format!("c{c}"), label: text_for(c), next: target(&mut rng, c == 0) })
                        .collect(),
                },
                2 => NodeKind::Instruction {
                    text: text_for(i),
                    image: None,
                    helped: target(&mut rng, true),
                    not_helped: target(&mut rng, false),
                },
                3 => NodeKind::Collect {
                    prompt: text_for(i),
                    key: format!("k{i}"),
                    input: [InputKind::Text, InputKind::Number, InputKind::Photo][rng.below(3)],
                    optional: rng.below(2) == 0,
                    next: target(&mut rng, true),
                },
                4 => {
                    let otherwise = target(&mut rng, true);
                    NodeKind::Check {
                        prompt: text_for(i),
                        check: Check::Clock { max_skew_seconds: 120 },
                        branches: (0..rng.below(3))
                            .map(|_| Branch {
                                when: Condition::Result {
                                    result: [CheckResult::Ok, CheckResult::Failed, CheckResult::Unknown][rng.below(3)],
                                },
                                next: target(&mut rng, false),
                            })
                            .collect(),
                        otherwise,
                    }
                }
                5 => {
                    let otherwise = target(&mut rng, true);
                    let pattern = |p: &str| LogPattern { id: p.into(), label: text_for(0), any: vec!["error".into(), "超时".into()] };
                    NodeKind::Check {
                        prompt: text_for(i),
                        check: Check::LogAnalysis { patterns: vec![pattern("p0"), pattern("p1")] },
                        branches: (0..rng.below(3))
                            .map(|b| Branch {
                                when: Condition::Pattern { pattern: format!("p{}", b % 2), min_count: rng.below(5) as u32 },
                                next: target(&mut rng, false),
                            })
                            .collect(),
                        otherwise,
                    }
                }
                6 if collect_root => {
                    let otherwise = target(&mut rng, true);
                    NodeKind::Check {
                        prompt: text_for(i),
                        check: Check::ErrorCode {
                            code_key: "serial".into(),
                            codes: vec![
                                ErrorCodeEntry { code: "E1".into(), meaning: text_for(1) },
                                ErrorCodeEntry { code: "E2".into(), meaning: text_for(2) },
                            ],
                        },
                        branches: (0..rng.below(3))
                            .map(|b| Branch { when: Condition::Code { code: format!("E{}", b % 2 + 1) }, next: target(&mut rng, false) })
                            .collect(),
                        otherwise,
                    }
                }
                7 if collect_root => NodeKind::Check {
                    prompt: text_for(i),
                    check: Check::Reachability { address_key: "serial".into() },
                    branches: vec![Branch { when: Condition::Result { result: CheckResult::Failed }, next: target(&mut rng, false) }],
                    otherwise: target(&mut rng, true),
                },
                _ => NodeKind::Check {
                    prompt: text_for(i),
                    check: Check::Connection { max_latency_ms: 500, min_kbps: 256 },
                    branches: vec![],
                    otherwise: target(&mut rng, true),
                },
            }
        };
        nodes.push(Node { id: id(i), kind });
    }
    // Keep what the root reaches (every kept exit then points to a kept node).
    let mut reached = BTreeSet::from([id(0)]);
    let mut queue = vec![id(0)];
    while let Some(at) = queue.pop() {
        let node = nodes.iter().find(|x| x.id == at).unwrap();
        for (_, next) in node.kind.exits() {
            if reached.insert(next.to_string()) {
                queue.push(next.to_string());
            }
        }
    }
    nodes.retain(|x| reached.contains(&x.id));
    let rotate = rng.below(nodes.len());
    nodes.rotate_left(rotate);
    Guide {
        id: "fuzz-guide".into(),
        version: 1 + rng.below(5) as u32,
        equipment: vec!["alarm_panel".into()],
        title: text_for(999),
        root: id(0),
        nodes,
    }
}

fn sound_guide_s() -> impl Strategy<Value = Guide> {
    (2usize..100, any::<u64>(), prop::bool::weighted(0.2), any::<bool>())
        .prop_map(|(n, seed, chain, collect_root)| build_sound(n, seed, chain, collect_root))
}

// ---- JSON-level mutations of the shipped guides

#[derive(Debug, Clone)]
enum Target {
    Ghost,
    Empty,
    Root,
    SelfNode,
    Node(usize),
}

#[derive(Debug, Clone, Copy)]
enum LangHow {
    Remove,
    Empty,
    Blank,
    Null,
    Number,
}

#[derive(Debug, Clone)]
enum Mutation {
    DeleteNode(usize),
    Retarget { node: usize, exit: usize, to: Target },
    Root(Target),
    DuplicateId { node: usize, of: usize },
    CopyNode(usize),
    HugeString { node: usize, slot: usize, len: usize, wide: bool },
    DeepNesting { node: usize, slot: usize, depth: usize, array: bool },
    Language { node: Option<usize>, text: usize, lang: usize, how: LangHow },
    RemoveField { node: usize, field: usize },
    SetType { node: usize, ty: usize },
    Version(usize),
    Rotate(usize),
    ClearChoices(usize),
}

/// What a single mutation must lead to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    ParseError,
    Problems,
    Sound,
    Anything,
}

fn target_s() -> impl Strategy<Value = Target> {
    prop_oneof![Just(Target::Ghost), Just(Target::Empty), Just(Target::Root), Just(Target::SelfNode), any::<usize>().prop_map(Target::Node)]
}

fn mutation_s() -> impl Strategy<Value = Mutation> {
    let how = select(&[LangHow::Remove, LangHow::Empty, LangHow::Blank, LangHow::Null, LangHow::Number][..]);
    let i = || any::<usize>();
    prop_oneof![
        i().prop_map(Mutation::DeleteNode),
        (i(), i(), target_s()).prop_map(|(node, exit, to)| Mutation::Retarget { node, exit, to }),
        target_s().prop_map(Mutation::Root),
        (i(), i()).prop_map(|(node, of)| Mutation::DuplicateId { node, of }),
        i().prop_map(Mutation::CopyNode),
        (i(), i(), prop_oneof![0usize..10, 1000usize..50_000], any::<bool>()).prop_map(|(node, slot, len, wide)| Mutation::HugeString {
            node,
            slot,
            len,
            wide
        }),
        (i(), i(), 1usize..300, any::<bool>())
            .prop_map(|(node, slot, depth, array)| { Mutation::DeepNesting { node, slot, depth, array } }),
        (proptest::option::weighted(0.9, i()), i(), 0usize..3, how).prop_map(|(node, text, lang, how)| Mutation::Language {
            node,
            text,
            lang,
            how
        }),
        (i(), i()).prop_map(|(node, field)| Mutation::RemoveField { node, field }),
        (i(), i()).prop_map(|(node, ty)| Mutation::SetType { node, ty }),
        i().prop_map(Mutation::Version),
        i().prop_map(Mutation::Rotate),
        i().prop_map(Mutation::ClearChoices),
    ]
}

fn exit_slots(node: &mut Value) -> Vec<&mut Value> {
    let mut out = Vec::new();
    if let Value::Object(map) = node {
        for (key, v) in map.iter_mut() {
            match key.as_str() {
                "next" | "helped" | "not_helped" | "otherwise" => out.push(v),
                "choices" | "branches" => {
                    if let Value::Array(items) = v {
                        for item in items {
                            if let Some(next) = item.get_mut("next") {
                                out.push(next);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn strings_mut<'a>(v: &'a mut Value, out: &mut Vec<&'a mut Value>) {
    match v {
        Value::String(_) => out.push(v),
        Value::Array(items) => items.iter_mut().for_each(|x| strings_mut(x, out)),
        Value::Object(map) => map.values_mut().for_each(|x| strings_mut(x, out)),
        _ => {}
    }
}

fn texts_mut<'a>(v: &'a mut Value, out: &mut Vec<&'a mut serde_json::Map<String, Value>>) {
    let is_text = matches!(&*v, Value::Object(m) if m.contains_key("zh_cn") && m.contains_key("en"));
    match v {
        Value::Object(map) => {
            if is_text {
                out.push(map);
            } else {
                map.values_mut().for_each(|x| texts_mut(x, out));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| texts_mut(x, out)),
        _ => {}
    }
}

fn count_values(v: &Value) -> usize {
    1 + match v {
        Value::Array(items) => items.iter().map(count_values).sum(),
        Value::Object(map) => map.values().map(count_values).sum(),
        _ => 0,
    }
}

/// The `n`-th value of `v` in pre-order (0 is `v` itself).
fn nth_value_mut(v: &mut Value, n: usize) -> &mut Value {
    if n == 0 {
        return v;
    }
    let mut n = n - 1;
    let children: Vec<&mut Value> = match v {
        Value::Array(items) => items.iter_mut().collect(),
        Value::Object(map) => map.values_mut().collect(),
        _ => Vec::new(),
    };
    for child in children {
        let size = count_values(child);
        if n < size {
            return nth_value_mut(child, n);
        }
        n -= size;
    }
    unreachable!("index beyond the value")
}

/// Empties, blanks, removes or retypes one language of one text in `v`.
fn mutate_text(v: &mut Value, text: usize, lang: usize, how: LangHow) -> Expect {
    let lang = ["zh_cn", "zh_tw", "en"][lang];
    let mut texts = Vec::new();
    texts_mut(v, &mut texts);
    let count = texts.len();
    if count == 0 {
        return Expect::Sound;
    }
    let t = &mut texts[text % count];
    match how {
        LangHow::Remove => {
            t.remove(lang);
            Expect::ParseError
        }
        LangHow::Null => {
            t.insert(lang.into(), Value::Null);
            Expect::ParseError
        }
        LangHow::Number => {
            t.insert(lang.into(), json!(7));
            Expect::ParseError
        }
        LangHow::Empty => {
            t.insert(lang.into(), json!(""));
            Expect::Problems
        }
        LangHow::Blank => {
            t.insert(lang.into(), json!(" \t\u{3000}\n"));
            Expect::Problems
        }
    }
}

/// Applies one mutation to a guide's JSON; says what it must lead to when it
/// is the only one.
fn mutate(guide: &mut Value, m: &Mutation) -> Expect {
    let root = guide["root"].as_str().unwrap_or_default().to_string();
    let ids: Vec<String> =
        guide["nodes"].as_array().map(|a| a.iter().map(|n| n["id"].as_str().unwrap_or_default().to_string()).collect()).unwrap_or_default();
    let n = ids.len();
    let target_id = |t: &Target, own: &str| match t {
        Target::Ghost => "ghost-node".to_string(),
        Target::Empty => String::new(),
        Target::Root => root.clone(),
        Target::SelfNode => own.to_string(),
        Target::Node(j) => ids.get(j % n.max(1)).cloned().unwrap_or_default(),
    };
    if let Mutation::Language { node: None, text, lang, how } = m {
        return mutate_text(&mut guide["title"], *text, *lang, *how);
    }
    let Some(nodes) = guide["nodes"].as_array_mut() else {
        return Expect::Anything;
    };
    if n == 0 {
        return Expect::Anything;
    }
    match m {
        Mutation::DeleteNode(i) => {
            nodes.remove(i % n);
            Expect::Problems
        }
        Mutation::Retarget { node, exit, to } => {
            let own = ids[node % n].clone();
            let new = target_id(to, &own);
            let mut slots = exit_slots(&mut nodes[node % n]);
            if slots.is_empty() {
                return Expect::Sound;
            }
            let len = slots.len();
            let slot = &mut slots[exit % len];
            let same = slot.as_str() == Some(new.as_str());
            **slot = Value::String(new);
            match to {
                _ if same => Expect::Sound,
                Target::Node(_) => Expect::Anything,
                _ => Expect::Problems, // dangling, or a cycle back to the root or itself
            }
        }
        Mutation::Root(to) => {
            let new = target_id(to, &root);
            let same = new == root;
            guide["root"] = Value::String(new);
            if same {
                Expect::Sound
            } else {
                Expect::Problems // missing root, or the old root is now unreachable
            }
        }
        Mutation::DuplicateId { node, of } => {
            if node % n == of % n {
                return Expect::Sound;
            }
            // An earlier step may have made this node something other than
            // an object: the guide has problems already; leave it.
            if let Some(obj) = nodes[node % n].as_object_mut() {
                obj.insert("id".into(), Value::String(ids[of % n].clone()));
            }
            Expect::Problems
        }
        Mutation::CopyNode(i) => {
            let copy = nodes[i % n].clone();
            nodes.push(copy);
            Expect::Problems
        }
        Mutation::HugeString { node, slot, len, wide } => {
            let mut slots = Vec::new();
            strings_mut(&mut nodes[node % n], &mut slots);
            let count = slots.len();
            if count > 0 {
                *slots[slot % count] = Value::String(if *wide { "节".repeat(*len) } else { "x".repeat(*len) });
            }
            Expect::Anything
        }
        Mutation::DeepNesting { node, slot, depth, array } => {
            let node = &mut nodes[node % n];
            let count = count_values(node);
            let at = nth_value_mut(node, slot % count);
            let mut wrapped = std::mem::take(at);
            for _ in 0..*depth {
                wrapped = if *array { Value::Array(vec![wrapped]) } else { json!({ "x": wrapped }) };
            }
            *at = wrapped;
            // Past serde_json's recursion limit (128) nothing parses.
            if *depth >= 128 {
                Expect::ParseError
            } else {
                Expect::Anything
            }
        }
        Mutation::Language { node, text, lang, how } => mutate_text(&mut nodes[node.unwrap_or(0) % n], *text, *lang, *how),
        Mutation::RemoveField { node, field } => {
            let Value::Object(map) = &mut nodes[node % n] else {
                return Expect::Anything;
            };
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = &keys[field % keys.len()];
            map.remove(key);
            if key == "optional" || key == "image" {
                Expect::Sound
            } else {
                Expect::ParseError
            }
        }
        Mutation::SetType { node, ty } => {
            let ty = ["question", "instruction", "collect", "check", "outcome", "Question", "bogus", ""][ty % 8];
            // An earlier mutation may have made the node an array or a string.
            if let Value::Object(map) = &mut nodes[node % n] {
                map.insert("type".into(), json!(ty));
            }
            Expect::Anything
        }
        Mutation::Version(k) => {
            let (v, expect) = [
                (json!(0), Expect::Problems),
                (json!(-1), Expect::ParseError),
                (json!(4_294_967_296u64), Expect::ParseError),
                (json!(1.5), Expect::ParseError),
                (json!("1"), Expect::ParseError),
                (Value::Null, Expect::ParseError),
                (json!(u32::MAX), Expect::Sound),
            ][k % 7]
                .clone();
            guide["version"] = v;
            expect
        }
        Mutation::Rotate(k) => {
            nodes.rotate_left(k % n);
            Expect::Sound
        }
        Mutation::ClearChoices(i) => match nodes[i % n].get_mut("choices") {
            Some(choices) => {
                *choices = json!([]);
                Expect::Problems
            }
            None => Expect::Sound,
        },
    }
}

// ---- arbitrary JSON, shaped like a guide or not

const JSON_KEYS: &[&str] = &[
    "id",
    "version",
    "equipment",
    "title",
    "root",
    "nodes",
    "type",
    "prompt",
    "choices",
    "label",
    "next",
    "text",
    "image",
    "helped",
    "not_helped",
    "key",
    "input",
    "optional",
    "check",
    "kind",
    "branches",
    "otherwise",
    "result",
    "message",
    "severity",
    "tier",
    "technician_hint",
    "zh_cn",
    "zh_tw",
    "en",
    "if",
    "pattern",
    "min_count",
    "code",
    "patterns",
    "any",
    "codes",
    "meaning",
    "address_key",
    "code_key",
    "max_skew_seconds",
    "max_latency_ms",
    "min_kbps",
];
const JSON_WORDS: &[&str] = &[
    "question",
    "instruction",
    "collect",
    "check",
    "outcome",
    "resolved",
    "escalate",
    "reachability",
    "clock",
    "connection",
    "log_analysis",
    "error_code",
    "ok",
    "failed",
    "unknown",
    "emergency",
    "major",
    "general",
    "phone",
    "remote",
    "on_site",
    "return_to_factory",
    "text",
    "number",
    "photo",
    "a",
    "b",
    "root",
    "",
];

fn json_s() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (0u64..10).prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        strings(JSON_WORDS).prop_map(Value::String),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((strings(JSON_KEYS), inner), 0..8).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A guide-shaped object whose parts are sometimes right and sometimes arbitrary.
fn text_json_s() -> impl Strategy<Value = Value> {
    prop_oneof![Just(json!({"zh_cn": "中", "zh_tw": "中", "en": "x"})), Just(json!({"zh_cn": "中", "en": "x"})), json_s(),]
}

fn guide_shaped_json_s() -> impl Strategy<Value = Value> {
    let text = text_json_s();
    let node = (strings(IDS), strings(JSON_WORDS), prop::collection::vec((strings(JSON_KEYS), json_s()), 0..6), text_json_s()).prop_map(
        |(id, ty, fields, prompt)| {
            let mut map: serde_json::Map<String, Value> = fields.into_iter().collect();
            map.insert("id".into(), json!(id));
            map.insert("type".into(), json!(ty));
            map.entry("prompt").or_insert(prompt);
            Value::Object(map)
        },
    );
    (strings(IDS), prop_oneof![Just(json!(1)), json_s()], text, strings(IDS), prop::collection::vec(node, 0..8)).prop_map(
        |(id, version, title, root, nodes)| json!({"id": id, "version": version, "equipment": ["nvr"], "title": title, "root": root, "nodes": nodes}),
    )
}

proptest! {
    #![proptest_config(config(3000))]

    /// Arbitrary bytes, and arbitrary bytes spliced into a real guide, never
    /// panic the parser, validation or replay.
    #[test]
    fn guide_parser_survives_arbitrary_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        which in any::<usize>(),
        at in any::<usize>(),
        splice in any::<bool>(),
        seeds in walk_seeds_s(),
        picks in prop::collection::vec(any::<usize>(), 0..16),
    ) {
        let input = if splice {
            let s = &shipped()[which % shipped().len()];
            let mut json = serde_json::to_vec(&s.value).unwrap();
            let at = at % (json.len() + 1);
            let end = (at + bytes.len() / 2).min(json.len());
            json.splice(at..end, bytes.iter().copied());
            json
        } else {
            bytes
        };
        if let Ok(g) = serde_json::from_slice::<Guide>(&input) {
            exercise(&g, &seeds, &picks)?;
        }
    }
}

proptest! {
    #![proptest_config(config(1500))]

    /// Arbitrary JSON values, plain or shaped like a guide, never panic.
    #[test]
    fn guide_parser_survives_arbitrary_json(
        value in prop_oneof![json_s(), guide_shaped_json_s()],
        seeds in walk_seeds_s(),
        picks in prop::collection::vec(any::<usize>(), 0..16),
    ) {
        let bytes = serde_json::to_vec(&value).unwrap();
        if let Ok(g) = serde_json::from_slice::<Guide>(&bytes) {
            exercise(&g, &seeds, &picks)?;
        }
    }

    /// Random guides with every kind of broken structure (dangling exits,
    /// cycles, duplicate ids, missing texts, empty keys) go through JSON and
    /// never panic; when `problems()` finds nothing, every walk ends.
    #[test]
    fn random_guides_never_panic_and_sound_ones_end(
        g in random_guide_s(),
        seeds in walk_seeds_s(),
        picks in prop::collection::vec(any::<usize>(), 0..16),
    ) {
        let bytes = serde_json::to_vec(&g).unwrap();
        let parsed: Guide = serde_json::from_slice(&bytes).map_err(|e| TestCaseError::fail(format!("does not parse back: {e}")))?;
        prop_assert_eq!(&parsed, &g);
        exercise(&parsed, &seeds, &picks)?;
    }

    /// One mutation of a shipped guide: never a panic, and the mutation is
    /// caught where it must be (by serde or by `problems()`).
    #[test]
    fn shipped_guide_single_mutation_is_caught(
        which in any::<usize>(),
        m in mutation_s(),
        seeds in walk_seeds_s(),
        picks in prop::collection::vec(any::<usize>(), 0..64),
    ) {
        let s = &shipped()[which % shipped().len()];
        let mut value = s.value.clone();
        let expect = mutate(&mut value, &m);
        let bytes = serde_json::to_vec(&value).unwrap();
        let parsed = serde_json::from_slice::<Guide>(&bytes);
        match (&parsed, expect) {
            (Err(_), Expect::ParseError | Expect::Anything) => {}
            (Err(e), _) => prop_assert!(false, "{}: {:?} should still parse: {}", s.file, m, e),
            (Ok(_), Expect::ParseError) => prop_assert!(false, "{}: {:?} should not parse", s.file, m),
            (Ok(g), _) => {
                let problems = exercise(g, &seeds, &picks)?;
                match expect {
                    Expect::Problems => prop_assert!(!problems.is_empty(), "{}: {:?} not caught by problems()", s.file, m),
                    Expect::Sound => prop_assert!(problems.is_empty(), "{}: {:?} made problems: {:?}", s.file, m, problems),
                    _ => {}
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config(600))]

    /// Several mutations in a row (cycles, deletions, huge strings, deep
    /// nesting, missing languages together) never panic, and walks stay bounded.
    #[test]
    fn shipped_guide_mutation_sequences_never_panic(
        which in any::<usize>(),
        ms in prop::collection::vec(mutation_s(), 2..8),
        seeds in walk_seeds_s(),
        picks in prop::collection::vec(any::<usize>(), 0..64),
    ) {
        let s = &shipped()[which % shipped().len()];
        let mut value = s.value.clone();
        for m in &ms {
            mutate(&mut value, m);
        }
        let bytes = serde_json::to_vec(&value).unwrap();
        if let Ok(g) = serde_json::from_slice::<Guide>(&bytes) {
            exercise(&g, &seeds, &picks)?;
        }
    }

    /// Guides without problems (random DAGs, some deeper than MAX_STEPS):
    /// every walk ends on an outcome within the node count; replay accepts it
    /// (or says TooLong), and each kind of tampering gives its own error at
    /// the tampered step.
    #[test]
    fn sound_guides_replay_every_walk_to_an_end(
        g in sound_guide_s(),
        picks in prop::collection::vec(any::<usize>(), 0..128),
        at in any::<usize>(),
        seeds in walk_seeds_s(),
    ) {
        let problems = g.problems();
        prop_assert!(problems.is_empty(), "generator made an unsound guide: {:?}", problems);
        exercise(&g, &seeds, &picks)?;
        let (steps, end) = follow(&g, &picks, g.nodes.len() + 1);
        let Some(NodeKind::Outcome(outcome)) = end.map(|n| &n.kind) else {
            return Err(TestCaseError::fail("walk did not end on an outcome"));
        };
        prop_assert!(steps.len() < g.nodes.len());
        if steps.len() > MAX_STEPS {
            prop_assert_eq!(g.replay(&steps), Err(WalkError::TooLong));
            return Ok(());
        }
        prop_assert_eq!(g.replay(&steps), Ok(outcome));
        let len = steps.len();
        if len == 0 {
            // The root is an outcome: nothing to tamper with but an extra step.
            prop_assert_eq!(g.replay(&[step(&g.root, "yes")]), Err(WalkError::UnexpectedNode { index: 0 }));
            return Ok(());
        }
        let i = at % len;
        let mut bad = steps.clone();
        bad[i].node = "ghost".into();
        prop_assert_eq!(g.replay(&bad), Err(WalkError::UnexpectedNode { index: i }));
        let mut bad = steps.clone();
        bad[i].choice = "nope".into();
        prop_assert_eq!(g.replay(&bad), Err(WalkError::UnknownChoice { index: i }));
        let mut bad = steps.clone();
        bad[i].value = Some("字".repeat(MAX_VALUE_CHARS + 1));
        prop_assert_eq!(g.replay(&bad), Err(WalkError::ValueTooLong { index: i }));
        let mut fine = steps.clone();
        fine[i].value = Some("字".repeat(MAX_VALUE_CHARS));
        prop_assert_eq!(g.replay(&fine), Ok(outcome));
        prop_assert_eq!(g.replay(&steps[..len - 1]), Err(WalkError::NotFinished));
        if len < MAX_STEPS {
            let mut extra = steps.clone();
            extra.push(step(&end.unwrap().id, "yes"));
            prop_assert_eq!(g.replay(&extra), Err(WalkError::UnexpectedNode { index: len }));
        }
    }
}

/// Deep nesting and very large inputs: errors, not stack overflows.
#[test]
fn guide_parser_refuses_deep_nesting_and_survives_big_inputs() {
    for open in ["[", "{\"nodes\":", "{\"id\":\"x\",\"title\":"] {
        let deep = open.repeat(100_000);
        assert!(serde_json::from_slice::<Guide>(deep.as_bytes()).is_err());
    }
    // A real guide with a 4 MB text and 500 extra copies of a node.
    let s = &shipped()[0];
    let mut value = s.value.clone();
    value["title"]["en"] = json!("x".repeat(4 << 20));
    let copy = value["nodes"][0].clone();
    value["nodes"].as_array_mut().unwrap().extend(std::iter::repeat_n(copy, 500));
    let g: Guide = serde_json::from_slice(&serde_json::to_vec(&value).unwrap()).unwrap();
    assert!(g.problems().iter().any(|p| p.contains("id used twice")));
}

/// Every shipped guide: each exit of each node, taken first, still ends (the
/// unit tests pick walks at random; this covers every exit at least once).
#[test]
fn shipped_guides_every_exit_leads_to_an_end() {
    for s in shipped() {
        let g = &s.guide;
        for node in &g.nodes {
            for (choice, _) in node.kind.exits() {
                // Walk to `node` along any path, then take `choice`, then first exits.
                let mut path: Option<Vec<WalkStep>> = None;
                let mut stack = vec![(g.root.clone(), Vec::<WalkStep>::new())];
                while let Some((at, steps)) = stack.pop() {
                    if at == node.id {
                        path = Some(steps);
                        break;
                    }
                    for (c, next) in g.node(&at).unwrap().kind.exits() {
                        let mut more = steps.clone();
                        more.push(step(&at, &c));
                        stack.push((next.to_string(), more));
                    }
                }
                let mut steps = path.unwrap_or_else(|| panic!("{}: node '{}' unreachable", s.file, node.id));
                steps.push(step(&node.id, &choice));
                loop {
                    let here = g.current(&steps).unwrap();
                    let exits = here.kind.exits();
                    if exits.is_empty() {
                        break;
                    }
                    assert!(steps.len() <= g.nodes.len(), "{}: walk does not end", s.file);
                    steps.push(step(&here.id, &exits[0].0));
                }
                assert!(g.replay(&steps).is_ok(), "{}: exit '{}' of '{}'", s.file, choice, node.id);
            }
        }
    }
}

/// A guide whose nodes form one long chain (every node sound, each `collect`
/// leading to the next; about 1.6 MB of JSON, under axum's default 2 MB
/// body limit). `Guide::problems` walks the
/// tree recursively, one stack frame per node, so it is run here on a thread
/// with the 2 MiB stack of a tokio worker, in a child process: a stack
/// overflow aborts the process, and this test then fails instead of taking
/// the whole test binary down with it.
#[test]
fn guide_problems_handles_a_long_chain_on_a_worker_sized_stack() {
    const CHILD: &str = "FIXLINE_FUZZ_STACK_CHILD";
    const NODES: usize = 10_000;
    if let Some(nodes) = std::env::var_os(CHILD) {
        let nodes: usize = nodes.to_str().unwrap().parse().unwrap();
        let json = serde_json::to_string(&chain_guide(nodes)).unwrap();
        eprintln!("chain of {nodes} nodes: {} bytes of JSON", json.len());
        let problems = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || guide::parse("chain.json", &json).err().unwrap_or_default())
            .unwrap()
            .join()
            .unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "guide_problems_handles_a_long_chain_on_a_worker_sized_stack", "--nocapture", "--test-threads=1"])
        .env(CHILD, NODES.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "validating a {NODES}-node chain guide on a 2 MiB stack crashed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `Guide::problems` (which runs the customer-safety phrase check on every
/// text) on one long text full of negated phrases ("do not climb a ladder",
/// "不要凳") without a clause break must scale linearly: four times the text,
/// at most about four times the time. Checked as a ratio (best of three
/// runs each), so it holds in debug and release builds and on a busy
/// machine. (At the time of writing the check was quadratic: 16 KiB 50 ms,
/// 64 KiB 590 ms, and a 1 MiB upload took minutes.)
#[test]
fn guide_problems_is_quick_on_huge_texts() {
    let base = &shipped()[0].guide;
    let mut timings = Vec::new();
    for (what, unit, zh) in [("en", "do not climb a ladder ", false), ("zh", "不要凳", true)] {
        for kib in [16usize, 64] {
            let text = unit.repeat((kib << 10) / unit.len());
            let mut g = base.clone();
            let t = Text {
                zh_cn: if zh { text.clone() } else { "说明".into() },
                zh_tw: "說明".into(),
                en: if zh { "note".into() } else { text.clone() },
            };
            g.title = t.clone();
            if let Some(node) = g.nodes.iter_mut().find(|n| matches!(n.kind, NodeKind::Instruction { .. })) {
                if let NodeKind::Instruction { text, .. } = &mut node.kind {
                    *text = t;
                }
            }
            let elapsed = (0..5)
                .map(|_| {
                    let started = Instant::now();
                    let _ = g.problems();
                    started.elapsed()
                })
                .min()
                .unwrap();
            eprintln!("problems() with a {kib} KiB {what} text: {elapsed:?}");
            timings.push((kib, elapsed));
        }
    }
    for pair in timings.chunks(2) {
        let (small, large) = (pair[0].1, pair[1].1.max(Duration::from_micros(1)));
        let ratio = large.as_secs_f64() / small.max(Duration::from_micros(1)).as_secs_f64();
        // Linear is 4×; caches and a busy machine (tests run side by side)
        // have been seen to make it 8.6×: quadratic stays well apart.
        assert!(ratio < 11.0, "4× the text took {ratio:.1}× the time (quadratic is 16×): {timings:?}");
    }
}

fn chain_guide(n: usize) -> Guide {
    let mut nodes: Vec<Node> = (0..n - 1)
        .map(|i| Node {
            id: format!("c{i}"),
            kind: NodeKind::Collect {
                prompt: text_for(i),
                key: "k".into(),
                input: InputKind::Text,
                optional: true,
                next: format!("c{}", i + 1),
            },
        })
        .collect();
    nodes.push(Node { id: format!("c{}", n - 1), kind: NodeKind::Outcome(Outcome::Resolved { message: text_for(n) }) });
    Guide { id: "chain".into(), version: 1, equipment: vec!["nvr".into()], title: text_for(0), root: "c0".into(), nodes }
}

// ===========================================================================
// Log scanner
// ===========================================================================

/// Every log-analysis check in the shipped guides: (patterns, branches).
fn log_checks() -> &'static [(Vec<LogPattern>, Vec<Branch>)] {
    static CELL: OnceLock<Vec<(Vec<LogPattern>, Vec<Branch>)>> = OnceLock::new();
    CELL.get_or_init(|| {
        let checks: Vec<_> = shipped()
            .iter()
            .flat_map(|s| s.guide.nodes.iter())
            .filter_map(|n| match &n.kind {
                NodeKind::Check { check: Check::LogAnalysis { patterns }, branches, .. } => Some((patterns.clone(), branches.clone())),
                _ => None,
            })
            .collect();
        assert!(!checks.is_empty(), "no log-analysis checks in the shipped guides");
        checks
    })
}

fn all_needles() -> &'static [String] {
    static CELL: OnceLock<Vec<String>> = OnceLock::new();
    CELL.get_or_init(|| log_checks().iter().flat_map(|(ps, _)| ps.iter().flat_map(|p| p.any.iter().cloned())).collect())
}

/// Reference: `YYYY-MM-DD HH:MM:SS` (or `T`) at the start of a line, after
/// leading blanks and `[`.
fn reference_stamp(line: &str) -> Option<&str> {
    let s = line.trim_start().trim_start_matches('[');
    let shape = "0000-00-00 00:00:00";
    let mut chars = s.chars();
    for want in shape.chars() {
        let c = chars.next()?;
        let ok = match want {
            '0' => c.is_ascii_digit(),
            ' ' => c == ' ' || c == 'T',
            other => c == other,
        };
        if !ok {
            return None;
        }
    }
    Some(&s[..19])
}

/// Reference scan of the whole text at once.
fn reference_scan(patterns: &[LogPattern], text: &str) -> Vec<PatternCount> {
    let mut pieces: Vec<&str> = text.split('\n').collect();
    let tail = pieces.pop().unwrap();
    let mut lines: Vec<&str> = pieces.into_iter().map(|p| p.strip_suffix('\r').unwrap_or(p)).collect();
    if !tail.is_empty() {
        lines.push(tail);
    }
    patterns
        .iter()
        .map(|p| {
            let needles: Vec<String> = p.any.iter().map(|s| s.to_lowercase()).collect();
            let hits: Vec<&str> = lines.iter().copied().filter(|l| needles.iter().any(|n| l.to_lowercase().contains(n.as_str()))).collect();
            PatternCount {
                id: p.id.clone(),
                count: hits.len() as u32,
                first: hits.iter().find_map(|l| reference_stamp(l)).map(str::to_string),
                last: hits.iter().rev().find_map(|l| reference_stamp(l)).map(str::to_string),
                lines: hits.iter().take(3).map(|l| l.trim().chars().take(300).collect()).collect(),
            }
        })
        .collect()
}

/// Feeds `text` in chunks of the given sizes (0: an empty chunk first),
/// moved forward to character boundaries.
fn scan_chunked(patterns: &[LogPattern], text: &str, sizes: &[usize]) -> Vec<PatternCount> {
    let mut scanner = LogScanner::new(patterns);
    let mut rest = text;
    let mut i = 0;
    while !rest.is_empty() {
        let mut size = sizes.get(i % sizes.len().max(1)).copied().unwrap_or(rest.len());
        i += 1;
        if size == 0 {
            scanner.feed("");
            size = 1;
        }
        let mut cut = size.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        scanner.feed(&rest[..cut]);
        rest = &rest[cut..];
    }
    scanner.finish()
}

fn check_scan(patterns: &[LogPattern], branches: &[Branch], bytes: &[u8], sizes: &[usize]) -> Result<(), TestCaseError> {
    let text = String::from_utf8_lossy(bytes);
    let started = Instant::now();
    let whole = scan_chunked(patterns, &text, &[]);
    let chunked = scan_chunked(patterns, &text, sizes);
    let again = scan_chunked(patterns, &text, sizes);
    let elapsed = started.elapsed();
    prop_assert!(elapsed < Duration::from_secs(2), "scanning {} bytes three times took {:?}", bytes.len(), elapsed);
    prop_assert_eq!(&chunked, &again, "scan is not deterministic");
    prop_assert_eq!(&whole, &chunked, "result depends on the chunking");
    prop_assert_eq!(&whole, &reference_scan(patterns, &text), "result differs from the reference scan");
    prop_assert_eq!(whole.len(), patterns.len());
    for c in &whole {
        prop_assert!(c.lines.len() <= 3 && c.lines.iter().all(|l| l.chars().count() <= 300));
        prop_assert!(c.count > 0 || (c.first.is_none() && c.last.is_none() && c.lines.is_empty()));
        prop_assert!(c.first.is_some() == c.last.is_some());
    }
    let choice = logscan::choose(branches, &Finding::Patterns(whole));
    let valid =
        choice == "otherwise" || choice.strip_prefix("branch-").and_then(|i| i.parse::<usize>().ok()).is_some_and(|i| i < branches.len());
    prop_assert!(valid, "choose gave {choice} for {} branches", branches.len());
    Ok(())
}

fn case_variant(s: &str, how: u8) -> String {
    match how % 4 {
        0 => s.to_string(),
        1 => s.to_uppercase(),
        2 => s.to_lowercase(),
        _ => s
            .chars()
            .enumerate()
            .map(|(i, c)| if i % 2 == 0 { c.to_uppercase().to_string() } else { c.to_lowercase().to_string() })
            .collect(),
    }
}

fn log_fragment_s() -> BoxedStrategy<Vec<u8>> {
    let needle = (any::<usize>(), any::<u8>()).prop_map(|(i, how)| {
        let needles = all_needles();
        case_variant(&needles[i % needles.len()], how).into_bytes()
    });
    let cut_needle = (any::<usize>(), any::<usize>()).prop_map(|(i, cut)| {
        let needles = all_needles();
        let b = needles[i % needles.len()].as_bytes();
        b[..cut % (b.len() + 1)].to_vec()
    });
    let stamp = (2000u32..2100, 1u32..13, 1u32..29, 0u32..24, 0u32..60, 0u32..60, any::<bool>(), any::<bool>()).prop_map(
        |(y, mo, d, h, mi, s, t, bracket)| {
            let sep = if t { 'T' } else { ' ' };
            let stamp = format!("{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{s:02}");
            if bracket { format!("[{stamp}] ") } else { format!("{stamp} ") }.into_bytes()
        },
    );
    let broken_stamp = (any::<usize>(), any::<u8>()).prop_map(|(at, b)| {
        let mut s = b"2026-11-20 09:12:03".to_vec();
        let at = at % s.len();
        if b % 2 == 0 {
            s.truncate(at);
        } else {
            s[at] = b;
        }
        s
    });
    let gbk = prop::collection::vec(0x81u8..=0xFE, 1..8);
    let continuation = prop::collection::vec(0x80u8..0xC0, 1..4);
    let special = select(
        &[
            "\0",
            "\r",
            "\r\n",
            "\n",
            "\t",
            "\u{feff}",
            "\u{fffd}",
            "无线干扰",
            "İ",
            "ẞ",
            "ß",
            "ﬁ",
            "Σ",
            "\u{301}",
            "🚨",
            "[",
            "[[",
            " ",
            "\u{2028}",
            "\u{85}",
        ][..],
    )
    .prop_map(|s: &str| s.as_bytes().to_vec());
    let long = (select(&["a", "中", "İ", " ", "[2026-11-20 09:12:03] "][..]), 1000usize..20_000)
        .prop_map(|(s, n)| s.repeat(n / s.len().max(1)).into_bytes());
    prop_oneof![
        12 => needle,
        3 => cut_needle,
        6 => stamp,
        2 => broken_stamp,
        4 => gbk,
        2 => continuation,
        6 => special,
        6 => "[ -~]{0,16}".prop_map(String::into_bytes),
        1 => long,
    ]
    .boxed()
}

fn log_bytes_s() -> impl Strategy<Value = Vec<u8>> {
    let line = (prop::collection::vec(log_fragment_s(), 0..8), select(&["\n", "\r\n", "\r", "", "\n\r", "\r\r\n"][..])).prop_map(
        |(parts, end)| {
            let mut line = parts.concat();
            line.extend_from_slice(end.as_bytes());
            line
        },
    );
    prop::collection::vec(line, 0..40).prop_map(|lines| lines.concat())
}

fn random_patterns_s() -> impl Strategy<Value = Vec<LogPattern>> {
    let needle = prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, how)| {
            let needles = all_needles();
            case_variant(&needles[i % needles.len()], how)
        }),
        ".{1,4}",
        strings(&["\r", "\0", "\u{fffd}", "ß", "SS", "İ", "i̇", "2026-", " "]),
    ];
    prop::collection::vec((strings(PATTERN_IDS), prop::collection::vec(needle, 0..4)), 0..4)
        .prop_map(|ps| ps.into_iter().map(|(id, any)| LogPattern { id, label: text_for(0), any }).collect())
}

fn patterns_and_branches_s() -> impl Strategy<Value = (Vec<LogPattern>, Vec<Branch>)> {
    prop_oneof![
        3 => any::<usize>().prop_map(|i| log_checks()[i % log_checks().len()].clone()),
        1 => (random_patterns_s(), prop::collection::vec(condition_s(), 0..4))
            .prop_map(|(ps, conds)| (ps, conds.into_iter().map(|when| Branch { when, next: "x".into() }).collect())),
    ]
}

fn chunk_sizes_s() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![0usize..4, 1usize..200, 1usize..70_000], 1..12)
}

proptest! {
    #![proptest_config(config(1500))]

    /// Arbitrary bytes (decoded lossily, as the widget does): no panic, and
    /// the same counts however the file is cut into chunks, run after run,
    /// as a line-by-line reference scan.
    #[test]
    fn log_scanner_arbitrary_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..4096),
        (patterns, branches) in patterns_and_branches_s(),
        sizes in chunk_sizes_s(),
    ) {
        check_scan(&patterns, &branches, &bytes, &sizes)?;
    }
}

proptest! {
    #![proptest_config(config(600))]

    /// Lines built from the real rules' patterns (any case, cut short),
    /// timestamps good and broken, GBK-like high bytes, NUL, CR/CRLF/LF,
    /// long runs: no panic, quick, deterministic, chunking-independent.
    #[test]
    fn log_scanner_fragment_lines(
        bytes in log_bytes_s(),
        (patterns, branches) in patterns_and_branches_s(),
        sizes in chunk_sizes_s(),
    ) {
        check_scan(&patterns, &branches, &bytes, &sizes)?;
    }
}

/// Big logs in the widget's 1 MiB slices: many short lines, one 8 MiB line,
/// and a long line fed in small pieces. Bounds are loose; they catch a
/// pathological slowdown, not a regression of a few percent.
#[test]
fn log_scanner_big_inputs_finish_quickly() {
    let (patterns, _) = &log_checks()[0];
    let sample =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("guides/samples/repeater-signal-lost-jamming.log")).unwrap();
    let mut many = String::new();
    while many.len() < 8 << 20 {
        many.push_str(&sample);
    }
    let one_line = "干扰 rf jamming \u{fffd}\0 ".repeat((8 << 20) / 30);
    let mut mib = 1 << 20;
    while !one_line.is_char_boundary(mib) {
        mib += 1;
    }
    let cases: [(&str, &str, usize); 3] = [
        ("8 MiB of sample lines", many.as_str(), 1 << 20),
        ("one 8 MiB line", one_line.as_str(), 1 << 20),
        ("one 1 MiB line in 4 KiB pieces", &one_line[..mib], 4096),
    ];
    for (what, text, chunk) in cases {
        let started = Instant::now();
        let counts = scan_chunked(patterns, text, &[chunk]);
        let elapsed = started.elapsed();
        eprintln!("log scan, {what}: {elapsed:?}");
        assert!(elapsed < Duration::from_secs(5), "{what}: {elapsed:?}");
        assert_eq!(counts, scan_chunked(patterns, text, &[]), "{what}: chunking changed the result");
    }
}

// ===========================================================================
// Holiday import
// ===========================================================================

fn clip(s: &str) -> String {
    s.trim().chars().take(ERROR_TEXT_CHARS).collect()
}

fn strip_bom(s: &str) -> &str {
    s.strip_prefix('\u{feff}').unwrap_or(s)
}

fn is_whole_input_error(p: LineProblem) -> bool {
    matches!(p, LineProblem::TooLong | LineProblem::UnknownFormat)
}

/// Logical iCalendar lines (RFC 5545 unfolding) by first physical line.
fn unfold_reference(text: &str) -> BTreeMap<usize, String> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let continues = raw.starts_with([' ', '\t']) && !out.is_empty();
        if continues {
            out.last_mut().unwrap().1.push_str(&raw[1..]);
        } else if !raw.trim().is_empty() {
            out.push((i + 1, raw.to_string()));
        }
    }
    out.into_iter().collect()
}

/// What holds for any import of any text.
fn check_import_invariants(input: &str, import: &HolidayImport, csv: bool) -> Result<(), TestCaseError> {
    let text = strip_bom(input);
    let physical: Vec<&str> = text.lines().collect();
    for w in import.days.windows(2) {
        prop_assert!(w[0].date < w[1].date, "days not sorted by date or not unique");
    }
    for d in &import.days {
        prop_assert!(Date::new(d.date.year, d.date.month, d.date.day).is_some(), "invalid date {:?}", d.date);
        prop_assert_eq!(d.name.trim(), d.name.as_str(), "name not trimmed");
    }
    for w in import.errors.windows(2) {
        prop_assert!(w[0].line <= w[1].line, "errors not sorted by line");
    }
    for e in &import.errors {
        prop_assert!(e.line >= 1 && e.line <= physical.len().max(1), "line {} outside 1..={}", e.line, physical.len());
        prop_assert!(e.text.chars().count() <= ERROR_TEXT_CHARS);
        prop_assert_eq!(e.text.trim_start(), e.text.as_str());
    }
    let logical = unfold_reference(text);
    if import.errors.iter().any(|e| is_whole_input_error(e.problem)) {
        // Too big, unreadable (NUL, U+FFFD) or, for iCalendar, not starting
        // with BEGIN:VCALENDAR: one error and nothing kept.
        prop_assert!(import.days.is_empty() && import.errors.len() == 1, "a rejected input kept days or several errors");
        let e = &import.errors[0];
        let physical_text = clip(physical.get(e.line - 1).copied().unwrap_or(""));
        if csv || e.problem == LineProblem::TooLong {
            prop_assert_eq!(&e.text, &physical_text);
        } else {
            let logical_text = logical.get(&e.line).map(|l| clip(l));
            prop_assert!(
                e.text == physical_text || logical_text.as_ref() == Some(&e.text),
                "error text {:?} is not line {}",
                e.text,
                e.line
            );
        }
        return Ok(());
    }
    if csv {
        // Every content line is a day, an error, or (first only) a header.
        let content: Vec<usize> =
            physical.iter().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.trim().starts_with('#')).map(|(i, _)| i + 1).collect();
        let mut error_lines: Vec<usize> = import.errors.iter().map(|e| e.line).collect();
        error_lines.dedup();
        prop_assert_eq!(error_lines.len(), import.errors.len(), "a CSV line reported twice");
        for e in &import.errors {
            prop_assert!(content.contains(&e.line), "error on blank or comment line {}", e.line);
            prop_assert_eq!(&e.text, &clip(physical[e.line - 1]), "error text is not the line");
        }
        let accounted = import.days.len() + import.errors.len();
        prop_assert!(
            accounted == content.len() || (accounted + 1 == content.len() && !error_lines.contains(&content[0])),
            "{} content lines, {} days, {} errors",
            content.len(),
            import.days.len(),
            import.errors.len()
        );
    } else {
        for e in &import.errors {
            match logical.get(&e.line) {
                Some(l) => prop_assert_eq!(&e.text, &clip(l), "error text is not the unfolded line {}", e.line),
                None => prop_assert!(
                    e.line == 1 && e.text.is_empty() && logical.is_empty(),
                    "error on line {} that starts no content line",
                    e.line
                ),
            }
        }
    }
    Ok(())
}

fn check_any_text(input: &str) -> Result<(), TestCaseError> {
    let csv = holidays::parse_csv(input);
    let ics = holidays::parse_ical(input);
    let auto = holidays::parse(input);
    prop_assert_eq!(&csv, &holidays::parse_csv(input), "parse_csv not deterministic");
    check_import_invariants(input, &csv, true)?;
    check_import_invariants(input, &ics, false)?;
    let head = strip_bom(input).trim_start();
    let looks_ical = head.get(..15).is_some_and(|h| h.eq_ignore_ascii_case("BEGIN:VCALENDAR"));
    prop_assert_eq!(&auto, if looks_ical { &ics } else { &csv });
    Ok(())
}

const HOLIDAY_PIECES: &[&str] = &[
    "2026-10-01",
    "2026/10/1",
    "20261001",
    "2026-13-01",
    "2026-02-29",
    "26-10-01",
    ",",
    "，",
    "\t",
    "\"",
    "\"\"",
    "holiday",
    "workday",
    "假",
    "班",
    "补班",
    "vacation",
    "国庆节",
    "#",
    " ",
    "\u{3000}",
    "\u{feff}",
    "\r",
    "\r\n",
    "\n",
    "\0",
    "\u{fffd}",
    "BEGIN:VCALENDAR",
    "END:VCALENDAR",
    "BEGIN:VEVENT",
    "END:VEVENT",
    "BEGIN:VALARM",
    "END:VALARM",
    "DTSTART:",
    "DTSTART;VALUE=DATE:",
    "DTEND:",
    "DURATION:",
    "P1D",
    "P99999999999999999999D",
    "-P2D",
    "PT8H",
    "T090000",
    "T250000",
    "Z",
    "SUMMARY:",
    "CATEGORIES:WORKDAY",
    ";",
    ":",
    "TZID=\"a:b\"",
    "\\,",
    "\\",
    "\n ",
    "\n\t",
    "date,kind,name",
    "日期,类型,名称",
];

fn holiday_text_s() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(any::<u8>(), 0..1024).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        prop::collection::vec(prop_oneof![strings(HOLIDAY_PIECES), ".{0,6}"], 0..120).prop_map(|p| p.concat()),
        prop::collection::vec(prop_oneof![strings(HOLIDAY_PIECES), ".{0,6}"], 0..120)
            .prop_map(|p| format!("BEGIN:VCALENDAR\n{}", p.concat())),
    ]
}

// ---- structured-but-wrong CSV with a predicted outcome per line

#[derive(Debug, Clone)]
enum DateCell {
    Valid(Date, u8),
    Invalid(&'static str),
    Empty,
}

#[derive(Debug, Clone)]
enum KindCell {
    Absent,
    Empty,
    Valid(DayKind, &'static str),
    Invalid(&'static str),
}

#[derive(Debug, Clone)]
enum CsvLine {
    Blank(&'static str),
    Comment(String),
    Header(&'static str),
    Row { date: DateCell, kind: KindCell, name: String, sep: char, pad: bool, notes: bool },
}

const BAD_DATES: &[&str] = &[
    "2026-13-01",
    "2026-02-29",
    "2026-00-10",
    "2026-10-32",
    "26-10-01",
    "10/1/2026",
    "2026/10-01",
    "2026101",
    "+2026-10-01",
    "2026-10-01-1",
    "2026.10.01",
    "２０２６-10-01",
    "date",
    "日期",
    "Tuesday",
    "2026-1o-01",
    "20261301",
    "99999-01-01",
    "-2026-01-01",
    "2026 10 01",
    "2026-10-",
    "2026--01",
    "0x7EA-1-1",
];
const HOLIDAY_WORDS: &[&str] = &["holiday", "HOLIDAY", "Off", "假", "休", "假日", "节假日", "休息", " 休 "];
const WORKDAY_WORDS: &[&str] = &["workday", "WorkDay", "WORK", "班", "补班", "上班", "调休上班"];
const BAD_KINDS: &[&str] = &["vacation", "休假", "班班", "rest", "h", "1", "holidays", "工作日?"];

fn date_in(lo: Date, hi: Date) -> impl Strategy<Value = Date> {
    (lo.to_days()..=hi.to_days()).prop_map(Date::from_days)
}

fn any_date_s() -> impl Strategy<Value = Date> {
    prop_oneof![
        3 => date_in(Date::new(2026, 1, 1).unwrap(), Date::new(2026, 1, 20).unwrap()),
        1 => date_in(Date::new(1000, 1, 1).unwrap(), Date::new(9999, 12, 31).unwrap()),
    ]
}

fn render_date(d: Date, style: u8) -> String {
    let Date { year, month, day } = d;
    match style % 6 {
        0 => format!("{year:04}-{month:02}-{day:02}"),
        1 => format!("{year:04}-{month}-{day}"),
        2 => format!("{year:04}/{month:02}/{day:02}"),
        3 => format!("{year:04}/{month}/{day}"),
        4 => format!("{year:04}{month:02}{day:02}"),
        _ => format!("\"{year:04}-{month:02}-{day:02}\""),
    }
}

/// A name as a CSV cell: quoted when it holds a separator or a quote.
fn csv_cell(name: &str) -> String {
    if name.contains([',', '，', '\t', '"']) {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        name.to_string()
    }
}

fn name_s() -> BoxedStrategy<String> {
    // No 'w' or 'm' (so never "workday", "working day", "make-up") and no 班:
    // the iCalendar kind heuristic must not fire on holiday names.
    prop::collection::vec(
        select(
            &[
                'a', 'b', 'e', 'r', 'N', 'D', ' ', '0', '9', '国', '庆', '节', '春', '中', '秋', ',', '，', '"', '\'', '#', ';', ':', '\\',
                '\t', '\u{3000}', 'é',
            ][..],
        ),
        0..16,
    )
    .prop_map(|cs| cs.into_iter().collect::<String>().trim().to_string())
    .boxed()
}

fn csv_line_s() -> impl Strategy<Value = CsvLine> {
    let date = prop_oneof![
        6 => (any_date_s(), any::<u8>()).prop_map(|(d, s)| DateCell::Valid(d, s)),
        2 => select(BAD_DATES).prop_map(DateCell::Invalid),
        1 => Just(DateCell::Empty),
    ];
    let kind = prop_oneof![
        1 => Just(KindCell::Absent),
        1 => Just(KindCell::Empty),
        3 => select(HOLIDAY_WORDS).prop_map(|w| KindCell::Valid(DayKind::Holiday, w)),
        3 => select(WORKDAY_WORDS).prop_map(|w| KindCell::Valid(DayKind::Workday, w)),
        1 => select(BAD_KINDS).prop_map(KindCell::Invalid),
    ];
    prop_oneof![
        1 => select(&["", "   ", "\t", "\u{3000}"][..]).prop_map(CsvLine::Blank),
        1 => "[ -~]{0,10}".prop_map(|s| CsvLine::Comment(format!("# {s}"))),
        1 => select(&["date,kind,name", "日期,类型,名称", "Date\tKind\tName", "日期，类型"][..]).prop_map(CsvLine::Header),
        10 => (date, kind, name_s(), select(&[',', '，', '\t'][..]), any::<bool>(), prop::bool::weighted(0.1))
            .prop_map(|(date, kind, name, sep, pad, notes)| CsvLine::Row { date, kind, name, sep, pad, notes }),
    ]
}

fn render_csv_line(line: &CsvLine) -> String {
    match line {
        CsvLine::Blank(s) => s.to_string(),
        CsvLine::Comment(s) => s.clone(),
        CsvLine::Header(s) => s.to_string(),
        CsvLine::Row { date, kind, name, sep, pad, notes } => {
            let p = if *pad { " " } else { "" };
            let mut cells = vec![match date {
                DateCell::Valid(d, style) => render_date(*d, *style),
                DateCell::Invalid(s) => s.to_string(),
                DateCell::Empty => String::new(),
            }];
            match kind {
                KindCell::Absent => {}
                KindCell::Empty => cells.push(String::new()),
                KindCell::Valid(_, w) | KindCell::Invalid(w) => cells.push(w.to_string()),
            }
            if !matches!(kind, KindCell::Absent) {
                cells.push(csv_cell(name));
                if *notes {
                    cells.push("notes, ignored".into());
                }
            }
            cells.iter().map(|c| format!("{p}{c}{p}")).collect::<Vec<_>>().join(&sep.to_string())
        }
    }
}

/// What `parse_csv` must return for these lines, written from the module's rules.
fn predict_csv(lines: &[(CsvLine, String)]) -> HolidayImport {
    let mut days: BTreeMap<Date, ImportedDay> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut first = true;
    for (i, (line, text)) in lines.iter().enumerate() {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let may_be_header = std::mem::replace(&mut first, false);
        let problem = match line {
            CsvLine::Blank(_) | CsvLine::Comment(_) => None,
            CsvLine::Header(_) => (!may_be_header).then_some(LineProblem::BadDate),
            CsvLine::Row { date, kind, name, .. } => match date {
                DateCell::Empty => Some(LineProblem::MissingField),
                DateCell::Invalid(s) => (!may_be_header || s.starts_with(|c: char| c.is_ascii_digit())).then_some(LineProblem::BadDate),
                DateCell::Valid(date, _) => {
                    let day_kind = match kind {
                        KindCell::Absent | KindCell::Empty => Some(DayKind::Holiday),
                        KindCell::Valid(k, _) => Some(*k),
                        KindCell::Invalid(_) => None,
                    };
                    let name = if matches!(kind, KindCell::Absent) { String::new() } else { name.clone() };
                    match (day_kind, days.get(date)) {
                        (None, _) => Some(LineProblem::BadKind),
                        (Some(k), Some(d)) if d.kind == k => Some(LineProblem::DuplicateDate),
                        (Some(_), Some(_)) => Some(LineProblem::ConflictingKinds),
                        (Some(kind), None) => {
                            days.insert(*date, ImportedDay { date: *date, kind, name });
                            None
                        }
                    }
                }
            },
        };
        if let Some(problem) = problem {
            errors.push(holidays::LineError { line: i + 1, problem, text: clip(text) });
        }
    }
    HolidayImport { days: days.into_values().collect(), errors }
}

// ---- structured iCalendar: messy events around well-formed ones

#[derive(Debug, Clone)]
enum Moment {
    Date(Date),
    DateTime(Date, u32, u32, u32, bool),
    Bad(&'static str),
}

#[derive(Debug, Clone)]
enum Prop {
    Start(Moment, &'static str),
    End(Moment, &'static str),
    Duration(String),
    Summary(String),
    Categories(&'static str),
    Other(&'static str),
}

#[derive(Debug, Clone)]
struct MessyEvent {
    props: Vec<Prop>,
    alarm: bool,
    end: &'static str,
    lower: bool,
}

#[derive(Debug, Clone)]
struct SafeEvent {
    date: Date,
    kind: DayKind,
    name: String,
    style: u8,
    alarm: bool,
}

#[derive(Debug, Clone)]
enum IcsItem {
    Safe(SafeEvent),
    Messy(MessyEvent),
    Junk(String),
    Blank(&'static str),
    Timezone,
}

const BAD_MOMENTS: &[&str] = &[
    "2026-10-01",
    "20261301",
    "20260230",
    "2026101",
    "20261001T",
    "20261001T0000",
    "",
    "abc",
    "20261001T240000",
    "２０２６1001",
    "20261001T006000",
];
const PARAMS: &[&str] = &[";VALUE=DATE", "", ";TZID=\"Asia/Shanghai:x\"", ";TZID=Asia/Shanghai", ";value=date"];

fn moment_s() -> impl Strategy<Value = Moment> {
    let day = || date_in(Date::new(2020, 1, 1).unwrap(), Date::new(2030, 12, 31).unwrap());
    prop_oneof![
        3 => day().prop_map(Moment::Date),
        2 => (day(), 0u32..26, 0u32..62, 0u32..62, any::<bool>()).prop_map(|(d, h, m, s, z)| Moment::DateTime(d, h, m, s, z)),
        1 => select(BAD_MOMENTS).prop_map(Moment::Bad),
    ]
}

fn render_moment(m: &Moment) -> String {
    match m {
        Moment::Date(d) => format!("{:04}{:02}{:02}", d.year, d.month, d.day),
        Moment::DateTime(d, h, mi, s, z) => {
            format!("{:04}{:02}{:02}T{h:02}{mi:02}{s:02}{}", d.year, d.month, d.day, if *z { "Z" } else { "" })
        }
        Moment::Bad(s) => s.to_string(),
    }
}

fn messy_event_s() -> impl Strategy<Value = MessyEvent> {
    let duration = prop_oneof![
        (0u32..40).prop_map(|n| format!("P{n}D")),
        (0u32..6).prop_map(|n| format!("P{n}W")),
        (0u32..60).prop_map(|n| format!("PT{n}H")),
        strings(&["-P1D", "P1DT2H", "1D", "P", "PT1D", "P99999999999999999999D", "P1", "PD", "", "+P1D", "p2d"]),
    ];
    let prop = prop_oneof![
        3 => (moment_s(), select(PARAMS)).prop_map(|(m, p)| Prop::Start(m, p)),
        2 => (moment_s(), select(PARAMS)).prop_map(|(m, p)| Prop::End(m, p)),
        1 => duration.prop_map(Prop::Duration),
        1 => "[ -~]{0,20}".prop_map(Prop::Summary),
        1 => select(&["WORKDAY", "HOLIDAY", "HOLIDAY,WORKDAY", ""][..]).prop_map(Prop::Categories),
        1 => select(&["UID:x@y", "X-FOO:bar", "no colon here", "RRULE:FREQ=YEARLY", ";:", "\"DTSTART:20261001\""][..]).prop_map(Prop::Other),
    ];
    (
        prop::collection::vec(prop, 0..6),
        any::<bool>(),
        select(&["END:VEVENT", "END:VEVENT", "END:VEVENT", "", "END:VCALENDAR", "end:vevent", "END:VALARM"][..]),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(props, alarm, end, lower)| MessyEvent { props, alarm, end, lower })
}

fn ics_items_s() -> impl Strategy<Value = (Vec<IcsItem>, Vec<SafeEvent>)> {
    let safe_dates = prop::collection::btree_set(date_in(Date::new(2200, 1, 1).unwrap(), Date::new(2200, 12, 31).unwrap()), 0..12);
    let safe_meta = prop::collection::vec((any::<bool>(), name_s(), any::<u8>(), any::<bool>()), 12);
    let other = prop::collection::vec(
        prop_oneof![
            4 => messy_event_s().prop_map(IcsItem::Messy),
            2 => prop_oneof![
                strings(&["BEGIN:VEVENT", "END:VEVENT", "BEGIN:VTODO", "END:VTODO", "BEGIN:VALARM", "END:VCALENDAR", "X-WR-CALNAME:假日", "garbage", ":", ";;;", "SUMMARY:补班", "DTSTART"]),
                "([A-Za-z:;=\"][A-Za-z:;=\" ]{0,29})?",
            ].prop_map(IcsItem::Junk),
            1 => select(&["", "  ", "\t"][..]).prop_map(IcsItem::Blank),
            1 => Just(IcsItem::Timezone),
        ],
        0..12,
    );
    (safe_dates, safe_meta, other, any::<u64>()).prop_map(|(dates, meta, other, seed)| {
        let safe: Vec<SafeEvent> = dates
            .into_iter()
            .zip(meta)
            .map(|(date, (work, name, style, alarm))| SafeEvent {
                date,
                kind: if work { DayKind::Workday } else { DayKind::Holiday },
                name,
                style,
                alarm,
            })
            .collect();
        let mut items: Vec<IcsItem> = other;
        let mut rng = SplitMix(seed);
        for s in &safe {
            let at = rng.below(items.len() + 1);
            items.insert(at, IcsItem::Safe(s.clone()));
        }
        (items, safe)
    })
}

fn ics_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace(',', "\\,").replace(';', "\\;")
}

/// Folds a content line every `width` characters (RFC 5545 continuation lines).
fn fold(line: &str, width: usize, tab: bool) -> Vec<String> {
    if width == 0 {
        return vec![line.to_string()];
    }
    let chars: Vec<char> = line.chars().collect();
    chars
        .chunks(width)
        .enumerate()
        .map(|(i, c)| {
            let s: String = c.iter().collect();
            if i == 0 {
                s
            } else {
                format!("{}{s}", if tab { '\t' } else { ' ' })
            }
        })
        .collect()
}

/// Physical lines, and the line spans of the well-formed events.
fn render_ics(items: &[IcsItem], fold_width: usize) -> (Vec<String>, Vec<(usize, usize)>) {
    let mut out = vec!["BEGIN:VCALENDAR".to_string(), "VERSION:2.0".to_string()];
    let mut spans = Vec::new();
    let ymd = |d: &Date| format!("{:04}{:02}{:02}", d.year, d.month, d.day);
    for item in items {
        match item {
            IcsItem::Safe(e) => {
                let start = out.len() + 1;
                out.push("BEGIN:VEVENT".into());
                out.push(format!("UID:{}@fixline.test", ymd(&e.date)));
                let next = e.date.add_days(1);
                match e.style % 5 {
                    0 => out.push(format!("DTSTART;VALUE=DATE:{}", ymd(&e.date))),
                    1 => {
                        out.push(format!("DTSTART;VALUE=DATE:{}", ymd(&e.date)));
                        out.push(format!("DTEND;VALUE=DATE:{}", ymd(&next)));
                    }
                    2 => {
                        out.push(format!("DTSTART:{}T090000", ymd(&e.date)));
                        out.push("DURATION:PT8H".into());
                    }
                    3 => {
                        out.push(format!("DTSTART;TZID=\"Asia/Shanghai:x\":{}T000000", ymd(&e.date)));
                        out.push(format!("DTEND:{}T000000Z", ymd(&next)));
                    }
                    _ => {
                        out.push(format!("dtstart:{}", ymd(&e.date)));
                        out.push("DURATION:P1D".into());
                    }
                }
                out.extend(fold(&format!("SUMMARY;LANGUAGE=zh-CN:{}", ics_escape(&e.name)), fold_width, e.style % 2 == 0));
                match e.kind {
                    DayKind::Workday => out.push("CATEGORIES:WORKDAY".into()),
                    DayKind::Holiday if e.style % 3 == 0 => out.push("CATEGORIES:HOLIDAY".into()),
                    DayKind::Holiday => {}
                }
                if e.alarm {
                    out.extend(
                        ["BEGIN:VALARM", "TRIGGER:-PT15M", "DTSTART:22000101", "SUMMARY:补班 not the name", "END:VALARM"].map(String::from),
                    );
                }
                out.push("END:VEVENT".into());
                spans.push((start, out.len()));
            }
            IcsItem::Messy(m) => {
                out.push(if m.lower { "begin:vevent" } else { "BEGIN:VEVENT" }.into());
                for p in &m.props {
                    let line = match p {
                        Prop::Start(t, params) => format!("DTSTART{params}:{}", render_moment(t)),
                        Prop::End(t, params) => format!("DTEND{params}:{}", render_moment(t)),
                        Prop::Duration(d) => format!("DURATION:{d}"),
                        Prop::Summary(s) => format!("SUMMARY:{s}"),
                        Prop::Categories(c) => format!("CATEGORIES:{c}"),
                        Prop::Other(o) => o.to_string(),
                    };
                    out.extend(fold(&line, fold_width, false));
                }
                if m.alarm {
                    out.extend(["BEGIN:VALARM", "DTSTART:20261001", "END:VALARM"].map(String::from));
                }
                if !m.end.is_empty() {
                    out.push(m.end.into());
                }
            }
            IcsItem::Junk(j) => out.push(j.clone()),
            IcsItem::Blank(b) => out.push(b.to_string()),
            IcsItem::Timezone => out.extend(
                [
                    "BEGIN:VTIMEZONE",
                    "TZID:Asia/Shanghai",
                    "BEGIN:STANDARD",
                    "DTSTART:19700101T000000",
                    "TZOFFSETTO:+0800",
                    "END:STANDARD",
                    "END:VTIMEZONE",
                ]
                .map(String::from),
            ),
        }
    }
    out.push("END:VCALENDAR".into());
    (out, spans)
}

// ---- valid lists, rendered as CSV and as iCalendar

fn day_list_s() -> impl Strategy<Value = BTreeMap<Date, (DayKind, String)>> {
    let base = any_date_s();
    (base, prop::collection::vec((0i64..120, any::<bool>(), 0usize..3), 0..60), prop::collection::vec(name_s(), 3)).prop_map(
        |(base, offsets, names)| {
            offsets
                .into_iter()
                .map(|(off, work, n)| {
                    let date = base.add_days(off);
                    let date = if date.year > 9999 { base.add_days(-off) } else { date };
                    (date, (if work { DayKind::Workday } else { DayKind::Holiday }, names[n].clone()))
                })
                .collect()
        },
    )
}

fn render_csv_list(days: &BTreeMap<Date, (DayKind, String)>, seed: u64) -> String {
    let mut rng = SplitMix(seed);
    let mut rows: Vec<String> = days
        .iter()
        .map(|(date, (kind, name))| {
            let date = render_date(*date, rng.below(6) as u8);
            let sep = [",", "，", "\t"][rng.below(3)];
            let word = match kind {
                DayKind::Holiday if rng.below(4) == 0 => "",
                DayKind::Holiday => HOLIDAY_WORDS[rng.below(HOLIDAY_WORDS.len())],
                DayKind::Workday => WORKDAY_WORDS[rng.below(WORKDAY_WORDS.len())],
            };
            if word.is_empty() && name.is_empty() && rng.below(2) == 0 {
                date
            } else {
                format!("{date}{sep}{word}{sep}{}", csv_cell(name))
            }
        })
        .collect();
    // Shuffle, then sprinkle comments and blank lines.
    for i in (1..rows.len()).rev() {
        rows.swap(i, rng.below(i + 1));
    }
    let mut lines = Vec::new();
    if rng.below(2) == 0 {
        lines.push(["date,kind,name", "日期,类型,名称", "Date\tKind"][rng.below(3)].to_string());
    }
    for row in rows {
        match rng.below(8) {
            0 => lines.push("# comment, with a comma".into()),
            1 => lines.push("  ".into()),
            _ => {}
        }
        lines.push(row);
    }
    let eol = if rng.below(2) == 0 { "\n" } else { "\r\n" };
    let bom = if rng.below(3) == 0 { "\u{feff}" } else { "" };
    format!("{bom}{}{}", lines.join(eol), if rng.below(2) == 0 { eol } else { "" })
}

fn render_ics_list(days: &BTreeMap<Date, (DayKind, String)>, seed: u64) -> String {
    let mut rng = SplitMix(seed);
    // Runs of consecutive days with the same kind and name become one event (at most 31 days).
    let mut events: Vec<(Date, usize, DayKind, String)> = Vec::new();
    for (date, (kind, name)) in days {
        match events.last_mut() {
            Some((start, len, k, n))
                if start.add_days(*len as i64) == *date && k == kind && n == name && *len < 31 && rng.below(4) != 0 =>
            {
                *len += 1
            }
            _ => events.push((*date, 1, *kind, name.clone())),
        }
    }
    let ymd = |d: Date| format!("{:04}{:02}{:02}", d.year, d.month, d.day);
    let mut lines = vec!["BEGIN:VCALENDAR".to_string(), "PRODID:-//Fixline//fuzz//EN".into()];
    for (start, len, kind, name) in events {
        lines.push("BEGIN:VEVENT".into());
        let end = start.add_days(len as i64);
        match rng.below(4) {
            0 if len == 1 => lines.push(format!("DTSTART;VALUE=DATE:{}", ymd(start))),
            0 | 1 => {
                lines.push(format!("DTSTART;VALUE=DATE:{}", ymd(start)));
                lines.push(format!("DTEND;VALUE=DATE:{}", ymd(end)));
            }
            2 => {
                lines.push(format!("DTSTART:{}T000000Z", ymd(start)));
                lines.push(format!("DURATION:P{len}D"));
            }
            _ => {
                lines.push(format!("DTSTART:{}T083000", ymd(start)));
                lines.push(format!("DTEND:{}T173000", ymd(start.add_days(len as i64 - 1))));
            }
        }
        let width = [0, 0, 5, 17, 75][rng.below(5)];
        lines.extend(fold(&format!("SUMMARY:{}", ics_escape(&name)), width, rng.below(2) == 0));
        if kind == DayKind::Workday {
            lines.push("CATEGORIES:WORKDAY".into());
        }
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    let eol = if rng.below(2) == 0 { "\n" } else { "\r\n" };
    lines.join(eol)
}

proptest! {
    #![proptest_config(config(3000))]

    /// Any text: no panic; errors sorted with line numbers inside the input
    /// and the offending line's text; every CSV content line accounted for
    /// (a day, an error, or the header); whole-input rejections keep nothing.
    #[test]
    fn holiday_import_survives_any_text(text in holiday_text_s()) {
        check_any_text(&text)?;
    }
}

proptest! {
    #![proptest_config(config(1500))]

    /// CSV lines with good and bad dates, kinds, separators, quotes, padding,
    /// headers, comments and blank lines: exactly the predicted days and the
    /// predicted error on each rejected line (line number and text).
    #[test]
    fn holiday_csv_structured_lines_match_the_prediction(
        lines in prop::collection::vec(csv_line_s(), 0..40),
        crlf in any::<bool>(),
        bom in any::<bool>(),
        final_eol in any::<bool>(),
    ) {
        let rendered: Vec<(CsvLine, String)> = lines.iter().map(|l| (l.clone(), render_csv_line(l))).collect();
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut text = rendered.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(eol);
        if final_eol {
            text.push_str(eol);
        }
        if bom {
            text.insert(0, '\u{feff}');
        }
        let import = holidays::parse_csv(&text);
        check_import_invariants(&text, &import, true)?;
        let expected = predict_csv(&rendered);
        prop_assert_eq!(&import.errors, &expected.errors, "text:\n{}", text);
        prop_assert_eq!(&import.days, &expected.days, "text:\n{}", text);
        prop_assert_eq!(&holidays::parse(&text), &import);
    }

    /// iCalendar with broken events (bad or missing DTSTART, bad DTEND and
    /// DURATION, missing END, stray components, junk lines, folding) around
    /// well-formed ones: no panic, errors point at real content lines with
    /// their unfolded text, none inside a well-formed event, and every
    /// well-formed event's day is imported as written.
    #[test]
    fn holiday_ics_structured_events(
        (items, safe) in ics_items_s(),
        fold_width in prop_oneof![Just(0usize), 1usize..80],
        crlf in any::<bool>(),
        garbage_first in prop::bool::weighted(0.1),
    ) {
        let (mut lines, spans) = render_ics(&items, fold_width);
        if garbage_first {
            lines.insert(0, "PRODID:not a calendar yet".into());
        }
        let text = lines.join(if crlf { "\r\n" } else { "\n" });
        let import = holidays::parse_ical(&text);
        check_import_invariants(&text, &import, false)?;
        if garbage_first {
            prop_assert_eq!(import.errors.len(), 1);
            prop_assert_eq!(import.errors[0].problem, LineProblem::UnknownFormat);
            prop_assert_eq!(import.errors[0].line, 1);
            prop_assert!(import.days.is_empty());
            return Ok(());
        }
        prop_assert_eq!(&holidays::parse(&text), &import);
        for e in &import.errors {
            prop_assert!(!spans.iter().any(|(a, b)| (*a..=*b).contains(&e.line)), "error {:?} inside a well-formed event\n{}", e, text);
        }
        for s in &safe {
            let want = ImportedDay { date: s.date, kind: s.kind, name: s.name.clone() };
            prop_assert!(import.days.contains(&want), "well-formed event {:?} not imported\n{}", want, text);
        }
    }

    /// A valid list written as CSV (any accepted date form, kind word,
    /// separator, quoting, header, comments, order, line ending, BOM) and as
    /// iCalendar (multi-day events, DTEND or DURATION, folding) imports back
    /// to exactly the same dates, kinds and names, with no errors.
    #[test]
    fn holiday_valid_lists_round_trip(days in day_list_s(), seed in any::<u64>()) {
        let expected: Vec<ImportedDay> = days.iter().map(|(date, (kind, name))| ImportedDay { date: *date, kind: *kind, name: name.clone() }).collect();
        let csv = render_csv_list(&days, seed);
        let from_csv = holidays::parse(&csv);
        prop_assert_eq!(&from_csv.errors, &vec![], "CSV:\n{}", csv);
        prop_assert_eq!(&from_csv.days, &expected, "CSV:\n{}", csv);
        let ics = render_ics_list(&days, seed);
        let from_ics = holidays::parse(&ics);
        prop_assert_eq!(&from_ics.errors, &vec![], "ICS:\n{}", ics);
        prop_assert_eq!(&from_ics.days, &expected, "ICS:\n{}", ics);
        prop_assert_eq!(from_csv.holidays(), from_ics.holidays());
    }
}

/// Size limits on hostile inputs: one error, nothing kept, quickly.
#[test]
fn holiday_import_size_limits() {
    let started = Instant::now();
    let big_line = format!("2026-10-01,holiday,{}", "节".repeat(MAX_BYTES));
    let many_lines = "2026-10-01,holiday\r".repeat(MAX_LINES * 2); // CR only: one physical line
    let many_crlf = "x\r\n".repeat(MAX_LINES + 1);
    let ics_lines = format!("BEGIN:VCALENDAR\n{}", " folded\n".repeat(MAX_LINES));
    for text in [&big_line, &many_lines, &many_crlf, &ics_lines] {
        for import in [holidays::parse(text), holidays::parse_csv(text), holidays::parse_ical(text)] {
            let lines = text.lines().count();
            if text.len() > MAX_BYTES || lines > MAX_LINES {
                assert_eq!(import.errors.len(), 1, "{:?}", &import.errors[..import.errors.len().min(3)]);
                assert_eq!(import.errors[0].problem, LineProblem::TooLong);
                assert!(import.days.is_empty());
            }
        }
    }
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}
