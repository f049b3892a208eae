use super::roster::{self, Days, Shift};
use super::*;
use crate::calendar::{Calendar, Date};
use crate::lifecycle::Rating;
use proptest::prelude::*;

fn cal() -> Calendar {
    let mut cal = Calendar::china_office();
    // 2026-10-01 (Thursday) a holiday, 2026-10-10 (Saturday) a make-up workday.
    cal.holidays.push(Date::new(2026, 10, 1).unwrap());
    cal.extra_workdays.push((Date::new(2026, 10, 10).unwrap(), cal.weekly[0].clone()));
    cal
}

/// Minutes since the epoch of a Shanghai local time.
fn at(y: i32, mo: u8, d: u8, h: i64, mi: i64) -> i64 {
    Date::new(y, mo, d).unwrap().to_days() * 1440 + h * 60 + mi - 8 * 60
}

fn names(shifts: Vec<&Shift>) -> Vec<&str> {
    shifts.into_iter().map(|s| s.name.as_str()).collect()
}

const ROSTER: &str = "days,start,end,name,phone\n\
    workdays,08:30,18:00,白班,13900000001\n\
    workdays,18:00,08:30,夜班,13900000002\n\
    offdays,00:00,00:00,假日班,13900000003\n";

#[test]
fn day_night_weekend_holiday_and_make_up_day() {
    let r = roster::parse(ROSTER);
    assert!(r.bad_lines.is_empty());
    let c = cal();
    // Wednesday 2026-09-30: day shift, then night shift past midnight into the holiday.
    assert_eq!(names(roster::on_duty(&r.shifts, &c, at(2026, 9, 30, 10, 0))), ["白班"]);
    assert_eq!(names(roster::on_duty(&r.shifts, &c, at(2026, 9, 30, 23, 0))), ["夜班"]);
    assert_eq!(names(roster::on_duty(&r.shifts, &c, at(2026, 10, 1, 3, 0))), ["夜班", "假日班"]);
    // The holiday itself and a Sunday: the holiday shift all day.
    assert_eq!(names(roster::on_duty(&r.shifts, &c, at(2026, 10, 1, 12, 0))), ["假日班"]);
    assert_eq!(names(roster::on_duty(&r.shifts, &c, at(2026, 10, 4, 12, 0))), ["假日班"]);
    // Saturday 2026-10-10 is worked: the day shift, not the holiday one.
    assert_eq!(names(roster::on_duty(&r.shifts, &c, at(2026, 10, 10, 9, 0))), ["白班"]);
    // Nobody: a roster with a gap.
    let gap = roster::parse("mon,09:00,10:00,甲,13900000001").shifts;
    assert!(roster::on_duty(&gap, &c, at(2026, 9, 30, 12, 0)).is_empty());
}

#[test]
fn bad_lines_are_numbered_and_good_ones_kept() {
    let r = roster::parse("days,start,end,name,phone\nevery,08:00,18:00,甲,13900000001\nsometimes,08:00,18:00,乙,13900000002\n\nevery,25:00,18:00,丙,13900000003\nevery,08:00,18:00,丁,12345\nmon+sat，08:00，18:00，戊，13900000005\nevery,08:00,18:00,,13900000006\nevery,8,18:00,己,13900000007");
    assert_eq!(r.bad_lines, [3, 5, 6, 8, 9]);
    assert_eq!(names(r.shifts.iter().collect()), ["甲", "戊"]);
    assert_eq!(r.shifts[1].days, Days::Weekdays(0b10_0001));
    assert_eq!(roster::parse(&roster::format(&r.shifts)).shifts, r.shifts);
}

#[test]
fn too_many_shifts_are_refused() {
    let text: String = (0..=roster::MAX_SHIFTS).map(|_| "every,08:00,18:00,甲,13900000001\n").collect();
    assert_eq!(roster::parse(&text).bad_lines, [roster::MAX_SHIFTS as u32 + 1]);
}

#[test]
fn events_map_to_topics() {
    use crate::lifecycle::CaseEvent;
    let rated = |v| CaseEvent::Rated { rating: Rating { attitude: 4, skill: v, punctuality: 4, promise_kept: 4, comment: String::new() } };
    assert_eq!(topic_of(&rated(2)), Some(Topic::LowRating));
    assert_eq!(topic_of(&rated(3)), None);
    assert_eq!(topic_of(&CaseEvent::Claimed), None);
    assert_eq!(topic_of(&CaseEvent::QuoteAnswered { approved: false }), Some(Topic::Quote));
    for t in Topic::SUBSCRIBABLE.into_iter().chain([Topic::Test]) {
        assert_eq!(Topic::parse(t.as_str()), Some(t));
    }
}

#[test]
fn webhook_addresses_are_checked_per_kind() {
    use ChannelKind::*;
    assert!(url_ok(Wecom, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx", false));
    assert!(url_ok(Dingtalk, "https://oapi.dingtalk.com/robot/send?access_token=abc", false));
    assert!(url_ok(Feishu, "https://open.feishu.cn/open-apis/bot/v2/hook/abc-123", false));
    // Another host, plain http, or the robot's name missing.
    assert!(!url_ok(Wecom, "https://evil.example/cgi-bin/webhook/send?key=x", false));
    assert!(url_ok(Wecom, "http://127.0.0.1:4000/cgi-bin/webhook/send?key=x", true));
    assert!(!url_ok(Wecom, "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", false));
    assert!(!url_ok(Dingtalk, "https://oapi.dingtalk.com/robot/send?access_token=", false));
    assert!(!url_ok(Dingtalk, "https://oapi.dingtalk.com/robot/send", false));
    assert!(!url_ok(Feishu, "https://open.feishu.cn/open-apis/bot/v2/hook/", false));
    assert!(!url_ok(Wecom, "ftp://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", true));
    assert!(!url_ok(Dingtalk, "https://user@oapi.dingtalk.com/robot/send?access_token=a", true));
}

#[test]
fn e_mail_recipients_are_addresses() {
    assert_eq!(recipients("a@hengan.test, 主管 <boss@hengan.test>"), Some(vec!["a@hengan.test", "主管 <boss@hengan.test>"]));
    assert_eq!(recipients("a@hengan.test、b@hengan.test"), Some(vec!["a@hengan.test", "b@hengan.test"]));
    for bad in [
        "",
        "a@b",
        "not-an-address",
        "a@hengan.test,,b@hengan.test",
        "a b@hengan.test",
        "<a@hengan.test",
        "a@@hengan.test",
        "a@hengan.test\nb@hengan.test",
    ] {
        assert_eq!(recipients(bad), None, "{bad:?}");
    }
    let many: Vec<String> = (0..=MAX_RECIPIENTS).map(|i| format!("p{i}@hengan.test")).collect();
    assert_eq!(recipients(&many.join(",")), None);
    assert!(url_ok(ChannelKind::Email, "ops@hengan.test", false));
    assert!(!ChannelKind::Email.needs_secret());
}

#[test]
fn masks_show_little() {
    assert_eq!(mask("SECabcdefghijklmnop12"), "SE…12");
    assert_eq!(mask("short"), "•••••");
    let m = mask_url("https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef0123");
    assert_eq!(m, "https://oapi.dingtalk.com/robot/send?access_token=01…23");
    assert_eq!(
        mask_url("https://open.feishu.cn/open-apis/bot/v2/hook/0123456789abcdef99"),
        "https://open.feishu.cn/open-apis/bot/v2/hook/01…99"
    );
}

#[test]
fn retries_back_off() {
    assert_eq!(retry_delay_ms(1), 1_000);
    assert_eq!(retry_delay_ms(2), 2_000);
    assert_eq!(retry_delay_ms(7), 64_000);
    assert_eq!(retry_delay_ms(40), 600_000);
}

proptest! {
    /// A shift covers exactly its length in minutes of any day it is worked.
    #[test]
    fn a_daily_shift_covers_its_length(start in 0u16..1440, end in 0u16..1440, day in 20_000i64..21_000) {
        let shifts = vec![Shift { days: Days::Every, start, end, name: "甲".into(), phone: "13900000001".into() }];
        let c = Calendar::china_office();
        let base = day * 1440 - 8 * 60;
        let covered = (0..1440).filter(|m| !roster::on_duty(&shifts, &c, base + m).is_empty()).count() as i64;
        let len = if start < end { (end - start) as i64 } else { 1440 - start as i64 + end as i64 };
        prop_assert_eq!(covered, len.min(1440));
    }

    /// A slot never breaks the number's limits: not sooner than now, a gap
    /// after the last text, and with room in the 24 hours before it.
    #[test]
    fn a_text_slot_keeps_the_numbers_limits(
        ago in proptest::collection::vec(0i64..90_000_000, 0..14),
        ahead in 0i64..4,
        gap in 0i64..120_000,
    ) {
        let now = 1_000_000_000;
        let recent: Vec<i64> = ago.iter().map(|a| now - a).collect();
        if let Some(at) = crate::notify::sms::next_slot(now, &recent, ahead, gap) {
            prop_assert!(at >= now);
            prop_assert!(at - now <= crate::notify::sms::MAX_DAY_WAIT_MS + (ahead + 1) * gap + 100);
            let in_day = recent.iter().filter(|t| **t > at - 86_400_000).count() as i64;
            prop_assert!(in_day + ahead < crate::notify::sms::PER_NUMBER_PER_DAY);
            prop_assert!(recent.iter().filter(|t| **t > now - 86_400_000).all(|t| at >= t + gap));
        }
    }

    /// Reading never panics, and what it keeps reads back the same.
    #[test]
    fn any_text_reads_without_panic(text in "\\PC{0,200}") {
        let r = roster::parse(&text);
        prop_assert_eq!(roster::parse(&roster::format(&r.shifts)).shifts, r.shifts);
    }
}

#[test]
fn the_next_person_on_duty_is_found_to_the_minute() {
    use roster::{next_on_duty, parse};
    let cal = Calendar::china_office();
    // Shanghai local time as a UTC minute.
    let cst = |d: u8, h: i64, m: i64| Date::new(2026, 12, d).unwrap().to_days() * 1440 + h * 60 + m - 480;
    let shifts = parse("days,start,end,name,phone\nworkdays,08:30,17:30,李娜,13800000003\n").shifts;
    // Thursday 03 December 2026, 07:00: the day shift starts at 08:30.
    assert_eq!(next_on_duty(&shifts, &cal, cst(3, 7, 0)), Some(cst(3, 8, 30)));
    assert_eq!(next_on_duty(&shifts, &cal, cst(3, 9, 0)), Some(cst(3, 9, 0)));
    // Friday evening: Monday morning.
    assert_eq!(next_on_duty(&shifts, &cal, cst(4, 18, 0)), Some(cst(7, 8, 30)));
    assert_eq!(next_on_duty(&[], &cal, cst(3, 7, 0)), None);
}

#[test]
fn a_failed_message_backs_off_then_gives_up() {
    assert_eq!(next_try_in_ms(1, false), Some(1_000));
    assert_eq!(next_try_in_ms(3, false), Some(4_000));
    assert_eq!(next_try_in_ms(3, true), Some(60_000));
    assert_eq!(next_try_in_ms(MAX_ATTEMPTS, false), None);
}

#[test]
fn a_person_is_found_on_the_roster_by_the_name_staff_see() {
    let shifts =
        roster::parse("days,start,end,name,phone\nworkdays,18:00,08:30,技术员 王强,13800000004\nevery,08:30,18:00,李娜,13800000003\n")
            .shifts;
    assert_eq!(roster::phone_of(&shifts, "技术员 王强"), Some("13800000004"));
    assert_eq!(roster::phone_of(&shifts, " 李娜 "), Some("13800000003"));
    assert_eq!(roster::phone_of(&shifts, "王强"), None);
    assert_eq!(roster::phone_of(&shifts, ""), None);
}

#[test]
fn customer_addresses_are_masked() {
    assert_eq!(mask_address("wang.fang@hengan.test"), "w***@hengan.test");
    assert_eq!(mask_address("x@qq.com"), "x***@qq.com");
    assert_eq!(mask_address("no-at-sign"), "***");
}
