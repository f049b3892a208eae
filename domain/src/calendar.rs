//! Business calendars and working-time arithmetic, exact to the minute.
//!
//! Instants are minutes since the Unix epoch (UTC). A calendar says which
//! local minutes are working time: weekly intervals (several per day, for
//! lunch breaks), holidays, make-up working days (China's 调休 weekends), or
//! around the clock. The timezone is given as UTC-offset rules, so the same
//! code runs in the browser without a timezone database: the server turns an
//! IANA zone into rules for the years that matter.

use serde::{Deserialize, Serialize};

pub const MINUTES_PER_DAY: i64 = 24 * 60;

/// A civil date, proleptic Gregorian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        let d = Date { year, month, day };
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)).then_some(d)
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    pub fn to_days(self) -> i64 {
        let (y, m, d) = (self.year as i64 - (self.month <= 2) as i64, self.month as i64, self.day as i64);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + (month <= 2) as i64) as i32;
        Date { year, month, day }
    }

    /// 0 = Monday … 6 = Sunday.
    pub fn weekday(self) -> usize {
        (self.to_days() + 3).rem_euclid(7) as usize
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let mut it = s.trim().splitn(3, '-');
        let year = it.next()?.parse().ok()?;
        let month = it.next()?.parse().ok()?;
        let day = it.next()?.parse().ok()?;
        Date::new(year, month, day)
    }

    /// The same day `months` later, clamped to the month's end (Jan 31 + 1 month = Feb 28/29).
    pub fn add_months(self, months: i32) -> Date {
        let total = self.year * 12 + (self.month as i32 - 1) + months;
        let (year, month) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u8);
        Date { year, month, day: self.day.min(days_in_month(year, month)) }
    }

    pub fn add_days(self, days: i64) -> Date {
        Date::from_days(self.to_days() + days)
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Working minutes of one local day, `[start, end)` from local midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Interval {
    pub start: u16,
    pub end: u16,
}

impl Interval {
    pub const fn new(start: u16, end: u16) -> Interval {
        Interval { start, end }
    }

    /// `08:30` style times; `24:00` is allowed as an end.
    pub fn parse(start: &str, end: &str) -> Option<Interval> {
        let minute = |s: &str| -> Option<u16> {
            let (h, m) = s.trim().split_once(':')?;
            let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
            (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
        };
        let i = Interval { start: minute(start)?, end: minute(end)? };
        (i.start < i.end).then_some(i)
    }
}

/// One day's working hours as people write them: `08:30-12:00 13:30-17:30`
/// (spaces, commas or 、 between intervals). Empty is a day off. `None` if
/// any interval is malformed.
pub fn parse_day_hours(s: &str) -> Option<Vec<Interval>> {
    let mut out = Vec::new();
    for part in s.split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、' || c == ';').filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once(['-', '–', '~', '～'])?;
        out.push(Interval::parse(a, b)?);
    }
    out.sort();
    Some(out)
}

pub fn format_day_hours(day: &[Interval]) -> String {
    let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
    day.iter().map(|i| format!("{}-{}", hm(i.start), hm(i.end))).collect::<Vec<_>>().join(" ")
}

/// UTC offset rules: fixed (China, no DST) or a list of transitions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Offsets {
    Fixed {
        minutes: i32,
    },
    /// `(from_utc_minute, offset_minutes)`, sorted; before the first, the first applies.
    Transitions(Vec<(i64, i32)>),
}

impl Offsets {
    pub fn at_utc(&self, utc: i64) -> i64 {
        match self {
            Offsets::Fixed { minutes } => *minutes as i64,
            Offsets::Transitions(t) => {
                let i = t.partition_point(|(from, _)| *from <= utc);
                t.get(i.saturating_sub(1)).map_or(0, |(_, o)| *o as i64)
            }
        }
    }

    /// The UTC instant of a local minute. In a gap (spring forward) the
    /// minute maps forward; in an overlap, the first occurrence wins.
    pub fn local_to_utc(&self, local: i64) -> i64 {
        let mut utc = local - self.at_utc(local);
        for _ in 0..2 {
            utc = local - self.at_utc(utc);
        }
        let earlier = local - self.at_utc(utc - 120);
        if earlier + self.at_utc(earlier) == local {
            earlier.min(utc)
        } else {
            utc
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    /// IANA name, for display ("Asia/Shanghai").
    pub timezone: String,
    pub offsets: Offsets,
    /// Every minute is working time (24/7 clocks).
    pub always: bool,
    /// Monday first; intervals sorted and not overlapping.
    pub weekly: [Vec<Interval>; 7],
    /// Days off, whatever the weekday.
    pub holidays: Vec<Date>,
    /// Make-up working days (often weekends), worked with these intervals.
    pub extra_workdays: Vec<(Date, Vec<Interval>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarProblem {
    BadInterval { weekday: usize },
    Overlap { weekday: usize },
    DayBothHolidayAndWorkday(Date),
}

/// Give up searching for working time after this many days: a calendar with
/// none (all holidays) must not loop forever.
const MAX_SEARCH_DAYS: i64 = 3 * 366;

impl Calendar {
    pub fn always_open(timezone: &str, offsets: Offsets) -> Calendar {
        Calendar { timezone: timezone.into(), offsets, always: true, weekly: Default::default(), holidays: vec![], extra_workdays: vec![] }
    }

    /// Mon–Fri 08:30–12:00 and 13:30–17:30 in China Standard Time.
    pub fn china_office() -> Calendar {
        let day = vec![Interval::new(8 * 60 + 30, 12 * 60), Interval::new(13 * 60 + 30, 17 * 60 + 30)];
        Calendar {
            timezone: "Asia/Shanghai".into(),
            offsets: Offsets::Fixed { minutes: 8 * 60 },
            always: false,
            weekly: [day.clone(), day.clone(), day.clone(), day.clone(), day, vec![], vec![]],
            holidays: vec![],
            extra_workdays: vec![],
        }
    }

    pub fn problems(&self) -> Vec<CalendarProblem> {
        let mut out = Vec::new();
        for (weekday, day) in self.weekly.iter().enumerate() {
            if day.iter().any(|i| i.start >= i.end || i.end > 1440) {
                out.push(CalendarProblem::BadInterval { weekday });
            }
            if day.windows(2).any(|w| w[1].start < w[0].end) {
                out.push(CalendarProblem::Overlap { weekday });
            }
        }
        for (date, _) in &self.extra_workdays {
            if self.holidays.contains(date) {
                out.push(CalendarProblem::DayBothHolidayAndWorkday(*date));
            }
        }
        out
    }

    /// Working intervals of a local date.
    pub fn intervals(&self, date: Date) -> &[Interval] {
        const ALL_DAY: &[Interval] = &[Interval::new(0, 1440)];
        if self.always {
            return ALL_DAY;
        }
        if let Some((_, extra)) = self.extra_workdays.iter().find(|(d, _)| *d == date) {
            return extra;
        }
        if self.holidays.contains(&date) {
            return &[];
        }
        &self.weekly[date.weekday()]
    }

    pub fn local_minute(&self, utc: i64) -> i64 {
        utc + self.offsets.at_utc(utc)
    }

    pub fn local_date(&self, utc: i64) -> Date {
        Date::from_days(self.local_minute(utc).div_euclid(MINUTES_PER_DAY))
    }

    /// Working periods in UTC, in order, from the local day containing `from`.
    fn periods_from(&self, from: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
        let first_day = self.local_minute(from).div_euclid(MINUTES_PER_DAY);
        (first_day..first_day + MAX_SEARCH_DAYS).flat_map(move |day| {
            let base = day * MINUTES_PER_DAY;
            self.intervals(Date::from_days(day))
                .iter()
                .map(move |i| (self.offsets.local_to_utc(base + i.start as i64), self.offsets.local_to_utc(base + i.end as i64)))
        })
    }

    pub fn is_working(&self, utc: i64) -> bool {
        let local = self.local_minute(utc);
        let minute = local.rem_euclid(MINUTES_PER_DAY) as u16;
        self.intervals(Date::from_days(local.div_euclid(MINUTES_PER_DAY))).iter().any(|i| i.start <= minute && minute < i.end)
    }

    /// The instant when `minutes` of working time have passed since `start`.
    /// `None` if the calendar has no working time within years.
    pub fn add_working(&self, start: i64, minutes: i64) -> Option<i64> {
        if minutes <= 0 {
            return Some(start);
        }
        if self.always {
            return Some(start + minutes);
        }
        let mut left = minutes;
        for (a, b) in self.periods_from(start) {
            let a = a.max(start);
            if b <= a {
                continue;
            }
            if b - a >= left {
                return Some(a + left);
            }
            left -= b - a;
        }
        None
    }

    /// Working minutes in `[from, to)`; 0 if `to <= from`.
    pub fn working_between(&self, from: i64, to: i64) -> i64 {
        if to <= from {
            return 0;
        }
        if self.always {
            return to - from;
        }
        let mut total = 0;
        for (a, b) in self.periods_from(from) {
            if a >= to {
                break;
            }
            let (a, b) = (a.max(from), b.min(to));
            if b > a {
                total += b - a;
            }
        }
        total
    }
}

/// `2026-11-22T15:40` (a `datetime-local` field) in the organisation's
/// local time (`offset_minutes` east of UTC) → epoch ms.
pub fn local_input_to_ms(s: &str, offset_minutes: i64) -> Option<i64> {
    let (date, time) = s.split_once('T')?;
    let date = Date::parse(date)?;
    let (h, m) = time.get(..5)?.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    Some((date.to_days() * 1440 + h * 60 + m - offset_minutes) * 60_000)
}

/// Epoch ms → `2026-11-22T15:40` in the organisation's local time, for
/// a `datetime-local` field.
pub fn ms_to_local_input(ms: i64, offset_minutes: i64) -> String {
    let local = ms.div_euclid(60_000) + offset_minutes;
    let date = Date::from_days(local.div_euclid(1440));
    let minute = local.rem_euclid(1440);
    format!("{date}T{:02}:{:02}", minute / 60, minute % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn local_times_round_trip_in_the_org_zone() {
        // 2026-11-22 15:40 in Shanghai (UTC+8) is 07:40 UTC.
        let ms = local_input_to_ms("2026-11-22T15:40", 480).unwrap();
        assert_eq!(ms, 1_795_333_200_000);
        assert_eq!(ms_to_local_input(ms, 480), "2026-11-22T15:40");
        assert_eq!(local_input_to_ms("2026-11-22T24:00", 480), None);
        assert_eq!(local_input_to_ms("yesterday", 480), None);
    }

    /// UTC minute of a Shanghai local time.
    fn cst(y: i32, mo: u8, d: u8, h: i64, mi: i64) -> i64 {
        Date::new(y, mo, d).unwrap().to_days() * MINUTES_PER_DAY + h * 60 + mi - 8 * 60
    }

    #[test]
    fn civil_dates_roundtrip_and_weekdays() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().to_days(), 0);
        assert_eq!(Date::new(2026, 11, 22).unwrap().weekday(), 6); // a Sunday
        assert_eq!(Date::new(2024, 2, 29).unwrap().weekday(), 3); // a Thursday
        for days in (-800_000..800_000).step_by(997) {
            assert_eq!(Date::from_days(days).to_days(), days);
        }
        assert_eq!(Date::new(2025, 2, 29), None);
        assert_eq!(Date::parse("2026-01-31").unwrap().add_months(1), Date::new(2026, 2, 28).unwrap());
        assert_eq!(Date::parse("2024-01-31").unwrap().add_months(13), Date::new(2025, 2, 28).unwrap());
        assert_eq!(Date::parse("2026-10-08").unwrap().to_string(), "2026-10-08");
    }

    #[test]
    fn lunch_break_and_evening_are_skipped() {
        let cal = Calendar::china_office();
        // Monday 2026-11-23 11:00 + 2 h working = 11:00–12:00, 13:30–14:30.
        assert_eq!(cal.add_working(cst(2026, 11, 23, 11, 0), 120), Some(cst(2026, 11, 23, 14, 30)));
        // Friday 17:00 + 1 h = 17:00–17:30, then Monday 08:30–09:00.
        assert_eq!(cal.add_working(cst(2026, 11, 27, 17, 0), 60), Some(cst(2026, 11, 30, 9, 0)));
        // Reported on Saturday night: the clock starts Monday morning.
        assert_eq!(cal.add_working(cst(2026, 11, 28, 22, 0), 30), Some(cst(2026, 11, 30, 9, 0)));
        assert_eq!(cal.working_between(cst(2026, 11, 23, 11, 0), cst(2026, 11, 23, 14, 30)), 120);
        assert!(cal.is_working(cst(2026, 11, 23, 8, 30)));
        assert!(!cal.is_working(cst(2026, 11, 23, 12, 0)));
    }

    #[test]
    fn national_day_holidays_and_make_up_weekend() {
        // 2026: 1–7 October off, Saturday 10 October worked.
        let mut cal = Calendar::china_office();
        cal.holidays = (1..=7).map(|d| Date::new(2026, 10, d).unwrap()).collect();
        let make_up = Date::new(2026, 10, 10).unwrap();
        cal.extra_workdays = vec![(make_up, cal.weekly[0].clone())];
        assert!(cal.problems().is_empty());
        // Wednesday 30 Sept 17:00: 30 min that day, then the 7.5-hour days of
        // 8 Oct (Thu), 9 Oct (Fri) and 10 Oct (Sat, make-up) ...
        let start = cst(2026, 9, 30, 17, 0);
        let day = 450;
        assert_eq!(cal.add_working(start, 30 + 2 * day), Some(cst(2026, 10, 9, 17, 30)));
        assert_eq!(cal.add_working(start, 30 + 2 * day + 60), Some(cst(2026, 10, 10, 9, 30)));
        assert_eq!(cal.working_between(start, cst(2026, 10, 12, 8, 30)), 30 + 3 * day);
        // ... and the Sunday after is off again.
        assert_eq!(cal.add_working(cst(2026, 10, 10, 17, 0), 60), Some(cst(2026, 10, 12, 9, 0)));
    }

    #[test]
    fn year_boundary_and_always_open() {
        let cal = Calendar::china_office();
        // Thursday 31 Dec 2026 17:00 + 1 h: Friday 1 Jan 2027 is a weekday here (no holiday set).
        assert_eq!(cal.add_working(cst(2026, 12, 31, 17, 0), 60), Some(cst(2027, 1, 1, 9, 0)));
        let always = Calendar::always_open("Asia/Shanghai", Offsets::Fixed { minutes: 480 });
        assert_eq!(always.add_working(cst(2026, 12, 31, 23, 0), 120), Some(cst(2027, 1, 1, 1, 0)));
        assert_eq!(always.working_between(0, 1440), 1440);
    }

    #[test]
    fn a_calendar_without_working_time_gives_up() {
        let mut cal = Calendar::china_office();
        cal.weekly = Default::default();
        assert_eq!(cal.add_working(0, 1), None);
        assert_eq!(cal.working_between(0, 100_000), 0);
    }

    #[test]
    fn daylight_saving_transitions() {
        // A +60/+120 zone switching at a known UTC minute.
        let switch = cst(2026, 3, 29, 9, 0); // arbitrary instant
        let cal = Calendar {
            offsets: Offsets::Transitions(vec![(i64::MIN, 60), (switch, 120)]),
            ..Calendar::always_open("Europe/Test", Offsets::Fixed { minutes: 0 })
        };
        assert_eq!(cal.offsets.at_utc(switch - 1), 60);
        assert_eq!(cal.offsets.at_utc(switch), 120);
        // 24/7: working time is real elapsed time, whatever the clock shows.
        assert_eq!(cal.working_between(switch - 60, switch + 60), 120);
    }

    #[test]
    fn interval_parsing() {
        assert_eq!(Interval::parse("08:30", "12:00"), Some(Interval::new(510, 720)));
        assert_eq!(Interval::parse("00:00", "24:00"), Some(Interval::new(0, 1440)));
        assert_eq!(Interval::parse("12:00", "08:30"), None);
        assert_eq!(Interval::parse("25:00", "26:00"), None);
        assert_eq!(Interval::parse("8", "9"), None);
    }

    fn arb_calendar() -> impl Strategy<Value = Calendar> {
        // Per weekday up to three sorted, disjoint intervals on a 15-minute grid.
        let day = proptest::collection::btree_set(0u16..96, 0..6).prop_map(|cuts| {
            let cuts: Vec<u16> = cuts.into_iter().map(|c| c * 15).collect();
            cuts.chunks_exact(2).map(|w| Interval::new(w[0], w[1])).collect::<Vec<_>>()
        });
        (
            proptest::array::uniform7(day),
            proptest::collection::vec(0i64..60, 0..8),
            proptest::collection::vec(0i64..60, 0..3),
            -12i32 * 60..=14 * 60,
        )
            .prop_map(|(weekly, holidays, extra, offset)| {
                let base = Date::new(2026, 9, 25).unwrap().to_days();
                let holidays: Vec<Date> = holidays.into_iter().map(|d| Date::from_days(base + d)).collect();
                let extra = extra
                    .into_iter()
                    .map(|d| Date::from_days(base + d))
                    .filter(|d| !holidays.contains(d))
                    .map(|d| (d, vec![Interval::new(9 * 60, 12 * 60)]))
                    .collect();
                Calendar {
                    timezone: "Test".into(),
                    offsets: Offsets::Fixed { minutes: offset },
                    always: false,
                    weekly,
                    holidays,
                    extra_workdays: extra,
                }
            })
            // At least 4 working hours a week: sparser calendars run past the
            // 3-year search horizon for the largest durations tested (None by design).
            .prop_filter("has working time", |c| c.weekly.iter().flatten().map(|i| (i.end - i.start) as u32).sum::<u32>() >= 240)
    }

    fn start_instant() -> impl Strategy<Value = i64> {
        let base = Date::new(2026, 9, 25).unwrap().to_days() * MINUTES_PER_DAY;
        base..base + 40 * MINUTES_PER_DAY
    }

    /// The reference: walk minute by minute.
    fn brute_add(cal: &Calendar, start: i64, minutes: i64) -> i64 {
        let (mut t, mut left) = (start, minutes);
        while left > 0 {
            if cal.is_working(t) {
                left -= 1;
            }
            t += 1;
        }
        // The deadline is the end of the last working minute counted.
        t
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn add_matches_minute_by_minute_reference(cal in arb_calendar(), start in start_instant(), minutes in 0i64..2000) {
            let fast = cal.add_working(start, minutes).unwrap();
            prop_assert_eq!(fast, brute_add(&cal, start, minutes));
            let brute_between = (start..fast).filter(|t| cal.is_working(*t)).count() as i64;
            prop_assert_eq!(cal.working_between(start, fast), brute_between);
        }

        #[test]
        fn add_is_monotonic_and_additive(cal in arb_calendar(), start in start_instant(), a in 0i64..3000, b in 0i64..3000) {
            let ta = cal.add_working(start, a).unwrap();
            let tab = cal.add_working(start, a + b).unwrap();
            prop_assert!(ta <= tab);
            prop_assert_eq!(cal.add_working(ta, b).unwrap(), tab);
        }

        #[test]
        fn between_inverts_add(cal in arb_calendar(), start in start_instant(), minutes in 0i64..5000) {
            let end = cal.add_working(start, minutes).unwrap();
            prop_assert_eq!(cal.working_between(start, end), minutes);
        }
    }

    #[test]
    fn day_hours_as_people_write_them() {
        let day = parse_day_hours("13:30-17:30, 08:30-12:00").unwrap();
        assert_eq!(day, vec![Interval::new(510, 720), Interval::new(810, 1050)]);
        assert_eq!(format_day_hours(&day), "08:30-12:00 13:30-17:30");
        assert_eq!(parse_day_hours("  "), Some(vec![]));
        assert_eq!(parse_day_hours("00:00-24:00"), Some(vec![Interval::new(0, 1440)]));
        assert_eq!(parse_day_hours("08:30~12:00、13:30–17:30").map(|d| d.len()), Some(2));
        assert_eq!(parse_day_hours("8-12"), None);
        assert_eq!(parse_day_hours("12:00-08:00"), None);
        assert_eq!(parse_day_hours("08:30"), None);
    }
}
