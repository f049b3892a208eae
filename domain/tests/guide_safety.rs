//! The customer-safety rule held against guides: only what the customer
//! reads is checked, an unsafe step stops the guide, and every shipped
//! guide passes.

use domain::guide::{parse, Guide, NodeKind, Outcome, Severity, Text, Tier, WalkStep, SHIPPED};
use domain::guide_safety::{self, RULES};
use domain::locale::Locale;

fn problems(kind: &NodeKind) -> Vec<String> {
    guide_safety::problems(&kind.customer_texts())
}

#[test]
fn only_what_the_customer_reads_is_checked() {
    let text = |s: &str| Text { zh_cn: s.into(), zh_tw: s.into(), en: s.into() };
    let outcome = |message: Text, technician_hint: Text| {
        NodeKind::Outcome(Outcome::Escalate { message, severity: Severity::Major, tier: Tier::OnSite, technician_hint })
    };
    assert!(problems(&outcome(text("技术员会上门"), text("打开主机外壳，断开备用电池，携带梯子。"))).is_empty());
    let message =
        Text { zh_cn: "请先打开机箱等技术员".into(), zh_tw: "技術人員會到場".into(), en: "A technician will come".into() };
    let p = problems(&outcome(message, text("-")));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("zh-CN text asks the customer to open a mains-powered housing (\"打开机箱\")"), "{p:?}");
}

#[test]
fn an_unsafe_step_stops_the_guide_naming_node_and_language() {
    let (file, json) = SHIPPED.iter().find(|(f, _)| *f == "alarm-panel-first-aid.json").unwrap();
    let mut g = parse(file, json).unwrap();
    let node = g.nodes.iter_mut().find(|n| n.id == "restart").unwrap();
    let NodeKind::Instruction { text, .. } = &mut node.kind else { panic!("restart is an instruction") };
    text.en = "Unplug the mains adapter, then disconnect the backup battery and wait 10 seconds.".into();
    let p = parse("broken.json", &serde_json::to_string(&g).unwrap()).unwrap_err().join("\n");
    assert!(p.contains("broken.json: node 'restart': en text asks the customer to disconnect the backup battery"), "{p}");
    assert!(!p.contains("zh-CN"), "{p}");
}

#[test]
fn only_a_panel_with_a_plug_in_adapter_is_restarted_by_the_customer() {
    let (file, json) = SHIPPED.iter().find(|(f, _)| *f == "alarm-panel-first-aid.json").unwrap();
    let g = parse(file, json).unwrap();
    let step = |node: &str, choice: &str| WalkStep { node: node.into(), choice: choice.into(), value: None, photo: None, at_ms: 0 };
    let hard_wired = [step("lights", "on_no_keys"), step("power_source", "hard_wired")];
    assert!(matches!(g.replay(&hard_wired), Ok(Outcome::Escalate { .. })));
    let plug_in = [step("lights", "on_no_keys"), step("power_source", "plug_in")];
    assert_eq!(g.current(&plug_in).map(|n| n.id.as_str()), Some("restart"));
}

#[test]
fn every_shipped_guide_is_safe_for_customers() {
    let mut found = Vec::new();
    for (file, json) in SHIPPED {
        let g: Guide = serde_json::from_str(json).unwrap();
        for node in &g.nodes {
            found.extend(problems(&node.kind).into_iter().map(|p| format!("{file}: node '{}': {p}", node.id)));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn phrase_lists_are_lower_case_and_complete() {
    for rule in &RULES {
        for locale in Locale::ALL {
            let phrases = rule.phrases(locale);
            assert!(!phrases.is_empty(), "{} has no {} phrases", rule.id, locale.tag());
            assert!(phrases.iter().all(|p| !p.trim().is_empty() && p.to_lowercase() == *p), "{}: {phrases:?}", rule.id);
        }
    }
}
