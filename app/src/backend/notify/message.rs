//! A message's text, in the channel's language: a headline for the topic,
//! the case number, what happened, customer, equipment, severity, the next
//! deadline, who is on duty, and a link to the case page. Short: a phone
//! shows it in a chat list.

use crate::components::names::{event_text, severity_name};
use crate::domain::case_number;
use crate::domain::clock::ClockKind;
use crate::domain::guide::Severity;
use crate::domain::lifecycle::{BreachLevel, CaseEvent};
use crate::domain::notify::Topic;
use crate::i18n::{ConsoleTexts, Locale, LocaleTexts};

/// What a message says about its case.
pub struct CaseFacts {
    pub id: i64,
    pub customer: String,
    pub asset: String,
    pub severity: String,
    /// When the next clock runs out (local time text), if any runs.
    pub deadline: Option<String>,
}

/// Someone on duty, as the roster names them.
pub struct OnDuty {
    pub name: String,
    pub phone: String,
}

pub fn render(
    locale: Locale,
    topic: Topic,
    case: Option<&CaseFacts>,
    event: Option<&CaseEvent>,
    on_duty: Option<&[OnDuty]>,
    staff_names: &[(i64, String)],
    public_url: &str,
) -> String {
    let t = locale.console_texts();
    let mut lines = vec![headline(t, topic, event)];
    match case {
        Some(c) => {
            let number = case_number::format(c.id);
            if let Some(e) = event {
                let (what, notes) = event_text(t, e, staff_names);
                let what = match notes {
                    Some(n) => format!("{what}{}{}", t.colon, n.chars().take(80).collect::<String>()),
                    None => what,
                };
                lines.push(format!("{number} · {what}"));
            } else {
                lines.push(number.clone());
            }
            lines.push(format!("{}{}{}", t.notify_customer, t.colon, c.customer));
            lines.push(format!("{}{}{}", t.notify_asset, t.colon, c.asset));
            if let Some(s) = Severity::parse(&c.severity) {
                lines.push(format!("{}{}{}", t.notify_severity, t.colon, severity_name(t, s)));
            }
            if let Some(d) = &c.deadline {
                lines.push(format!("{}{}{d}", t.notify_deadline, t.colon));
            }
            push_on_duty(t, &mut lines, on_duty);
            lines.push(format!("{public_url}/console/cases/{number}"));
        }
        None => {
            lines.push(t.notify_test_body.to_string());
            push_on_duty(t, &mut lines, on_duty);
        }
    }
    lines.join("\n")
}

fn push_on_duty(t: &ConsoleTexts, lines: &mut Vec<String>, on_duty: Option<&[OnDuty]>) {
    match on_duty {
        Some([]) => lines.push(t.notify_nobody_on_duty.to_string()),
        Some(people) => {
            let list: Vec<String> = people.iter().map(|p| format!("{} {}", p.name, p.phone)).collect();
            lines.push(format!("{}{}{}", t.notify_on_duty, t.colon, list.join("、")));
        }
        None => {}
    }
}

fn headline(t: &ConsoleTexts, topic: Topic, event: Option<&CaseEvent>) -> String {
    match (topic, event) {
        (Topic::NewCase, _) => t.notify_head_new_case,
        (Topic::Breach, Some(CaseEvent::BreachRaised { level: BreachLevel::Management, .. })) => t.notify_head_breach_management,
        (Topic::Breach, _) => t.notify_head_breach,
        (Topic::Reminder, Some(CaseEvent::DeadlineNear { clock: ClockKind::ReturnVisit })) => t.notify_head_return_visit_due,
        (Topic::Reminder, _) => t.notify_head_unclaimed,
        (Topic::Dispatched, _) => t.notify_head_dispatched,
        (Topic::Quote, Some(CaseEvent::QuoteAnswered { approved: false })) => t.notify_head_quote_declined,
        (Topic::Quote, _) => t.notify_head_quote_approved,
        (Topic::Complaint, _) => t.notify_head_complaint,
        (Topic::LowRating, _) => t.notify_head_low_rating,
        (Topic::Test, _) => t.notify_head_test,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_case_names_number_customer_asset_deadline_and_duty() {
        let c = CaseFacts {
            id: 12,
            customer: "市第一医院".into(),
            asset: "无线报警主机".into(),
            severity: "major".into(),
            deadline: Some("2026-12-03 09:30".into()),
        };
        let duty = [OnDuty { name: "张三".into(), phone: "13900000001".into() }];
        let e = CaseEvent::Escalated { severity: Severity::Major };
        let text = render(Locale::ZhCn, Topic::NewCase, Some(&c), Some(&e), Some(&duty), &[], "https://fx.example");
        for part in [
            "FX-000012",
            "市第一医院",
            "无线报警主机",
            "2026-12-03 09:30",
            "张三 13900000001",
            "https://fx.example/console/cases/FX-000012",
        ] {
            assert!(text.contains(part), "{part} in {text}");
        }
        let en = render(Locale::En, Topic::NewCase, Some(&c), Some(&e), Some(&[]), &[], "https://fx.example");
        assert!(en.contains(Locale::En.console_texts().notify_nobody_on_duty), "{en}");
    }
}
