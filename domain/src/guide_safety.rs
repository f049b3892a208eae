//! Customer safety in guides: what a guide shows the customer must never ask
//! them to open a mains-powered housing, disconnect a panel's backup battery,
//! work at height, operate the building's fire alarm system or use an
//! installer code. Those steps are a technician's.
//!
//! The check is a short list of telltale phrases per language. A phrase is
//! allowed when its clause says it as a prohibition first ("不要打开主机外壳",
//! "do not climb a ladder"); a clause runs from the previous 。，；：！？ , . ;
//! : ! ? or line break, so "不要慌，打开主机外壳" is still caught. Technician
//! hints are not checked: they are written for technicians.

use crate::locale::{Locale, Text};

/// One kind of unsafe step and the phrases that give it away (lower case).
pub struct Rule {
    pub id: &'static str,
    /// What such a step asks of the customer, for the problem message.
    pub asks: &'static str,
    pub zh_cn: &'static [&'static str],
    pub zh_tw: &'static [&'static str],
    pub en: &'static [&'static str],
}

impl Rule {
    pub fn phrases(&self, locale: Locale) -> &'static [&'static str] {
        match locale {
            Locale::ZhCn => self.zh_cn,
            Locale::ZhTw => self.zh_tw,
            Locale::En => self.en,
        }
    }
}

pub static RULES: [Rule; 5] = [
    Rule {
        id: "housing",
        asks: "open a mains-powered housing",
        zh_cn: &[
            "打开主机外壳",
            "打开主机箱",
            "打开主机盖",
            "拆开主机",
            "打开机箱",
            "打开机壳",
            "拆开机箱",
            "打开配电箱",
            "打开电源箱",
            "打开中继器外壳",
        ],
        zh_tw: &[
            "打開主機外殼",
            "打開主機箱",
            "打開主機蓋",
            "拆開主機",
            "打開機箱",
            "打開機殼",
            "拆開機殼",
            "打開配電箱",
            "打開電源箱",
            "打開中繼器外殼",
        ],
        en: &[
            "open the panel housing",
            "open the panel box",
            "open the panel cover",
            "open the housing",
            "open its housing",
            "open the case",
            "open the casing",
            "open the enclosure",
            "open the distribution",
            "open the power box",
            "open the repeater",
        ],
    },
    Rule {
        id: "battery",
        asks: "disconnect the backup battery inside the equipment",
        zh_cn: &["断开备用电池", "拔下备用电池", "拔掉备用电池", "取出备用电池", "拆下备用电池", "备用电池插头", "断开电池"],
        zh_tw: &["斷開備用電池", "拔下備用電池", "拔掉備用電池", "取出備用電池", "拆下備用電池", "備用電池插頭", "斷開電池"],
        en: &[
            "disconnect the backup battery",
            "disconnect the battery",
            "unplug the backup battery",
            "unplug the battery",
            "remove the backup battery",
            "battery lead",
            "battery connector",
        ],
    },
    Rule {
        id: "height",
        asks: "work at height",
        zh_cn: &["梯子", "人字梯", "登高", "爬高", "爬上", "凳", "上屋顶"],
        zh_tw: &["梯子", "人字梯", "登高", "爬高", "爬上", "凳", "上屋頂"],
        en: &["ladder", "climb", "stool", "low step", "onto the roof", "at height"],
    },
    Rule {
        id: "fire_panel",
        asks: "operate the fire alarm system",
        zh_cn: &["消防主机", "消防报警主机", "火灾报警主机", "火灾报警控制器", "消防控制器"],
        zh_tw: &["消防主機", "受信總機", "火警總機", "火災報警控制器", "消防控制器"],
        en: &["fire alarm panel", "fire alarm control", "fire panel", "fire control panel"],
    },
    Rule {
        id: "installer_code",
        asks: "use an installer or engineer code",
        zh_cn: &["安装员密码", "安装商密码", "安装密码", "工程师密码", "工程密码", "编程模式", "工程模式"],
        zh_tw: &["安裝員密碼", "安裝商密碼", "安裝密碼", "工程師密碼", "工程密碼", "編程模式", "工程模式"],
        en: &[
            "installer code",
            "installer password",
            "installer mode",
            "engineer code",
            "engineer password",
            "engineer mode",
            "programming mode",
        ],
    },
];

/// Words that make a phrase later in the same clause a prohibition.
fn negations(locale: Locale) -> &'static [&'static str] {
    match locale {
        Locale::ZhCn => &["不要", "请勿", "切勿", "不可", "不得", "禁止", "严禁", "不用", "无需", "无须", "不必", "不需要", "避免"],
        Locale::ZhTw => &["不要", "請勿", "切勿", "不可", "不得", "禁止", "嚴禁", "不用", "無需", "無須", "不必", "不需要", "避免"],
        Locale::En => &["do not", "don't", "never", "must not", "should not", "no need to", "not to", "without", "avoid"],
    }
}

fn clause_break(c: char) -> bool {
    matches!(c, '。' | '，' | '；' | '：' | '！' | '？' | ',' | '.' | ';' | ':' | '!' | '?' | '\n')
}

/// Bytes before a phrase searched for its prohibition (about 80 Chinese
/// characters or 40 English words).
const LOOK_BACK: usize = 240;

/// The first unsafe phrase in `text`: a listed phrase whose clause does not
/// say it as a prohibition before it. Returns the rule and the phrase.
pub fn unsafe_phrase(locale: Locale, text: &str) -> Option<(&'static Rule, &'static str)> {
    let text = text.to_lowercase().replace('’', "'");
    let negations = negations(locale);
    for rule in &RULES {
        for phrase in rule.phrases(locale) {
            for (at, _) in text.match_indices(phrase) {
                // A prohibition stands just before what it forbids: look back
                // a bounded way (a whole long text per match is quadratic).
                let from = (at.saturating_sub(LOOK_BACK)..at).find(|&i| text.is_char_boundary(i)).unwrap_or(at);
                let clause = text[from..at].rsplit(clause_break).next().unwrap_or_default();
                if !negations.iter().any(|n| clause.contains(n)) {
                    return Some((rule, *phrase));
                }
            }
        }
    }
    None
}

/// The unsafe steps in what the customer reads at one node
/// (`NodeKind::customer_texts`), one problem per text and language.
pub fn problems(customer_texts: &[&Text]) -> Vec<String> {
    let mut problems = Vec::new();
    for text in customer_texts {
        for locale in Locale::ALL {
            if let Some((rule, phrase)) = unsafe_phrase(locale, text.get(locale)) {
                problems.push(format!(
                    "{} text asks the customer to {} (\"{phrase}\"); leave it to a technician, or say it as a prohibition (不要… / do not …)",
                    locale.tag(),
                    rule.asks
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caught(locale: Locale, text: &str) -> Option<&'static str> {
        unsafe_phrase(locale, text).map(|(rule, _)| rule.id)
    }

    /// Each unsafe text is caught by `rule` in its language; each prohibition passes.
    fn check_rule(rule: &str, unsafe_texts: [&str; 3], prohibitions: [&str; 3]) {
        for (locale, text) in Locale::ALL.into_iter().zip(unsafe_texts) {
            assert_eq!(caught(locale, text), Some(rule), "{}: {text}", locale.tag());
        }
        for (locale, text) in Locale::ALL.into_iter().zip(prohibitions) {
            assert_eq!(caught(locale, text), None, "{}: {text}", locale.tag());
        }
    }

    #[test]
    fn safety_rule_opening_a_housing() {
        check_rule(
            "housing",
            [
                "如果还是不亮，请打开主机外壳检查保险丝。",
                "如果還是不亮，請打開主機外殼檢查保險絲。",
                "If it is still dark, open the panel housing and check the fuse.",
            ],
            ["只看指示灯，不要打开主机外壳。", "只看指示燈，請勿打開主機外殼。", "Look at the light only; do not open the panel housing."],
        );
        assert_eq!(caught(Locale::ZhCn, "检查后打开配电箱，推合空气开关"), Some("housing"));
        assert_eq!(caught(Locale::En, "Never open the case or the distribution board."), None);
    }

    #[test]
    fn safety_rule_backup_battery() {
        check_rule(
            "battery",
            [
                "拔下交流电源，再断开备用电池插头。",
                "拔下交流電源，再斷開備用電池插頭。",
                "Unplug the mains adapter, then disconnect the backup battery.",
            ],
            [
                "不要碰主机里面的备用电池，也不要断开备用电池。",
                "請勿斷開備用電池。",
                "Don't disconnect the backup battery inside the panel.",
            ],
        );
        assert_eq!(caught(Locale::En, "Don’t unplug the battery."), None, "a typographic apostrophe counts");
    }

    #[test]
    fn safety_rule_work_at_height() {
        check_rule(
            "height",
            [
                "站在稳固的矮凳上打开探测器。",
                "用梯子爬到天花板上更換電池。",
                "If needed, stand on a stable low step and open the detector.",
            ],
            [
                "装在高处的请不要登高，直接回答“否”。",
                "請不要踩凳子、椅子或梯子。",
                "If it is mounted high, do not climb a ladder; just answer no.",
            ],
        );
        assert_eq!(caught(Locale::ZhCn, "不用登高，站在地面看就可以"), None);
        assert_eq!(caught(Locale::En, "Look from the floor without climbing."), None);
        assert_eq!(caught(Locale::En, "Go onto the roof and check the tubes."), Some("height"));
    }

    #[test]
    fn safety_rule_fire_alarm_system() {
        check_rule(
            "fire_panel",
            ["在消防主机上按复位键。", "在火警受信總機上按復歸。", "Press Reset on the fire alarm panel."],
            ["请不要自己操作消防主机。", "請勿自行操作火警受信總機。", "Do not touch the fire alarm panel yourself."],
        );
    }

    #[test]
    fn safety_rule_installer_code() {
        check_rule(
            "installer_code",
            ["输入管理员或安装员密码进入菜单。", "輸入管理員或安裝商密碼進入選單。", "Enter the admin or installer code to open the menu."],
            [
                "不要使用安装员密码或工程师密码。",
                "請不要自己用安裝商密碼或工程師密碼進入工程模式。",
                "Do not use an installer or engineer code or enter programming mode yourself.",
            ],
        );
    }

    #[test]
    fn a_prohibition_counts_only_in_its_own_clause_and_before_the_phrase() {
        assert_eq!(caught(Locale::ZhCn, "不要慌，打开主机外壳看看。"), Some("housing"));
        assert_eq!(caught(Locale::ZhCn, "需要登高的不要动"), Some("height"), "a prohibition after the phrase does not count");
        assert_eq!(caught(Locale::En, "If it does not help, open the case."), Some("housing"));
        assert_eq!(caught(Locale::En, "Do not wait. Climb up and look."), Some("height"));
        // The second occurrence is the unsafe one.
        assert_eq!(caught(Locale::ZhCn, "不要打开机箱；如果还不行，打开机箱检查。"), Some("housing"));
    }
}
