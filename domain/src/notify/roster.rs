//! The on-duty roster (值班表): shifts by day type and time, each with the
//! person's name and mobile number, kept as CSV lines people can edit and
//! import (`days,start,end,name,phone`). The company calendar says which
//! days are working days, so holidays and make-up days follow it.

use crate::calendar::{Calendar, Date, MINUTES_PER_DAY};

/// Most shifts in a roster.
pub const MAX_SHIFTS: usize = 200;
/// Longest name, in characters.
pub const MAX_NAME: usize = 40;
pub const HEADER: &str = "days,start,end,name,phone";

/// Which days a shift is worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Days {
    Every,
    /// Working days of the company calendar (make-up days included).
    Workdays,
    /// Weekends and holidays of the company calendar.
    Offdays,
    /// Fixed weekdays, bit 0 = Monday.
    Weekdays(u8),
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Days {
    pub fn parse(s: &str) -> Option<Days> {
        match s.trim().to_ascii_lowercase().as_str() {
            "every" => Some(Days::Every),
            "workdays" => Some(Days::Workdays),
            "offdays" => Some(Days::Offdays),
            other => {
                let mut mask = 0u8;
                for part in other.split('+') {
                    mask |= 1 << WEEKDAYS.iter().position(|d| *d == part.trim())?;
                }
                Some(Days::Weekdays(mask))
            }
        }
    }

    pub fn format(self) -> String {
        let mut out = String::new();
        match self {
            Days::Every => out.push_str("every"),
            Days::Workdays => out.push_str("workdays"),
            Days::Offdays => out.push_str("offdays"),
            Days::Weekdays(mask) => {
                for (i, d) in WEEKDAYS.iter().enumerate() {
                    if mask & (1 << i) != 0 {
                        if !out.is_empty() {
                            out.push('+');
                        }
                        out.push_str(d);
                    }
                }
            }
        }
        out
    }

    fn includes(self, date: Date, cal: &Calendar) -> bool {
        match self {
            Days::Every => true,
            Days::Workdays => is_workday(cal, date),
            Days::Offdays => !is_workday(cal, date),
            Days::Weekdays(mask) => mask & (1 << date.weekday()) != 0,
        }
    }
}

/// A working day of the calendar, whatever its clocks (a 24/7 contract
/// still has weekends for the roster).
pub fn is_workday(cal: &Calendar, date: Date) -> bool {
    if cal.extra_workdays.iter().any(|(d, _)| *d == date) {
        return true;
    }
    !cal.holidays.contains(&date) && !cal.weekly[date.weekday()].is_empty()
}

/// One shift: from `start` to `end` (minutes from local midnight); an end at
/// or before the start runs into the next day (`18:00`–`08:30`, `00:00`–`00:00`
/// is 24 hours).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    pub days: Days,
    pub start: u16,
    pub end: u16,
    pub name: String,
    pub phone: String,
}

impl Shift {
    fn covers(&self, cal: &Calendar, day: i64, minute: u16) -> bool {
        let today = self.days.includes(Date::from_days(day), cal);
        if self.start < self.end {
            today && self.start <= minute && minute < self.end
        } else {
            (today && minute >= self.start) || (minute < self.end && self.days.includes(Date::from_days(day - 1), cal))
        }
    }

    /// `18:00-08:30`, as the calendar writes hours.
    pub fn span(&self) -> String {
        crate::calendar::format_day_hours(&[crate::calendar::Interval::new(self.start, self.end)])
    }

    /// The CSV line `parse` reads. Built without `format!`: with it here,
    /// the widget's split bundle kept ~20 KB more in its first load (the
    /// splitter left shared formatting code in the main module).
    pub fn line(&self) -> String {
        let mut out = self.days.format();
        for part in [self.span().replacen('-', ",", 1).as_str(), &self.name, &self.phone] {
            out.push(',');
            out.push_str(part);
        }
        out
    }
}

/// Who is on duty at `utc_minute` (minutes since the epoch), in roster order.
pub fn on_duty<'a>(shifts: &'a [Shift], cal: &Calendar, utc_minute: i64) -> Vec<&'a Shift> {
    let local = cal.local_minute(utc_minute);
    let (day, minute) = (local.div_euclid(MINUTES_PER_DAY), local.rem_euclid(MINUTES_PER_DAY) as u16);
    shifts.iter().filter(|s| s.covers(cal, day, minute)).collect()
}

/// The phone the roster gives for a person, by the name staff see in the
/// console (`技术员 王强`): how a dispatched technician is @-mentioned.
pub fn phone_of<'a>(shifts: &'a [Shift], name: &str) -> Option<&'a str> {
    let name = name.trim();
    shifts.iter().find(|s| !name.is_empty() && s.name.trim() == name).map(|s| s.phone.as_str())
}

/// The first minute from `utc_minute` on (that minute itself included)
/// when someone is on duty, looking eight days ahead; `None` when nobody
/// is in that time. Steps a quarter hour, then finds the minute: a shift
/// shorter than 15 minutes may be stepped over.
pub fn next_on_duty(shifts: &[Shift], cal: &Calendar, utc_minute: i64) -> Option<i64> {
    let someone = |m: i64| !on_duty(shifts, cal, m).is_empty();
    if shifts.is_empty() {
        return None;
    }
    if someone(utc_minute) {
        return Some(utc_minute);
    }
    let mut t = utc_minute;
    while t < utc_minute + 8 * MINUTES_PER_DAY {
        let next = t + 15;
        if someone(next) {
            return (t + 1..=next).find(|m| someone(*m));
        }
        t = next;
    }
    None
}

/// The shifts that begin on a date (for the week view).
pub fn starting_on<'a>(shifts: &'a [Shift], cal: &Calendar, date: Date) -> Vec<&'a Shift> {
    shifts.iter().filter(|s| s.days.includes(date, cal)).collect()
}

/// A roster as read from text: its shifts and the (1-based) numbers of the
/// lines that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RosterImport {
    pub shifts: Vec<Shift>,
    pub bad_lines: Vec<u32>,
}

/// Reads `days,start,end,name,phone` lines (a header line and blank lines
/// are skipped; full-width commas accepted). More than `MAX_SHIFTS` shifts
/// make the first extra line bad.
pub fn parse(text: &str) -> RosterImport {
    let mut out = RosterImport::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.eq_ignore_ascii_case(HEADER) {
            continue;
        }
        match parse_line(line) {
            Some(shift) if out.shifts.len() < MAX_SHIFTS => out.shifts.push(shift),
            _ => out.bad_lines.push(i as u32 + 1),
        }
    }
    out
}

fn parse_line(line: &str) -> Option<Shift> {
    let fields: Vec<&str> = line.split([',', '，']).map(str::trim).collect();
    let [days, start, end, name, phone] = fields.as_slice() else { return None };
    let name_ok = (1..=MAX_NAME).contains(&name.chars().count()) && !name.chars().any(|c| c.is_control() || c == '"');
    let phone_ok = phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit());
    if !name_ok || !phone_ok {
        return None;
    }
    Some(Shift { days: Days::parse(days)?, start: time(start)?, end: time(end)?, name: name.to_string(), phone: phone.to_string() })
}

/// `HH:MM`, 00:00–23:59.
fn time(s: &str) -> Option<u16> {
    let (h, m) = s.split_once([':', '：'])?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && (1..=2).contains(&s.find([':', '：'])?)).then_some(h * 60 + m)
}

/// The roster as CSV, with its header: what `parse` reads back.
pub fn format(shifts: &[Shift]) -> String {
    let mut out = String::from(HEADER);
    for s in shifts {
        out.push('\n');
        out.push_str(&s.line());
    }
    out.push('\n');
    out
}
