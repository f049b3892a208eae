//! Guided troubleshooting: a guide is a decision tree the customer walks in
//! the browser. The server replays the submitted walk against the same guide,
//! so a transcript that does not follow the tree is refused.

use serde::{Deserialize, Serialize};

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
    pub title: Text,
    pub root: String,
    pub nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    pub id: String,
    pub kind: NodeKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NodeKind {
    /// A question with choices, or an instruction followed by "did that help?".
    Step { prompt: Text, choices: Vec<Choice> },
    Outcome(Outcome),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub label: Text,
    pub next: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Emergency,
    Major,
    General,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    Resolved { message: Text },
    Escalate { message: Text, severity: Severity, technician_hint: Text },
}

/// One answered step of a walk, as the widget records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalkStep {
    pub node: String,
    pub choice: String,
    /// Browser time in ms since the epoch; informational only.
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkError {
    TooLong,
    UnexpectedNode { index: usize },
    UnknownChoice { index: usize },
    NotFinished,
}

/// The most steps a walk may have; deeper than any real guide.
pub const MAX_STEPS: usize = 64;

impl Guide {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The node reached after `steps`, assuming they were taken in this guide.
    /// Stops at the first step that does not fit.
    pub fn current<'a>(&'a self, steps: &[WalkStep]) -> Option<&'a Node> {
        let mut node = self.node(&self.root)?;
        for step in steps {
            let NodeKind::Step { choices, .. } = &node.kind else { break };
            let Some(choice) = choices.iter().find(|c| c.id == step.choice) else { break };
            node = self.node(&choice.next)?;
        }
        Some(node)
    }

    /// Replays a submitted walk: it must start at the root, follow existing
    /// choices and end on an outcome, which is returned.
    pub fn replay(&self, steps: &[WalkStep]) -> Result<&Outcome, WalkError> {
        if steps.len() > MAX_STEPS {
            return Err(WalkError::TooLong);
        }
        let mut node = self.node(&self.root).ok_or(WalkError::NotFinished)?;
        for (index, step) in steps.iter().enumerate() {
            let NodeKind::Step { choices, .. } = &node.kind else {
                return Err(WalkError::UnexpectedNode { index });
            };
            if step.node != node.id {
                return Err(WalkError::UnexpectedNode { index });
            }
            let choice = choices
                .iter()
                .find(|c| c.id == step.choice)
                .ok_or(WalkError::UnknownChoice { index })?;
            node = self.node(&choice.next).ok_or(WalkError::UnknownChoice { index })?;
        }
        match &node.kind {
            NodeKind::Outcome(outcome) => Ok(outcome),
            NodeKind::Step { .. } => Err(WalkError::NotFinished),
        }
    }

    /// Structural problems: dangling references, unreachable nodes, cycles,
    /// empty texts. The full rule set grows with the guide engine.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.node(&self.root).is_none() {
            problems.push(format!("root node '{}' does not exist", self.root));
            return problems;
        }
        for node in &self.nodes {
            let texts: Vec<&Text> = match &node.kind {
                NodeKind::Step { prompt, choices } => {
                    if choices.is_empty() {
                        problems.push(format!("node '{}' has no choices", node.id));
                    }
                    for c in choices {
                        if self.node(&c.next).is_none() {
                            problems.push(format!("node '{}' choice '{}' leads to missing node '{}'", node.id, c.id, c.next));
                        }
                    }
                    std::iter::once(prompt).chain(choices.iter().map(|c| &c.label)).collect()
                }
                NodeKind::Outcome(Outcome::Resolved { message }) => vec![message],
                NodeKind::Outcome(Outcome::Escalate { message, technician_hint, .. }) => vec![message, technician_hint],
            };
            for t in texts {
                for locale in Locale::ALL {
                    if t.get(locale).trim().is_empty() {
                        problems.push(format!("node '{}' has an empty {} text", node.id, locale.tag()));
                    }
                }
            }
        }
        // Depth-first walk from the root: finds cycles and unreachable nodes.
        let mut state = vec![0u8; self.nodes.len()]; // 0 new, 1 on path, 2 done
        self.visit(&self.root, &mut state, &mut problems);
        for (node, s) in self.nodes.iter().zip(&state) {
            if *s == 0 {
                problems.push(format!("node '{}' is unreachable", node.id));
            }
        }
        problems
    }

    fn visit(&self, id: &str, state: &mut [u8], problems: &mut Vec<String>) {
        let Some(index) = self.nodes.iter().position(|n| n.id == id) else { return };
        match state[index] {
            1 => problems.push(format!("node '{id}' is part of a cycle")),
            2 => {}
            _ => {
                state[index] = 1;
                if let NodeKind::Step { choices, .. } = &self.nodes[index].kind {
                    for c in choices {
                        self.visit(&c.next, state, problems);
                    }
                }
                state[index] = 2;
            }
        }
    }
}

fn t(zh_cn: &str, zh_tw: &str, en: &str) -> Text {
    Text { zh_cn: zh_cn.into(), zh_tw: zh_tw.into(), en: en.into() }
}

fn step(id: &str, prompt: Text, choices: Vec<Choice>) -> Node {
    Node { id: id.into(), kind: NodeKind::Step { prompt, choices } }
}

fn choice(id: &str, label: Text, next: &str) -> Choice {
    Choice { id: id.into(), label, next: next.into() }
}

fn helped(yes: &str, no: &str) -> Vec<Choice> {
    vec![
        choice("yes", t("解决了", "解決了", "Yes, it works now"), yes),
        choice("no", t("没有解决", "沒有解決", "No, still faulty"), no),
    ]
}

fn escalate(id: &str, message: Text, severity: Severity, hint: Text) -> Node {
    Node { id: id.into(), kind: NodeKind::Outcome(Outcome::Escalate { message, severity, technician_hint: hint }) }
}

pub const FIRST_AID_ID: &str = "alarm-panel-first-aid";

/// The built-in first-aid guide for a wireless alarm panel that stopped
/// working. Stands in until guides are loaded from files.
pub fn first_aid() -> Guide {
    Guide {
        id: FIRST_AID_ID.into(),
        version: 1,
        title: t("报警主机故障自助排查", "報警主機故障自助排查", "Alarm panel self-check"),
        root: "lights".into(),
        nodes: vec![
            step(
                "lights",
                t(
                    "请看一下主机面板：指示灯现在是什么状态？",
                    "請看一下主機面板：指示燈現在是什麼狀態？",
                    "Look at the panel: what are its indicator lights doing?",
                ),
                vec![
                    choice("all_off", t("全部不亮", "全部不亮", "All off"), "power"),
                    choice("on_no_keys", t("灯亮，但按键没反应", "燈亮，但按鍵沒反應", "Lit, but the keys do nothing"), "restart"),
                    choice("fault_light", t("故障灯亮或闪烁", "故障燈亮或閃爍", "Fault light on or blinking"), "fault_kind"),
                ],
            ),
            step(
                "power",
                t(
                    "检查主机的电源适配器是否插牢，插座是否有电（可插一盏台灯试试）。插好后等待 30 秒。指示灯亮了吗？",
                    "檢查主機的電源變壓器是否插牢，插座是否有電（可插一盞檯燈試試）。插好後等待 30 秒。指示燈亮了嗎？",
                    "Check that the panel's power adapter is plugged in firmly and the socket has power (try a lamp in it). Wait 30 seconds. Are the lights on now?",
                ),
                helped("fixed", "no_power"),
            ),
            step(
                "restart",
                t(
                    "重启主机：拔下交流电源，再断开备用电池插头，等待 10 秒；先接回电池，再接交流电源，等待 1 分钟自检完成。按键恢复了吗？",
                    "重新啟動主機：拔下交流電源，再斷開備用電池插頭，等待 10 秒；先接回電池，再接交流電源，等待 1 分鐘自檢完成。按鍵恢復了嗎？",
                    "Restart the panel: unplug the mains adapter, then disconnect the backup battery and wait 10 seconds. Reconnect the battery first, then mains, and wait one minute for the self-test. Do the keys respond now?",
                ),
                helped("fixed", "panel_fault"),
            ),
            step(
                "fault_kind",
                t("面板上显示的是哪一种故障？", "面板上顯示的是哪一種故障？", "Which fault does the panel show?"),
                vec![
                    choice("battery", t("电池电量低", "電池電量低", "Battery low"), "battery"),
                    choice("comms", t("电话线或网络故障", "電話線或網路故障", "Phone line or network fault"), "comms"),
                    choice("unknown", t("看不懂 / 其他", "看不懂 / 其他", "Not sure / other"), "panel_fault"),
                ],
            ),
            step(
                "battery",
                t(
                    "确认主机交流电源已接通，并保持通电 24 小时让备用电池充电。如果停电过，这是正常现象。现在故障灯灭了吗？",
                    "確認主機交流電源已接通，並保持通電 24 小時讓備用電池充電。如果停電過，這是正常現象。現在故障燈熄了嗎？",
                    "Make sure mains power is connected and leave it on for 24 hours to recharge the backup battery; after a power cut this is normal. Has the fault light gone out?",
                ),
                helped("fixed", "battery_worn"),
            ),
            step(
                "comms",
                t(
                    "检查主机背面的电话线或网线是否插牢，路由器或电话是否正常。重新插好后故障灯灭了吗？",
                    "檢查主機背面的電話線或網路線是否插牢，路由器或電話是否正常。重新插好後故障燈熄了嗎？",
                    "Check the phone or network cable at the back of the panel and that the router or phone line works. After reseating it, has the fault light gone out?",
                ),
                helped("fixed", "comms_fault"),
            ),
            Node {
                id: "fixed".into(),
                kind: NodeKind::Outcome(Outcome::Resolved {
                    message: t(
                        "太好了，问题已解决。如果再次出现，可以随时重新报修。",
                        "太好了，問題已解決。如果再次出現，可以隨時重新報修。",
                        "Great, it is fixed. If it happens again, report it any time.",
                    ),
                }),
            },
            escalate(
                "no_power",
                t("主机无法通电，需要技术员上门检查。", "主機無法通電，需要技術員到場檢查。", "The panel gets no power; a technician needs to check it on site."),
                Severity::Major,
                t(
                    "插座有电但主机不亮：疑似电源适配器或主板电源故障。携带 12V 电源适配器、万用表、备用主板。",
                    "插座有電但主機不亮：疑似電源變壓器或主板電源故障。攜帶 12V 電源變壓器、萬用表、備用主板。",
                    "Socket live but panel dark: suspect the adapter or the main board's power stage. Bring a 12 V adapter, multimeter and a spare main board.",
                ),
            ),
            escalate(
                "panel_fault",
                t("主机可能出现故障，需要技术员处理。", "主機可能出現故障，需要技術員處理。", "The panel may be faulty; a technician will take over."),
                Severity::Major,
                t(
                    "重启无效或故障不明：检查主板与键盘连线，读取事件记录。携带备用键盘、备用主板、编程器。",
                    "重新啟動無效或故障不明：檢查主板與鍵盤連線，讀取事件記錄。攜帶備用鍵盤、備用主板、編程器。",
                    "Restart did not help or fault unclear: check the keypad wiring and read the event log. Bring a spare keypad, main board and programmer.",
                ),
            ),
            escalate(
                "battery_worn",
                t("备用电池可能已老化，需要更换。", "備用電池可能已老化，需要更換。", "The backup battery is probably worn out and needs replacing."),
                Severity::General,
                t(
                    "通电 24 小时后仍报电池低：电池老化。携带 12V 7Ah 铅酸蓄电池。",
                    "通電 24 小時後仍報電池低：電池老化。攜帶 12V 7Ah 鉛酸蓄電池。",
                    "Battery low after 24 h on mains: worn battery. Bring a 12 V 7 Ah lead-acid battery.",
                ),
            ),
            escalate(
                "comms_fault",
                t("主机无法与报警中心通信，需要技术员处理。", "主機無法與報警中心通訊，需要技術員處理。", "The panel cannot reach the monitoring centre; a technician will take over."),
                Severity::Major,
                t(
                    "通信故障：检查电话线路 / 网络模块，测试上报。携带网络模块、线路测试仪。",
                    "通訊故障：檢查電話線路 / 網路模組，測試上報。攜帶網路模組、線路測試儀。",
                    "Communication fault: test the phone line / network module and a report to the centre. Bring a network module and a line tester.",
                ),
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn walk(g: &Guide, choices: &[&str]) -> Vec<WalkStep> {
        let mut steps = Vec::new();
        for c in choices {
            let node = g.current(&steps).unwrap();
            steps.push(WalkStep { node: node.id.clone(), choice: (*c).into(), at_ms: 0 });
        }
        steps
    }

    #[test]
    fn first_aid_guide_is_sound() {
        assert_eq!(first_aid().problems(), Vec::<String>::new());
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
        bad.push(WalkStep { node: "power".into(), choice: "yes".into(), at_ms: 0 });
        assert_eq!(g.replay(&bad), Err(WalkError::UnknownChoice { index: 0 }));
        let mut extra = walk(&g, &["all_off", "yes"]);
        extra.push(WalkStep { node: "fixed".into(), choice: "yes".into(), at_ms: 0 });
        assert_eq!(g.replay(&extra), Err(WalkError::UnexpectedNode { index: 2 }));
    }

    #[test]
    fn problems_catch_dangling_links_unreachable_nodes_and_cycles() {
        let mut g = first_aid();
        if let NodeKind::Step { choices, .. } = &mut g.nodes[1].kind {
            choices[0].next = "lights".into(); // power -> lights: a cycle
            choices[1].next = "ghost".into();
        }
        let problems = g.problems().join("\n");
        assert!(problems.contains("cycle"), "{problems}");
        assert!(problems.contains("missing node 'ghost'"), "{problems}");
        assert!(problems.contains("'no_power' is unreachable"), "{problems}");
    }

    proptest! {
        /// Any sequence of picks ends on an outcome within the node count.
        #[test]
        fn every_walk_ends(picks in proptest::collection::vec(0usize..8, 0..40)) {
            let g = first_aid();
            let mut steps = Vec::new();
            let mut picks = picks.into_iter();
            loop {
                let node = g.current(&steps).unwrap();
                match &node.kind {
                    NodeKind::Outcome(_) => break,
                    NodeKind::Step { choices, .. } => {
                        let pick = picks.next().unwrap_or(0) % choices.len();
                        steps.push(WalkStep { node: node.id.clone(), choice: choices[pick].id.clone(), at_ms: 0 });
                    }
                }
                prop_assert!(steps.len() <= g.nodes.len());
            }
            prop_assert!(g.replay(&steps).is_ok());
        }
    }
}
