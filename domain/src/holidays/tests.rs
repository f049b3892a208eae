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
    "BEGIN:VCALENDAR",                  // 1
    "VERSION:2.0",                      // 2
    "PRODID:-//Fixline//Holidays//ZH",  // 3
    "BEGIN:VEVENT",                     // 4
    "UID:2026-national-day@example.cn", // 5
    "DTSTART;VALUE=DATE:20261001",      // 6
    "DTEND;VALUE=DATE:20261008",        // 7
    "SUMMARY:国庆节",                   // 8
    "END:VEVENT",                       // 9
    "BEGIN:VEVENT",                     // 10
    "DTSTART;VALUE=DATE:20260920",      // 11
    "SUMMARY:国庆节补班",               // 12
    "END:VEVENT",                       // 13
    "BEGIN:VEVENT",                     // 14
    "DTSTART;VALUE=DATE:20261010",      // 15
    "DTEND;VALUE=DATE:20261011",        // 16
    "SUMMARY:国庆节 上班",              // 17
    "END:VEVENT",                       // 18
    "END:VCALENDAR",                    // 19
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
    assert_eq!(import.days, vec![day("2026-01-01", DayKind::Holiday, "New Year's Day"), day("2026-01-04", DayKind::Workday, "Make-up")]);
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
    for bad in [
        "26-10-01",
        "10/1/2026",
        "2026/10-01",
        "2026-02-29",
        "2026-00-10",
        "2026-10-32",
        "2026101",
        "+2026-10-01",
        "2026-10-01-1",
        "2026.10.01",
        "２０２６-10-01",
    ] {
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
    assert_eq!(
        problems(&parse_csv("2026-10-01,vacation\n2026-10-02,休假\n2026-10-03,班班")),
        vec![(1, BadKind), (2, BadKind), (3, BadKind)]
    );
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
        "BEGIN:VEVENT",              // 3
        "DTSTART;VALUE=DATE:2026",   // 4
        " 1001",                     // 5
        "DTEND;VALUE=DATE:20261003", // 6
        "SUMMARY:National Day holi", // 7
        " day and Mid-",             // 8
        "\tAutumn Festival",         // 9
        "END:VEVENT",                // 10
        "BEGIN:VEVENT",              // 11
        "DTSTART;VALUE=DA",          // 12
        " TE:2026",                  // 13
        " 1002",                     // 14
        "SUMMARY:国庆",              // 15
        " 节",                       // 16
        "END:VEVENT",                // 17
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
        "BEGIN:VEVENT",                // 3
        "SUMMARY:no start",            // 4
        "END:VEVENT",                  // 5
        "BEGIN:VEVENT",                // 6
        "DTSTART;VALUE=DATE:20261301", // 7 bad month
        "END:VEVENT",                  // 8
        "BEGIN:VEVENT",                // 9
        "DTSTART;VALUE=DATE:20261005", // 10
        "DTEND;VALUE=DATE:20261005",   // 11 equal: empty event
        "END:VEVENT",                  // 12
        "BEGIN:VEVENT",                // 13
        "DTSTART;VALUE=DATE:20261005", // 14
        "DTEND;VALUE=DATE:20261004",   // 15 before
        "END:VEVENT",                  // 16
        "BEGIN:VEVENT",                // 17
        "DTSTART;VALUE=DATE:20261001", // 18
        "DTEND;VALUE=DATE:20271001",   // 19 a year: typo
        "END:VEVENT",                  // 20
        "BEGIN:VEVENT",                // 21
        "DTSTART;VALUE=DATE:20261001", // 22
        "DTEND;VALUE=DATE:20261008",   // 23 good
        "SUMMARY:国庆节",              // 24
        "END:VEVENT",                  // 25
        "BEGIN:VEVENT",                // 26
        "DTSTART;VALUE=DATE:20261007", // 27 7th again, 8th new
        "DTEND;VALUE=DATE:20261009",   // 28
        "SUMMARY:国庆节",              // 29
        "END:VEVENT",                  // 30
        "BEGIN:VEVENT",                // 31
        "DTSTART;VALUE=DATE:20261006", // 32 workdays 6–10: 6–8 clash
        "DTEND;VALUE=DATE:20261011",   // 33
        "SUMMARY:补班",                // 34
        "END:VEVENT",                  // 35
        "BEGIN:VEVENT",                // 36
        "DTSTART;VALUE=DATE:20261020", // 37
        "DTEND;VALUE=DATE:2026-10-21", // 38 not the basic form
        "END:VEVENT",                  // 39
        "BEGIN:VEVENT",                // 40
        "DTSTART:20261020T250000",     // 41 bad time
        "END:VEVENT",                  // 42
        "BEGIN:VEVENT",                // 43
        "DTSTART:20261020",            // 44
        "DURATION:1D",                 // 45 bad duration
        "END:VEVENT",                  // 46
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
        [
            "2026-10-01",
            "2026-10-02",
            "2026-10-03",
            "2026-10-04",
            "2026-10-05",
            "2026-10-06",
            "2026-10-07",
            "2026-10-08",
            "2026-10-09",
            "2026-10-10"
        ]
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
