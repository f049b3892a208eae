//! Holiday lists an admin uploads (iCalendar `.ics` or CSV), turned into
//! holidays and make-up working days (China's 调休 weekends) for a business
//! calendar.
//!
//! Nothing is saved here. The caller shows `days` as a preview and refuses to
//! save while `errors` is non-empty, so parsing never stops at the first
//! problem: every bad line is reported with its 1-based line number and
//! skipped, and the good lines are kept.
//!
//! Plain std (no regex, no chrono): this is also compiled into the WASM widget.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::calendar::{Date, Interval};

/// Bigger than any real holiday list; stops a wrong upload from tying up the browser.
pub const MAX_BYTES: usize = 1024 * 1024;
/// Physical lines, blank and comment lines included.
pub const MAX_LINES: usize = 5000;
/// One calendar event may cover at most this many days. Longer ones are
/// almost always a typo in DTEND (a wrong year or month).
pub const MAX_EVENT_DAYS: i64 = 31;
/// `LineError::text` keeps this many characters of the offending line.
pub const ERROR_TEXT_CHARS: usize = 80;

const SECONDS_PER_DAY: i64 = 24 * 60 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    Holiday,
    Workday,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedDay {
    pub date: Date,
    pub kind: DayKind,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineProblem {
    BadDate,
    BadKind,
    MissingField,
    DuplicateDate,
    ConflictingKinds,
    TooLong,
    UnknownFormat,
    EndBeforeStart,
    RangeTooLong,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineError {
    /// 1-based. For iCalendar, the first physical line of the (unfolded) line.
    pub line: usize,
    pub problem: LineProblem,
    /// The offending line, trimmed and cut to `ERROR_TEXT_CHARS` characters.
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayImport {
    /// Sorted by date, one per date.
    pub days: Vec<ImportedDay>,
    /// Sorted by line.
    pub errors: Vec<LineError>,
}

impl HolidayImport {
    /// The dates for `Calendar::holidays`.
    pub fn holidays(&self) -> Vec<Date> {
        self.days.iter().filter(|d| d.kind == DayKind::Holiday).map(|d| d.date).collect()
    }

    /// The entries for `Calendar::extra_workdays`, each worked with `hours`
    /// (a list says which days are worked, not when).
    pub fn workdays(&self, hours: &[Interval]) -> Vec<(Date, Vec<Interval>)> {
        self.days.iter().filter(|d| d.kind == DayKind::Workday).map(|d| (d.date, hours.to_vec())).collect()
    }
}

/// Detects the format: content starting with `BEGIN:VCALENDAR` (after an
/// optional BOM and whitespace) is iCalendar, anything else CSV.
pub fn parse(text: &str) -> HolidayImport {
    let start = strip_bom(text).trim_start();
    let is_ical = start.get(..15).is_some_and(|s| s.eq_ignore_ascii_case("BEGIN:VCALENDAR"));
    if is_ical {
        parse_ical(text)
    } else {
        parse_csv(text)
    }
}

// ---------------------------------------------------------------------------
// CSV

/// `date,kind,name` lines; see the module tests for every accepted form.
pub fn parse_csv(text: &str) -> HolidayImport {
    let text = strip_bom(text);
    if let Some(rejected) = reject_input(text) {
        return rejected;
    }
    let mut out = Collector::default();
    let mut first_content_line = true;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let may_be_header = std::mem::replace(&mut first_content_line, false);
        // Split the raw line, not the trimmed one: trimming would eat a
        // leading tab separator and shift the columns.
        let cells = split_csv_line(raw);
        let date_cell = cells[0].as_str();
        if date_cell.is_empty() {
            out.error(line_no, LineProblem::MissingField, line);
            continue;
        }
        let Some(date) = parse_date(date_cell) else {
            // A header (`date,kind,name`, `日期,类型,名称`) may only be the first
            // line, and never starts with a digit: `2026-13-01` is a bad date,
            // not a header to skip silently.
            if may_be_header && !date_cell.starts_with(|c: char| c.is_ascii_digit()) {
                continue;
            }
            out.error(line_no, LineProblem::BadDate, line);
            continue;
        };
        // No kind column, or an empty kind cell (how spreadsheets write a
        // missing value), means a holiday; the preview shows the kind anyway.
        let kind = match cells.get(1).map(String::as_str) {
            None | Some("") => DayKind::Holiday,
            Some(word) => match parse_kind(word) {
                Some(kind) => kind,
                None => {
                    out.error(line_no, LineProblem::BadKind, line);
                    continue;
                }
            },
        };
        let name = cells.get(2).cloned().unwrap_or_default();
        if let Err(problem) = out.add(ImportedDay { date, kind, name }) {
            out.error(line_no, problem, line);
        }
    }
    out.finish()
}

/// Splits one CSV line on `,`, `，` (full-width) or tab. A cell starting with
/// `"` is quoted: separators inside are kept and `""` is a literal quote.
/// Cells are trimmed. Columns after the third are ignored by the caller, as
/// in any CSV (a spreadsheet's "notes" column, say).
fn split_csv_line(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let cell = cells.last_mut().expect("always one cell");
        if quoted {
            if c != '"' {
                cell.push(c);
            } else if chars.peek() == Some(&'"') {
                chars.next();
                cell.push('"');
            } else {
                quoted = false;
            }
        } else if c == '"' && cell.trim().is_empty() {
            cell.clear();
            quoted = true;
        } else if matches!(c, ',' | '，' | '\t') {
            cells.push(String::new());
        } else {
            cell.push(c);
        }
    }
    cells.iter().map(|c| c.trim().to_string()).collect()
}

/// `YYYY-MM-DD`, `YYYY/MM/DD` (month and day may have one digit, as Excel
/// writes them) or `YYYYMMDD`. The year must have four digits so that
/// `26-10-01` or `10/1/2026` is an error rather than the wrong date.
fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    let digits = |p: &str, min: usize, max: usize| (min..=max).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = if digits(s, 8, 8) {
        vec![&s[..4], &s[4..6], &s[6..]]
    } else if s.contains('/') {
        s.split('/').collect()
    } else {
        s.split('-').collect()
    };
    let [year, month, day] = parts[..] else {
        return None;
    };
    if !(digits(year, 4, 4) && digits(month, 1, 2) && digits(day, 1, 2)) {
        return None;
    }
    Date::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

fn parse_kind(word: &str) -> Option<DayKind> {
    match word.trim().to_lowercase().as_str() {
        "holiday" | "off" | "假" | "休" | "假日" | "节假日" | "休息" => Some(DayKind::Holiday),
        "workday" | "work" | "班" | "补班" | "上班" | "调休上班" => Some(DayKind::Workday),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// iCalendar (RFC 5545), only as much as holiday feeds use

/// Every VEVENT becomes one or more days. Other components (VTIMEZONE,
/// VALARM) are skipped; RRULE is not expanded (holiday feeds list each year).
pub fn parse_ical(text: &str) -> HolidayImport {
    let text = strip_bom(text);
    if let Some(rejected) = reject_input(text) {
        return rejected;
    }
    let lines = unfold(text);
    let mut out = Collector::default();
    match lines.first() {
        Some(first) if first.text.trim().eq_ignore_ascii_case("BEGIN:VCALENDAR") => {}
        first => {
            let (line, text) = first.map_or((1, ""), |l| (l.line, l.text.as_str()));
            out.error(line, LineProblem::UnknownFormat, text);
            return out.finish();
        }
    }

    // Open components, outermost first; properties count only directly
    // inside a VEVENT (a VTIMEZONE's STANDARD block has a DTSTART too).
    let mut stack: Vec<String> = Vec::new();
    let mut event: Option<Event> = None;
    for line in &lines {
        let Some((name, value)) = split_property(&line.text) else {
            continue;
        };
        match name.as_str() {
            "BEGIN" => {
                let component = value.trim().to_ascii_uppercase();
                if component == "VEVENT" {
                    // A VEVENT inside a VEVENT: the first one lost its END.
                    if let Some(open) = event.take() {
                        out.error(open.begin.line, LineProblem::MissingField, &open.begin.text);
                        if let Some(pos) = stack.iter().rposition(|c| c == "VEVENT") {
                            stack.truncate(pos);
                        }
                    }
                    event = Some(Event::new(line));
                }
                stack.push(component);
            }
            "END" => {
                let component = value.trim().to_ascii_uppercase();
                if let Some(pos) = stack.iter().rposition(|c| *c == component) {
                    stack.truncate(pos);
                }
                if component == "VEVENT" {
                    if let Some(done) = event.take() {
                        add_event(&mut out, done);
                    }
                } else if !stack.iter().any(|c| c == "VEVENT") {
                    // END:VCALENDAR with the event still open.
                    if let Some(open) = event.take() {
                        out.error(open.begin.line, LineProblem::MissingField, &open.begin.text);
                    }
                }
            }
            _ if stack.last().is_some_and(|c| c == "VEVENT") => {
                if let Some(open) = event.as_mut() {
                    open.record(&name, line, value);
                }
            }
            _ => {}
        }
    }
    // A file cut short: the last event has no END:VEVENT.
    if let Some(open) = event {
        out.error(open.begin.line, LineProblem::MissingField, &open.begin.text);
    }
    out.finish()
}

/// A content line after unfolding, numbered by its first physical line.
struct Logical {
    line: usize,
    text: String,
}

/// RFC 5545 §3.1: a line starting with a space or tab continues the previous
/// one, without that first character. `lines()` takes CRLF and LF alike.
fn unfold(text: &str) -> Vec<Logical> {
    let mut out: Vec<Logical> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        match (raw.strip_prefix([' ', '\t']), out.last_mut()) {
            (Some(rest), Some(previous)) => previous.text.push_str(rest),
            _ if raw.trim().is_empty() => {}
            _ => out.push(Logical { line: index + 1, text: raw.to_string() }),
        }
    }
    out
}

/// `NAME;PARAM=…:VALUE` → (upper-case name, value). The value starts at the
/// first colon outside a quoted parameter (`TZID="Asia/Shanghai:x"`).
fn split_property(line: &str) -> Option<(String, &str)> {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => {
                let head = &line[..i];
                let name = head.split(';').next().unwrap_or(head);
                return Some((name.trim().to_ascii_uppercase(), &line[i + 1..]));
            }
            _ => {}
        }
    }
    None
}

/// One property occurrence, kept with its line for error reports.
struct Property {
    line: usize,
    text: String,
    value: String,
}

struct Event {
    begin: Property,
    start: Option<Property>,
    end: Option<Property>,
    duration: Option<Property>,
    summary: Option<String>,
    categories: Vec<String>,
}

impl Event {
    fn new(begin: &Logical) -> Event {
        Event {
            begin: Property { line: begin.line, text: begin.text.clone(), value: String::new() },
            start: None,
            end: None,
            duration: None,
            summary: None,
            categories: Vec::new(),
        }
    }

    /// The first occurrence wins: these properties may appear once per event.
    fn record(&mut self, name: &str, line: &Logical, value: &str) {
        let property = || Some(Property { line: line.line, text: line.text.clone(), value: value.to_string() });
        match name {
            "DTSTART" if self.start.is_none() => self.start = property(),
            "DTEND" if self.end.is_none() => self.end = property(),
            "DURATION" if self.duration.is_none() => self.duration = property(),
            "SUMMARY" if self.summary.is_none() => self.summary = Some(unescape(value)),
            "CATEGORIES" => self.categories.push(value.to_string()),
            _ => {}
        }
    }
}

/// Expands an event into days. Problems are reported on the DTSTART line
/// (the BEGIN:VEVENT line when DTSTART is missing), except an unreadable
/// DTEND or DURATION, which is reported on its own line.
fn add_event(out: &mut Collector, event: Event) {
    let Some(start) = &event.start else {
        out.error(event.begin.line, LineProblem::MissingField, &event.begin.text);
        return;
    };
    let Some(from) = parse_ical_moment(&start.value) else {
        out.error(start.line, LineProblem::BadDate, &start.text);
        return;
    };
    // `until` is exclusive, in seconds like `from`. Without DTEND or
    // DURATION an event lasts one day (RFC 5545 for all-day events; a timed
    // event then ends where it starts, still on that day).
    let until = if let Some(end) = &event.end {
        parse_ical_moment(&end.value).ok_or(end)
    } else if let Some(duration) = &event.duration {
        parse_duration(&duration.value).and_then(|d| from.checked_add(d)).ok_or(duration)
    } else {
        Ok((from.div_euclid(SECONDS_PER_DAY) + 1) * SECONDS_PER_DAY)
    };
    let until = match until {
        Ok(until) => until,
        Err(bad) => {
            out.error(bad.line, LineProblem::BadDate, &bad.text);
            return;
        }
    };
    if until <= from {
        out.error(start.line, LineProblem::EndBeforeStart, &start.text);
        return;
    }
    // An all-day event 20261001–20261008 ends at midnight starting 8 Oct, so
    // its last day is 7 Oct; a timed event ending 18:00 includes its end day.
    let first_day = from.div_euclid(SECONDS_PER_DAY);
    let last_day = (until - 1).div_euclid(SECONDS_PER_DAY);
    if last_day - first_day + 1 > MAX_EVENT_DAYS {
        out.error(start.line, LineProblem::RangeTooLong, &start.text);
        return;
    }

    let name = event.summary.as_deref().unwrap_or("").trim().to_string();
    let kind = ical_kind(&name, &event.categories);
    // Days that clash are skipped one by one, but each problem is reported
    // once per event: the admin fixes the event, not each day.
    let mut problems: Vec<LineProblem> = Vec::new();
    for day in first_day..=last_day {
        let imported = ImportedDay { date: Date::from_days(day), kind, name: name.clone() };
        if let Err(problem) = out.add(imported) {
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
    }
    for problem in problems {
        out.error(start.line, problem, &start.text);
    }
}

/// `20261001`, `20261001T000000` or `20261001T000000Z` → seconds since
/// 1970-01-01 of that wall-clock time. The time zone (TZID or `Z`) is not
/// applied: holiday feeds mean the local date written.
fn parse_ical_moment(value: &str) -> Option<i64> {
    let value = value.trim();
    let (date, time) = match value.split_once(['T', 't']) {
        Some((date, time)) => (date, Some(time)),
        None => (value, None),
    };
    // Only the basic form: `2026-1-1` would also be 8 characters.
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let date = parse_date(date)?;
    let seconds = match time {
        None => 0,
        Some(time) => {
            let time = time.strip_suffix(['Z', 'z']).unwrap_or(time);
            if time.len() != 6 || !time.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let (h, m, s): (i64, i64, i64) = (time[..2].parse().ok()?, time[2..4].parse().ok()?, time[4..].parse().ok()?);
            // 60 seconds: a leap second is legal in RFC 5545.
            if h > 23 || m > 59 || s > 60 {
                return None;
            }
            h * 3600 + m * 60 + s
        }
    };
    Some(date.to_days() * SECONDS_PER_DAY + seconds)
}

/// RFC 5545 duration (`P7D`, `P1W`, `PT8H`, `-P1D`) in seconds.
fn parse_duration(value: &str) -> Option<i64> {
    let value = value.trim();
    let (sign, value) = match value.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, value.strip_prefix('+').unwrap_or(value)),
    };
    let value = value.strip_prefix(['P', 'p'])?;
    let (mut total, mut number, mut in_time, mut any) = (0i64, String::new(), false, false);
    for c in value.chars() {
        match c.to_ascii_uppercase() {
            '0'..='9' => number.push(c),
            'T' if !in_time && number.is_empty() => in_time = true,
            unit => {
                let n: i64 = number.parse().ok()?;
                number.clear();
                let seconds = match (unit, in_time) {
                    ('W', false) => 7 * SECONDS_PER_DAY,
                    ('D', false) => SECONDS_PER_DAY,
                    ('H', true) => 3600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
                total = total.checked_add(n.checked_mul(seconds)?)?;
                any = true;
            }
        }
    }
    (any && number.is_empty()).then_some(sign * total)
}

/// RFC 5545 TEXT: `\,` `\;` `\\` and `\n` (or `\N`, a newline).
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Feeds mark make-up days only in the title (`国庆节补班`, `上班`,
/// `Working day (make-up)`) or, in some exports, with a WORKDAY category.
fn ical_kind(summary: &str, categories: &[String]) -> DayKind {
    let lower = summary.to_lowercase();
    let by_name = lower.contains('班') || ["workday", "working day", "make-up"].iter().any(|w| lower.contains(w));
    let by_category = categories.iter().any(|c| c.to_ascii_uppercase().contains("WORKDAY"));
    if by_name || by_category {
        DayKind::Workday
    } else {
        DayKind::Holiday
    }
}

// ---------------------------------------------------------------------------
// Shared

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Whole-input problems, reported as one error with no days: too big to be a
/// holiday list, or not text we can read.
fn reject_input(text: &str) -> Option<HolidayImport> {
    let reject = |line: usize, problem: LineProblem| {
        let text = clip(text.lines().nth(line - 1).unwrap_or(""));
        Some(HolidayImport { days: Vec::new(), errors: vec![LineError { line, problem, text }] })
    };
    if text.len() > MAX_BYTES {
        return reject(1, LineProblem::TooLong);
    }
    if text.lines().count() > MAX_LINES {
        return reject(MAX_LINES + 1, LineProblem::TooLong);
    }
    // NUL: a binary file (an .xlsx instead of its CSV export). U+FFFD: a
    // file that was not UTF-8 (Excel's GBK CSV) decoded lossily; its names
    // and kinds would be garbage.
    let unreadable = text.lines().position(|l| l.contains(['\0', '\u{fffd}']));
    unreadable.and_then(|index| reject(index + 1, LineProblem::UnknownFormat))
}

fn clip(line: &str) -> String {
    line.trim().chars().take(ERROR_TEXT_CHARS).collect()
}

/// Days by date plus errors; the first line to claim a date keeps it.
#[derive(Default)]
struct Collector {
    days: BTreeMap<Date, ImportedDay>,
    errors: Vec<LineError>,
}

impl Collector {
    fn error(&mut self, line: usize, problem: LineProblem, text: &str) {
        self.errors.push(LineError { line, problem, text: clip(text) });
    }

    fn add(&mut self, day: ImportedDay) -> Result<(), LineProblem> {
        match self.days.get(&day.date) {
            Some(first) if first.kind == day.kind => Err(LineProblem::DuplicateDate),
            Some(_) => Err(LineProblem::ConflictingKinds),
            None => {
                self.days.insert(day.date, day);
                Ok(())
            }
        }
    }

    fn finish(mut self) -> HolidayImport {
        // Stable: errors of one line keep their order.
        self.errors.sort_by_key(|e| e.line);
        HolidayImport { days: self.days.into_values().collect(), errors: self.errors }
    }
}

#[cfg(test)]
mod tests {
    use super::super::calendar::Calendar;
    use super::*;
    use LineProblem::*;

    fn date(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn day(d: &str, kind: DayKind, name: &str) -> ImportedDay {
        ImportedDay { date: date(d), kind, name: name.into() }
    }

    /// (line, problem) pairs, the part of errors most tests care about.
    fn problems(import: &HolidayImport) -> Vec<(usize, LineProblem)> {
        import.errors.iter().map(|e| (e.line, e.problem)).collect()
    }

    fn dates(import: &HolidayImport) -> Vec<String> {
        import.days.iter().map(|d| d.date.to_string()).collect()
    }

    fn crlf(lines: &[&str]) -> String {
        lines.iter().map(|l| format!("{l}\r\n")).collect()
    }

    /// 2026 National Day as a typical feed publishes it: 1–7 October off as
    /// one event, Sunday 20 September and Saturday 10 October worked.
    const NATIONAL_DAY_2026: &[&str] = &[
        "BEGIN:VCALENDAR",                    // 1
        "VERSION:2.0",                        // 2
        "PRODID:-//Fixline//Holidays//ZH",    // 3
        "BEGIN:VEVENT",                       // 4
        "UID:2026-national-day@example.cn",   // 5
        "DTSTART;VALUE=DATE:20261001",        // 6
        "DTEND;VALUE=DATE:20261008",          // 7
        "SUMMARY:国庆节",                     // 8
        "END:VEVENT",                         // 9
        "BEGIN:VEVENT",                       // 10
        "DTSTART;VALUE=DATE:20260920",        // 11
        "SUMMARY:国庆节补班",                 // 12
        "END:VEVENT",                         // 13
        "BEGIN:VEVENT",                       // 14
        "DTSTART;VALUE=DATE:20261010",        // 15
        "DTEND;VALUE=DATE:20261011",          // 16
        "SUMMARY:国庆节 上班",                // 17
        "END:VEVENT",                         // 18
        "END:VCALENDAR",                      // 19
    ];

    #[test]
    fn national_day_2026_from_ics() {
        let import = parse(&crlf(NATIONAL_DAY_2026));
        assert_eq!(import.errors, vec![]);
        let mut expected = vec![day("2026-09-20", DayKind::Workday, "国庆节补班")];
        expected.extend((1..=7).map(|d| ImportedDay { date: Date::new(2026, 10, d).unwrap(), kind: DayKind::Holiday, name: "国庆节".into() }));
        expected.push(day("2026-10-10", DayKind::Workday, "国庆节 上班"));
        assert_eq!(import.days, expected);
        // The make-up days really are a Sunday and a Saturday.
        assert_eq!(date("2026-09-20").weekday(), 6);
        assert_eq!(date("2026-10-10").weekday(), 5);

        // Straight into a business calendar.
        let mut cal = Calendar::china_office();
        cal.holidays = import.holidays();
        cal.extra_workdays = import.workdays(&cal.weekly[0].clone());
        assert_eq!(cal.holidays.len(), 7);
        assert!(cal.problems().is_empty());
        assert!(cal.intervals(date("2026-10-05")).is_empty()); // a Monday off
        assert_eq!(cal.intervals(date("2026-10-10")), &[Interval::new(510, 720), Interval::new(810, 1050)][..]);
        assert!(cal.intervals(date("2026-10-11")).is_empty()); // the Sunday after
    }

    #[test]
    fn national_day_2026_from_csv_matches_ics() {
        let csv = "日期,类型,名称\n2026-09-20,班,国庆节补班\n2026-10-01,休,国庆节\n2026-10-02,休,国庆节\n2026-10-03,休,国庆节\n\
                   2026-10-04,休,国庆节\n2026-10-05,休,国庆节\n2026-10-06,休,国庆节\n2026-10-07,休,国庆节\n2026-10-10,班,国庆节 上班\n";
        let from_csv = parse(csv);
        assert_eq!(from_csv.errors, vec![]);
        assert_eq!(from_csv.days, parse(&crlf(NATIONAL_DAY_2026)).days);
    }

    #[test]
    fn format_detection() {
        let ics = NATIONAL_DAY_2026.join("\n");
        assert_eq!(parse(&ics).days.len(), 9);
        // BOM, blank lines and lower case before BEGIN:VCALENDAR.
        let padded = format!("\u{feff}\n  \n{}", ics.replacen("BEGIN:VCALENDAR", "begin:vcalendar", 1));
        let import = parse(&padded);
        assert_eq!(import.errors, vec![]);
        assert_eq!(import.days.len(), 9);
        // Anything else is CSV.
        assert_eq!(dates(&parse("2026-10-01")), ["2026-10-01"]);
        assert_eq!(parse(""), HolidayImport::default());
        assert_eq!(parse("\u{feff}"), HolidayImport::default());
    }

    #[test]
    fn csv_with_english_header() {
        let import = parse_csv("date,kind,name\n2026-01-01,holiday,New Year's Day\n2026-01-04,workday,Make-up\n");
        assert_eq!(import.errors, vec![]);
        assert_eq!(
            import.days,
            vec![day("2026-01-01", DayKind::Holiday, "New Year's Day"), day("2026-01-04", DayKind::Workday, "Make-up")]
        );
    }

    #[test]
    fn csv_with_chinese_header_and_bom() {
        let import = parse_csv("\u{feff}日期,类型,名称\r\n2026-02-15,假,春节\r\n2026-02-14,补班,春节调休\r\n");
        assert_eq!(import.errors, vec![]);
        // Sorted by date whatever the input order.
        assert_eq!(import.days, vec![day("2026-02-14", DayKind::Workday, "春节调休"), day("2026-02-15", DayKind::Holiday, "春节")]);
        // BOM directly before a date: not mistaken for a header.
        assert_eq!(dates(&parse_csv("\u{feff}2026-02-15,假")), ["2026-02-15"]);
    }

    #[test]
    fn csv_without_header_blank_and_comment_lines() {
        let text = "# 2026 holidays\n\n2026-05-01,holiday,劳动节\n   \n  # indented comment\n2026-05-02\n";
        let import = parse_csv(text);
        assert_eq!(import.errors, vec![]);
        assert_eq!(import.days, vec![day("2026-05-01", DayKind::Holiday, "劳动节"), day("2026-05-02", DayKind::Holiday, "")]);
    }

    #[test]
    fn csv_header_only_on_the_first_content_line() {
        // After a comment the header is still the first content line.
        assert_eq!(problems(&parse_csv("# list\ndate,kind\n2026-05-01,off")), vec![]);
        // A second header-like line is an error.
        assert_eq!(problems(&parse_csv("date,kind\ndate,kind\n2026-05-01,off")), vec![(2, BadDate)]);
        // A first line starting with a digit is data, so a bad date is reported, not skipped.
        assert_eq!(problems(&parse_csv("2026-13-01,holiday\n2026-05-01,off")), vec![(1, BadDate)]);
    }

    #[test]
    fn csv_quoted_names() {
        let text = "2026-10-01,holiday,\"National Day, Golden Week\"\n\
                    2026-10-02,holiday, \"He said \"\"rest\"\"\" \n\
                    \"2026-10-03\",\"holiday\",\"国庆，中秋\"\n\
                    2026-10-04,holiday,\"unterminated, quote\n\
                    2026-10-05,holiday,国庆\"节\"\n\
                    2026-10-06,holiday,国庆,notes column ignored\n";
        let import = parse_csv(text);
        assert_eq!(import.errors, vec![]);
        let names: Vec<&str> = import.days.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["National Day, Golden Week", "He said \"rest\"", "国庆，中秋", "unterminated, quote", "国庆\"节\"", "国庆"]);
    }

    #[test]
    fn csv_full_width_comma_tab_and_spaces() {
        let text = "2026-10-01，休，国庆节\n2026-10-02\t休\t国庆节\n 2026-10-03 , holiday ,  国庆节  \n2026-10-04 ，　休　，国庆节\n";
        let import = parse_csv(text);
        assert_eq!(import.errors, vec![]);
        assert_eq!(import.days.len(), 4);
        assert!(import.days.iter().all(|d| d.kind == DayKind::Holiday && d.name == "国庆节"));
        // A tab-separated line with an empty first cell keeps its columns.
        assert_eq!(problems(&parse_csv("2026-10-01\tholiday\n\tholiday\tname")), vec![(2, MissingField)]);
    }

    #[test]
    fn csv_date_forms() {
        let import = parse_csv("2026-10-01\n2026/10/02\n20261003\n2026-1-4\n2026/1/5\n2024-02-29\n");
        assert_eq!(import.errors, vec![]);
        assert_eq!(dates(&import), ["2024-02-29", "2026-01-04", "2026-01-05", "2026-10-01", "2026-10-02", "2026-10-03"]);
        for bad in ["26-10-01", "10/1/2026", "2026/10-01", "2026-02-29", "2026-00-10", "2026-10-32", "2026101", "+2026-10-01", "2026-10-01-1", "2026.10.01", "２０２６-10-01"] {
            assert_eq!(problems(&parse_csv(&format!("2026-01-01\n{bad},holiday"))), vec![(2, BadDate)], "{bad}");
        }
    }

    #[test]
    fn csv_kinds() {
        let holidays = ["holiday", "HOLIDAY", "Off", "假", "休", "假日", "节假日", "休息"];
        let workdays = ["workday", "WorkDay", "WORK", "班", "补班", "上班", "调休上班"];
        for (words, kind) in [(&holidays[..], DayKind::Holiday), (&workdays[..], DayKind::Workday)] {
            for word in words {
                let import = parse_csv(&format!("2026-10-01,{word},x"));
                assert_eq!(import.errors, vec![], "{word}");
                assert_eq!(import.days[0].kind, kind, "{word}");
            }
        }
        // No kind column, or an empty kind cell: a holiday.
        let import = parse_csv("2026-10-01\n2026-10-02,\n2026-10-03,,国庆节\n");
        assert_eq!(import.errors, vec![]);
        assert!(import.days.iter().all(|d| d.kind == DayKind::Holiday));
        assert_eq!(import.days[2].name, "国庆节");
        assert_eq!(problems(&parse_csv("2026-10-01,vacation\n2026-10-02,休假\n2026-10-03,班班")), vec![(1, BadKind), (2, BadKind), (3, BadKind)]);
    }

    #[test]
    fn csv_every_line_problem_with_exact_line_numbers() {
        let text = "日期,类型,名称\n\
                    2026-10-01,休,国庆节\n\
                    \n\
                    # comment\n\
                    2026-10-41,休,typo\n\
                    2026-10-02,rest,bad kind\n\
                    ,休,no date\n\
                    2026-10-01,假,duplicate\n\
                    2026-10-01,班,conflict\n\
                    2026-10-03,休,国庆节\n";
        let import = parse_csv(text);
        assert_eq!(problems(&import), vec![(5, BadDate), (6, BadKind), (7, MissingField), (8, DuplicateDate), (9, ConflictingKinds)]);
        assert_eq!(import.errors[0].text, "2026-10-41,休,typo");
        assert_eq!(import.errors[3].text, "2026-10-01,假,duplicate");
        // Good lines are kept; on a clash the first line wins.
        assert_eq!(import.days, vec![day("2026-10-01", DayKind::Holiday, "国庆节"), day("2026-10-03", DayKind::Holiday, "国庆节")]);
    }

    #[test]
    fn csv_line_numbers_count_crlf_and_bom_lines() {
        let import = parse_csv("\u{feff}date,kind\r\n\r\n2026-10-01,holiday\r\nnope\r\n");
        assert_eq!(problems(&import), vec![(4, BadDate)]);
        assert_eq!(import.errors[0].text, "nope");
    }

    #[test]
    fn too_long_inputs() {
        let many_lines = "2026-10-01\n".repeat(MAX_LINES + 1);
        for import in [parse_csv(&many_lines), parse(&many_lines)] {
            assert_eq!(problems(&import), vec![(MAX_LINES + 1, TooLong)]);
            assert!(import.days.is_empty());
        }
        // Exactly the limit is fine (all but the first are duplicates here).
        let at_limit = parse_csv(&"2026-10-01\n".repeat(MAX_LINES));
        assert_eq!(at_limit.days.len(), 1);
        assert_eq!(at_limit.errors.len(), MAX_LINES - 1);

        let big = format!("2026-10-01,holiday,{}\n", "x".repeat(MAX_BYTES));
        let import = parse_csv(&big);
        assert_eq!(problems(&import), vec![(1, TooLong)]);
        assert_eq!(import.errors[0].text.chars().count(), ERROR_TEXT_CHARS);
        assert!(import.days.is_empty());

        let ics = format!("BEGIN:VCALENDAR\n{}END:VCALENDAR\n", "X-PAD:x\n".repeat(MAX_LINES));
        assert_eq!(problems(&parse(&ics)), vec![(MAX_LINES + 1, TooLong)]);
    }

    #[test]
    fn unreadable_input_is_unknown_format() {
        // What a lossy UTF-8 decode of Excel's GBK CSV looks like, and binary.
        let gbk = parse_csv("2026-10-01,holiday\n2026-10-02,\u{fffd}\u{fffd},\u{fffd}\u{fffd}\n");
        assert_eq!(problems(&gbk), vec![(2, UnknownFormat)]);
        assert!(gbk.days.is_empty());
        assert_eq!(problems(&parse("PK\u{3}\u{4}\0\0\0")), vec![(1, UnknownFormat)]);
    }

    #[test]
    fn error_text_is_trimmed_and_cut_to_80_chars() {
        let long_name = "节".repeat(100);
        let import = parse_csv(&format!("   2026-10-01,bogus,{long_name}   "));
        let text = &import.errors[0].text;
        assert_eq!(text.chars().count(), 80);
        assert!(text.starts_with("2026-10-01,bogus,节"));
    }

    // ---- iCalendar

    fn ics(body: &[&str]) -> String {
        let mut lines = vec!["BEGIN:VCALENDAR", "VERSION:2.0"];
        lines.extend_from_slice(body);
        lines.push("END:VCALENDAR");
        lines.join("\n")
    }

    #[test]
    fn ics_crlf_and_lf_give_the_same_result() {
        let lf = parse_ical(&NATIONAL_DAY_2026.join("\n"));
        let crlf = parse_ical(&crlf(NATIONAL_DAY_2026));
        assert_eq!(lf, crlf);
        assert_eq!(lf.days.len(), 9);
    }

    #[test]
    fn ics_folded_lines() {
        let text = ics(&[
            "BEGIN:VEVENT",                // 3
            "DTSTART;VALUE=DATE:2026",     // 4
            " 1001",                       // 5
            "DTEND;VALUE=DATE:20261003",   // 6
            "SUMMARY:National Day holi",   // 7
            " day and Mid-",               // 8
            "\tAutumn Festival",           // 9
            "END:VEVENT",                  // 10
            "BEGIN:VEVENT",                // 11
            "DTSTART;VALUE=DA",            // 12
            " TE:2026",                    // 13
            " 1002",                       // 14
            "SUMMARY:国庆",                // 15
            " 节",                         // 16
            "END:VEVENT",                  // 17
        ]);
        let import = parse_ical(&text);
        assert_eq!(import.days[0], day("2026-10-01", DayKind::Holiday, "National Day holiday and Mid-Autumn Festival"));
        assert_eq!(import.days.len(), 2);
        // The clash is reported on the first physical line of the folded DTSTART.
        assert_eq!(problems(&import), vec![(12, DuplicateDate)]);
        assert_eq!(import.errors[0].text, "DTSTART;VALUE=DATE:20261002");
        // CRLF folding too.
        assert_eq!(parse_ical(&text.replace('\n', "\r\n")), import);
    }

    #[test]
    fn ics_summary_unescaping() {
        let text = ics(&[
            "BEGIN:VEVENT",
            "DTSTART;VALUE=DATE:20261001",
            r"SUMMARY;LANGUAGE=en:National Day\, Golden Week\; part 1\nline 2 C:\\holidays \N end\x",
            "END:VEVENT",
        ]);
        let import = parse_ical(&text);
        assert_eq!(import.errors, vec![]);
        assert_eq!(import.days[0].name, "National Day, Golden Week; part 1\nline 2 C:\\holidays \n endx");
        // No SUMMARY: no name.
        let no_name = parse_ical(&ics(&["BEGIN:VEVENT", "DTSTART:20261001", "END:VEVENT"]));
        assert_eq!(no_name.days, vec![day("2026-10-01", DayKind::Holiday, "")]);
    }

    #[test]
    fn ics_kind_from_summary_and_categories() {
        let kind_of = |summary: &str, extra: &str| {
            let mut body = vec!["BEGIN:VEVENT", "DTSTART;VALUE=DATE:20261010"];
            let summary = format!("SUMMARY:{summary}");
            body.push(&summary);
            if !extra.is_empty() {
                body.push(extra);
            }
            body.push("END:VEVENT");
            let import = parse_ical(&ics(&body));
            assert_eq!(import.errors, vec![]);
            import.days[0].kind
        };
        for workday in ["补班", "上班", "国庆节 班", "Workday", "WORKING DAY", "Make-up day for National Day"] {
            assert_eq!(kind_of(workday, ""), DayKind::Workday, "{workday}");
        }
        for holiday in ["国庆节", "National Day", "休", "Day off", "Makeup"] {
            assert_eq!(kind_of(holiday, ""), DayKind::Holiday, "{holiday}");
        }
        assert_eq!(kind_of("调休", "CATEGORIES:HOLIDAY,WORKDAY"), DayKind::Workday);
        assert_eq!(kind_of("调休", "CATEGORIES:workday"), DayKind::Workday);
        assert_eq!(kind_of("调休", "CATEGORIES:HOLIDAY"), DayKind::Holiday);
    }

    #[test]
    fn ics_date_times_take_the_date_part() {
        let text = ics(&[
            "BEGIN:VEVENT",
            "DTSTART:20261001T000000Z",
            "DTEND:20261003T000000Z", // midnight end is exclusive: 1–2 Oct
            "SUMMARY:UTC",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "DTSTART;TZID=\"Asia/Shanghai\":20261005T090000",
            "DTEND;TZID=Asia/Shanghai:20261006T180000", // ends during 6 Oct: 5–6 Oct
            "SUMMARY:Local",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "DTSTART:20261008T093000", // no end: that day
            "SUMMARY:Timed",
            "END:VEVENT",
        ]);
        let import = parse_ical(&text);
        assert_eq!(import.errors, vec![]);
        assert_eq!(dates(&import), ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-08"]);
    }

    #[test]
    fn ics_duration_instead_of_dtend() {
        let text = ics(&["BEGIN:VEVENT", "DTSTART;VALUE=DATE:20261001", "DURATION:P1W", "SUMMARY:国庆节", "END:VEVENT"]);
        let import = parse_ical(&text);
        assert_eq!(import.errors, vec![]);
        assert_eq!(import.days.len(), 7);
        assert_eq!(import.days[6].date, date("2026-10-07"));
        let text = ics(&["BEGIN:VEVENT", "DTSTART:20261001T090000", "DURATION:PT8H", "END:VEVENT"]);
        assert_eq!(dates(&parse_ical(&text)), ["2026-10-01"]);
        let text = ics(&["BEGIN:VEVENT", "DTSTART:20261001", "DURATION:P1D", "DTEND:20261003", "END:VEVENT"]);
        assert_eq!(parse_ical(&text).days.len(), 2, "DTEND wins");
        assert_eq!(parse_duration("P1DT2H3M4S"), Some(86400 + 7384));
        assert_eq!(parse_duration("-P2D"), Some(-2 * 86400));
        for bad in ["P", "PT", "P1H", "PT1D", "1D", "P1", "PD", "P99999999999999999999D"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn ics_skips_other_components() {
        let text = ics(&[
            "BEGIN:VTIMEZONE",
            "TZID:Asia/Shanghai",
            "BEGIN:STANDARD",
            "DTSTART:19700101T000000",
            "TZOFFSETFROM:+0800",
            "TZOFFSETTO:+0800",
            "END:STANDARD",
            "END:VTIMEZONE",
            "BEGIN:VEVENT",
            "DTSTART;VALUE=DATE:20261001",
            "SUMMARY:国庆节",
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            "DESCRIPTION:提醒",
            "SUMMARY:not the name",
            "END:VALARM",
            "END:VEVENT",
        ]);
        let import = parse_ical(&text);
        assert_eq!(import.errors, vec![]);
        assert_eq!(import.days, vec![day("2026-10-01", DayKind::Holiday, "国庆节")]);
    }

    #[test]
    fn ics_every_event_problem_with_exact_line_numbers() {
        let text = ics(&[
            "BEGIN:VEVENT",                     // 3
            "SUMMARY:no start",                 // 4
            "END:VEVENT",                       // 5
            "BEGIN:VEVENT",                     // 6
            "DTSTART;VALUE=DATE:20261301",      // 7 bad month
            "END:VEVENT",                       // 8
            "BEGIN:VEVENT",                     // 9
            "DTSTART;VALUE=DATE:20261005",      // 10
            "DTEND;VALUE=DATE:20261005",        // 11 equal: empty event
            "END:VEVENT",                       // 12
            "BEGIN:VEVENT",                     // 13
            "DTSTART;VALUE=DATE:20261005",      // 14
            "DTEND;VALUE=DATE:20261004",        // 15 before
            "END:VEVENT",                       // 16
            "BEGIN:VEVENT",                     // 17
            "DTSTART;VALUE=DATE:20261001",      // 18
            "DTEND;VALUE=DATE:20271001",        // 19 a year: typo
            "END:VEVENT",                       // 20
            "BEGIN:VEVENT",                     // 21
            "DTSTART;VALUE=DATE:20261001",      // 22
            "DTEND;VALUE=DATE:20261008",        // 23 good
            "SUMMARY:国庆节",                   // 24
            "END:VEVENT",                       // 25
            "BEGIN:VEVENT",                     // 26
            "DTSTART;VALUE=DATE:20261007",      // 27 7th again, 8th new
            "DTEND;VALUE=DATE:20261009",        // 28
            "SUMMARY:国庆节",                   // 29
            "END:VEVENT",                       // 30
            "BEGIN:VEVENT",                     // 31
            "DTSTART;VALUE=DATE:20261006",      // 32 workdays 6–10: 6–8 clash
            "DTEND;VALUE=DATE:20261011",        // 33
            "SUMMARY:补班",                     // 34
            "END:VEVENT",                       // 35
            "BEGIN:VEVENT",                     // 36
            "DTSTART;VALUE=DATE:20261020",      // 37
            "DTEND;VALUE=DATE:2026-10-21",      // 38 not the basic form
            "END:VEVENT",                       // 39
            "BEGIN:VEVENT",                     // 40
            "DTSTART:20261020T250000",          // 41 bad time
            "END:VEVENT",                       // 42
            "BEGIN:VEVENT",                     // 43
            "DTSTART:20261020",                 // 44
            "DURATION:1D",                      // 45 bad duration
            "END:VEVENT",                       // 46
        ]);
        let import = parse_ical(&text);
        assert_eq!(
            problems(&import),
            vec![
                (3, MissingField),
                (7, BadDate),
                (10, EndBeforeStart),
                (14, EndBeforeStart),
                (18, RangeTooLong),
                (27, DuplicateDate),
                (32, ConflictingKinds),
                (38, BadDate),
                (41, BadDate),
                (45, BadDate),
            ]
        );
        assert_eq!(import.errors[0].text, "BEGIN:VEVENT");
        assert_eq!(import.errors[4].text, "DTSTART;VALUE=DATE:20261001");
        // 1–7 from the good event, the 8th from the overlapping one, then
        // the workday event keeps only its non-clashing 9th and 10th.
        assert_eq!(
            dates(&import),
            ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07", "2026-10-08", "2026-10-09", "2026-10-10"]
        );
        assert_eq!(import.days[7].kind, DayKind::Holiday);
        assert_eq!(import.days[8].kind, DayKind::Workday);
    }

    #[test]
    fn ics_range_limit_is_inclusive() {
        let event = |end: &str| ics(&["BEGIN:VEVENT", "DTSTART;VALUE=DATE:20260101", &format!("DTEND;VALUE=DATE:{end}"), "END:VEVENT"]);
        assert_eq!(parse_ical(&event("20260201")).days.len(), 31);
        assert_eq!(problems(&parse_ical(&event("20260202"))), vec![(4, RangeTooLong)]);
    }

    #[test]
    fn ics_same_date_in_two_events() {
        let text = ics(&[
            "BEGIN:VEVENT",
            "DTSTART;VALUE=DATE:20261001", // 4
            "SUMMARY:国庆节",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "DTSTART;VALUE=DATE:20261001", // 8
            "SUMMARY:National Day",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "DTSTART;VALUE=DATE:20261001", // 12
            "SUMMARY:Working day",
            "END:VEVENT",
        ]);
        let import = parse_ical(&text);
        assert_eq!(problems(&import), vec![(8, DuplicateDate), (12, ConflictingKinds)]);
        assert_eq!(import.days, vec![day("2026-10-01", DayKind::Holiday, "国庆节")]);
    }

    #[test]
    fn ics_unterminated_events() {
        // Cut short: no END:VEVENT, no END:VCALENDAR.
        let cut = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261001\nEND:VEVENT\nBEGIN:VEVENT\nDTSTART:20261002\n";
        let import = parse_ical(cut);
        assert_eq!(problems(&import), vec![(5, MissingField)]);
        assert_eq!(dates(&import), ["2026-10-01"]);
        // END:VCALENDAR with an event open.
        let text = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261001\nEND:VCALENDAR\n";
        assert_eq!(problems(&parse_ical(text)), vec![(2, MissingField)]);
        // A new VEVENT before the previous one ended.
        let text = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261001\nBEGIN:VEVENT\nDTSTART:20261002\nEND:VEVENT\nEND:VCALENDAR\n";
        let import = parse_ical(text);
        assert_eq!(problems(&import), vec![(2, MissingField)]);
        assert_eq!(dates(&import), ["2026-10-02"]);
    }

    #[test]
    fn ics_garbage_is_unknown_format() {
        assert_eq!(problems(&parse_ical("hello world\nBEGIN:VCALENDAR\n")), vec![(1, UnknownFormat)]);
        assert_eq!(parse_ical("hello world").errors[0].text, "hello world");
        assert_eq!(problems(&parse_ical("")), vec![(1, UnknownFormat)]);
        assert_eq!(problems(&parse_ical("BEGIN:VEVENT\nDTSTART:20261001\nEND:VEVENT")), vec![(1, UnknownFormat)]);
        assert!(parse_ical("<html>").days.is_empty());
        // Leading blank lines: the error points at the garbage itself.
        assert_eq!(problems(&parse_ical("\n\n<html>")), vec![(3, UnknownFormat)]);
        // An empty calendar is fine, just empty.
        assert_eq!(parse_ical("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"), HolidayImport::default());
    }

    #[test]
    fn ics_property_parsing() {
        assert_eq!(split_property("DTSTART;TZID=\"a:b\":20261001T000000"), Some(("DTSTART".into(), "20261001T000000")));
        assert_eq!(split_property("summary:a:b"), Some(("SUMMARY".into(), "a:b")));
        assert_eq!(split_property("no colon"), None);
        assert_eq!(parse_ical_moment("20261001"), Some(date("2026-10-01").to_days() * SECONDS_PER_DAY));
        assert_eq!(parse_ical_moment("20261001T010203Z"), Some(date("2026-10-01").to_days() * SECONDS_PER_DAY + 3723));
        for bad in ["2026-1-1", "2026101", "20261001T", "20261001T0000", "20261001T240000", "20261001T006000", "20260230"] {
            assert_eq!(parse_ical_moment(bad), None, "{bad}");
        }
    }
}
