//! Service settings as an admin submits them (working hours per weekday,
//! the holiday list), checked and turned into the company calendar. The
//! server saves only what passes; the console shows each problem in place.

use crate::calendar::{parse_day_hours, Calendar, CalendarProblem, Interval};
use crate::holidays::{self, LineProblem};
use crate::problems::SettingsProblem;

/// The calendar from the settings form: `weekly` is Monday first, like
/// `08:30-12:00 13:30-17:30` (empty: a day off); `holidays` is the list as
/// imported (CSV or iCalendar). `always`: around the clock, no working
/// hours or holidays apply.
pub fn calendar_from_form(always: bool, weekly: &[String], holidays_text: &str) -> Result<Calendar, Vec<SettingsProblem>> {
    if holidays_text.len() > holidays::MAX_BYTES {
        return Err(vec![SettingsProblem::HolidayLine { line: 1, issue: LineProblem::TooLong }]);
    }
    let mut problems = Vec::new();
    let mut cal = Calendar::china_office();
    cal.always = always;
    if weekly.len() != 7 {
        problems.push(SettingsProblem::BadHours { weekday: 0 });
    }
    for (weekday, text) in weekly.iter().take(7).enumerate() {
        match parse_day_hours(text) {
            Some(day) => cal.weekly[weekday] = day,
            None => problems.push(SettingsProblem::BadHours { weekday: weekday as u8 }),
        }
    }
    // The calendar's own rule for each day's hours.
    problems.extend(cal.problems().into_iter().filter_map(|p| match p {
        CalendarProblem::Overlap { weekday } => Some(SettingsProblem::OverlappingHours { weekday: weekday as u8 }),
        CalendarProblem::BadInterval { weekday } => Some(SettingsProblem::BadHours { weekday: weekday as u8 }),
        _ => None,
    }));
    let import = holidays::parse(holidays_text);
    problems.extend(import.errors.iter().map(|e| SettingsProblem::HolidayLine { line: e.line as u32, issue: e.problem }));
    cal.holidays = import.holidays();
    // Make-up days are worked like a normal weekday (Monday's hours).
    let hours: Vec<Interval> = cal.weekly[0].clone();
    cal.extra_workdays = import.workdays(&hours);
    if problems.is_empty() {
        Ok(cal)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week(monday: &str) -> Vec<String> {
        let mut w = vec!["08:30-12:00 13:30-17:30".to_string(); 5];
        w[0] = monday.into();
        w.extend(["".to_string(), "".to_string()]);
        w
    }

    #[test]
    fn a_sound_form_is_a_calendar() {
        let cal = calendar_from_form(false, &week("09:00-17:00"), "").unwrap();
        assert_eq!(cal.weekly[0], vec![Interval::new(540, 1020)]);
        assert!(cal.weekly[5].is_empty());
    }

    #[test]
    fn each_bad_day_is_named() {
        let problems = calendar_from_form(false, &week("09:00-12:00 11:00-15:00"), "").unwrap_err();
        assert_eq!(problems, vec![SettingsProblem::OverlappingHours { weekday: 0 }]);
        let problems = calendar_from_form(false, &week("nine to five"), "").unwrap_err();
        assert_eq!(problems, vec![SettingsProblem::BadHours { weekday: 0 }]);
        assert_eq!(calendar_from_form(false, &week("09:00-17:00")[..6], "").unwrap_err(), vec![SettingsProblem::BadHours { weekday: 0 }]);
        let huge = "x".repeat(holidays::MAX_BYTES + 1);
        assert!(matches!(
            calendar_from_form(false, &week(""), &huge).unwrap_err()[..],
            [SettingsProblem::HolidayLine { issue: LineProblem::TooLong, .. }]
        ));
    }
}
