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
    assert!(matches!(g.replay(&walk(&g, &["fault_light", "battery", "no"])), Ok(Outcome::Escalate { severity: Severity::General, .. })));
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
            kind: NodeKind::Collect {
                prompt: first_aid_text(),
                key: "code".into(),
                input: InputKind::Text,
                optional: false,
                next: "codes".into(),
            },
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
