//! Log analysis for guide checks: counts the lines of a device log that match
//! each pattern, in chunks, so a 50 MB file can be scanned in the browser
//! with progress shown and without holding it all in memory.

use super::guide::{Branch, CheckResult, Condition, LogPattern};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PatternCount {
    pub id: String,
    pub count: u32,
    /// Timestamps (`YYYY-MM-DD HH:MM:SS` at the start of the line) of the first and last match.
    pub first: Option<String>,
    pub last: Option<String>,
    /// The first few matching lines, for the technician.
    pub lines: Vec<String>,
}

const KEPT_LINES: usize = 3;
const MAX_LINE_CHARS: usize = 300;

pub struct LogScanner {
    needles: Vec<Vec<String>>,
    counts: Vec<PatternCount>,
    partial: String,
}

impl LogScanner {
    pub fn new(patterns: &[LogPattern]) -> LogScanner {
        LogScanner {
            needles: patterns.iter().map(|p| p.any.iter().map(|s| s.to_lowercase()).collect()).collect(),
            counts: patterns.iter().map(|p| PatternCount { id: p.id.clone(), ..Default::default() }).collect(),
            partial: String::new(),
        }
    }

    /// Feeds the next chunk of text; lines may span chunks.
    pub fn feed(&mut self, chunk: &str) {
        let mut text = std::mem::take(&mut self.partial);
        text.push_str(chunk);
        let complete = match text.rfind('\n') {
            Some(i) => i + 1,
            None => {
                self.partial = text;
                return;
            }
        };
        for line in text[..complete].lines() {
            self.line(line);
        }
        self.partial = text[complete..].to_string();
    }

    pub fn finish(mut self) -> Vec<PatternCount> {
        let rest = std::mem::take(&mut self.partial);
        if !rest.is_empty() {
            self.line(&rest);
        }
        self.counts
    }

    fn line(&mut self, line: &str) {
        let lower = line.to_lowercase();
        for (needles, count) in self.needles.iter().zip(self.counts.iter_mut()) {
            if needles.iter().any(|n| lower.contains(n.as_str())) {
                count.count += 1;
                let stamp = timestamp(line).map(str::to_string);
                if count.first.is_none() {
                    count.first = stamp.clone();
                }
                if stamp.is_some() {
                    count.last = stamp;
                }
                if count.lines.len() < KEPT_LINES {
                    count.lines.push(line.trim().chars().take(MAX_LINE_CHARS).collect());
                }
            }
        }
    }
}

/// `2026-11-20 09:12:03` (or with `T`) at the start of a line.
fn timestamp(line: &str) -> Option<&str> {
    let s = line.trim_start().trim_start_matches('[');
    let candidate = s.get(..19)?;
    let b = candidate.as_bytes();
    let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    let ok = digits.iter().all(|&i| b[i].is_ascii_digit())
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b' ' || b[10] == b'T')
        && b[13] == b':'
        && b[16] == b':';
    ok.then_some(candidate)
}

/// What a check found, to choose its branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    Result(CheckResult),
    Patterns(Vec<PatternCount>),
    Code(String),
}

/// The walk choice for a check node: `branch-N` for the first branch whose
/// condition holds, else `otherwise`.
pub fn choose(branches: &[Branch], finding: &Finding) -> String {
    let holds = |c: &Condition| match (c, finding) {
        (Condition::Result { result }, Finding::Result(r)) => result == r,
        (Condition::Pattern { pattern, min_count }, Finding::Patterns(counts)) => {
            counts.iter().any(|p| &p.id == pattern && p.count >= (*min_count).max(1))
        }
        (Condition::Code { code }, Finding::Code(entered)) => code.trim().eq_ignore_ascii_case(entered.trim()),
        _ => false,
    };
    branches.iter().position(|b| holds(&b.when)).map_or_else(|| "otherwise".to_string(), |i| format!("branch-{i}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guide::Text;

    fn pattern(id: &str, any: &[&str]) -> LogPattern {
        let t = Text { zh_cn: id.into(), zh_tw: id.into(), en: id.into() };
        LogPattern { id: id.into(), label: t, any: any.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn counts_across_chunk_boundaries_case_insensitively() {
        let patterns = [pattern("jam", &["rf jamming", "干扰"]), pattern("battery", &["Low Battery"])];
        let log = "2026-11-20 09:12:03 Zone 3 RF JAMMING detected\n2026-11-20 09:13:00 arm ok\n[2026-11-20 10:40:11] 无线干扰\n2026-11-20 11:00:00 low battery repeater 2";
        for split in [1, 7, 20, 45, log.len() - 1] {
            let mut s = LogScanner::new(&patterns);
            // Split on a char boundary.
            let split = (split..=log.len()).find(|i| log.is_char_boundary(*i)).unwrap();
            s.feed(&log[..split]);
            s.feed(&log[split..]);
            let counts = s.finish();
            assert_eq!(counts[0].count, 2, "split {split}");
            assert_eq!(counts[0].first.as_deref(), Some("2026-11-20 09:12:03"));
            assert_eq!(counts[0].last.as_deref(), Some("2026-11-20 10:40:11"));
            assert_eq!(counts[1].count, 1);
            assert_eq!(counts[1].lines, vec!["2026-11-20 11:00:00 low battery repeater 2".to_string()]);
        }
    }

    #[test]
    fn branches_pick_the_first_condition_that_holds() {
        let b = |when: Condition| Branch { when, next: "x".into() };
        let branches = [
            b(Condition::Pattern { pattern: "jam".into(), min_count: 5 }),
            b(Condition::Pattern { pattern: "battery".into(), min_count: 1 }),
            b(Condition::Result { result: CheckResult::Unknown }),
            b(Condition::Code { code: "E02".into() }),
        ];
        let counts = |jam, battery| {
            Finding::Patterns(vec![
                PatternCount { id: "jam".into(), count: jam, ..Default::default() },
                PatternCount { id: "battery".into(), count: battery, ..Default::default() },
            ])
        };
        assert_eq!(choose(&branches, &counts(14, 3)), "branch-0");
        assert_eq!(choose(&branches, &counts(4, 3)), "branch-1");
        assert_eq!(choose(&branches, &counts(0, 0)), "otherwise");
        assert_eq!(choose(&branches, &Finding::Result(CheckResult::Unknown)), "branch-2");
        assert_eq!(choose(&branches, &Finding::Result(CheckResult::Ok)), "otherwise");
        assert_eq!(choose(&branches, &Finding::Code(" e02 ".into())), "branch-3");
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp("2026-11-20T09:12:03Z x"), Some("2026-11-20T09:12:03"));
        assert_eq!(timestamp("Nov 20 09:12:03 x"), None);
        assert_eq!(timestamp("短"), None);
    }
}

/// The shipped sample logs reach the nodes their guides intend.
#[cfg(test)]
mod sample_logs {
    use super::*;
    use crate::guide::{self, Check, NodeKind};

    const EXPECTED: &[(&str, &str, &str)] = &[
        ("repeater-signal-lost", "repeater-signal-lost-jamming.log", "jamming_escalate"),
        ("repeater-signal-lost", "repeater-signal-lost-battery.log", "battery_charge"),
        ("nvr-recording-and-disk", "nvr-recording-and-disk-hdd.log", "disk_fault"),
        ("nvr-recording-and-disk", "nvr-recording-and-disk-videoloss.log", "video_loss"),
        ("alarm-panel-false-alarms", "alarm-panel-false-alarms-tamper.log", "tamper_fix"),
        ("alarm-panel-false-alarms", "alarm-panel-false-alarms-acloss.log", "ac_power"),
    ];

    #[test]
    fn sample_logs_pick_the_intended_branch() {
        let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("guides/samples");
        for (guide_id, sample, expected) in EXPECTED {
            let (file, json) = guide::SHIPPED.iter().find(|(f, _)| *f == format!("{guide_id}.json")).expect("guide shipped");
            let g = guide::parse(file, json).unwrap();
            let node = g
                .nodes
                .iter()
                .find(|n| matches!(&n.kind, NodeKind::Check { check: Check::LogAnalysis { .. }, .. }))
                .expect("a log-analysis check");
            let NodeKind::Check { check: Check::LogAnalysis { patterns }, branches, .. } = &node.kind else { unreachable!() };
            let text = std::fs::read_to_string(samples.join(sample)).unwrap();
            // Odd-sized chunks, as the browser reads slices.
            let mut scanner = LogScanner::new(patterns);
            let mut rest = text.as_str();
            while !rest.is_empty() {
                let mut cut = rest.len().min(97);
                while !rest.is_char_boundary(cut) {
                    cut += 1;
                }
                scanner.feed(&rest[..cut]);
                rest = &rest[cut..];
            }
            let choice = choose(branches, &Finding::Patterns(scanner.finish()));
            let exits = node.kind.exits();
            let next = exits.iter().find(|(c, _)| *c == choice).map(|(_, n)| *n);
            assert_eq!(next, Some(*expected), "{sample} (choice {choice})");
        }
    }
}
