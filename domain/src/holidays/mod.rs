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
mod tests;
