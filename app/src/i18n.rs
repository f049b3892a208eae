//! Every user-visible string, in zh-CN (default), zh-TW and en.
//!
//! The texts are data translators can edit: one file per language in
//! `app/i18n/` (TOML). The build (`app/build.rs`) checks that every file has
//! the same keys and each text the same placeholders, and turns them into
//! one `Texts` (and `ConsoleTexts`) value per language: a key missing in
//! any language is a compile error, and the strings are plain
//! `&'static str`, so the WASM carries no runtime catalogue. `{n}` marks a
//! number filled in by `fill`.

use crate::errors::{AppError, Field, Problem};

pub use domain::locale::Locale;

include!(concat!(env!("OUT_DIR"), "/texts.rs"));

/// A language's texts (a trait: `Locale` belongs to the domain crate).
pub trait LocaleTexts {
    fn texts(self) -> &'static Texts;
    /// The console's texts, and through them all of `texts()`.
    fn console_texts(self) -> &'static ConsoleTexts;
    /// The language's own name, for the language switcher.
    fn native_name(self) -> &'static str;
}

impl LocaleTexts for Locale {
    fn texts(self) -> &'static Texts {
        match self {
            Locale::ZhCn => &ZH_CN,
            Locale::ZhTw => &ZH_TW,
            Locale::En => &EN,
        }
    }

    fn console_texts(self) -> &'static ConsoleTexts {
        match self {
            Locale::ZhCn => &ZH_CN_CONSOLE,
            Locale::ZhTw => &ZH_TW_CONSOLE,
            Locale::En => &EN_CONSOLE,
        }
    }

    fn native_name(self) -> &'static str {
        match self {
            Locale::ZhCn => "简体中文",
            Locale::ZhTw => "繁體中文",
            Locale::En => "English",
        }
    }
}

pub fn fill(template: &str, n: impl std::fmt::Display) -> String {
    template.replace("{n}", &n.to_string())
}

impl std::ops::Deref for ConsoleTexts {
    type Target = Texts;
    fn deref(&self) -> &Texts {
        self.common
    }
}

impl Texts {
    pub fn problem(&self, p: Problem) -> String {
        match p {
            Problem::Required => self.err_required.into(),
            Problem::TooShort { min } => fill(self.err_too_short, min),
            Problem::TooLong { max } => fill(self.err_too_long, max),
            Problem::InvalidPhone => self.err_phone.into(),
            Problem::UnknownAsset => self.err_unknown_asset.into(),
            Problem::InvalidSteps => self.err_invalid_steps.into(),
            Problem::Invalid => self.err_invalid.into(),
            Problem::BadLine { line } => fill(self.err_bad_line, line),
        }
    }

    /// The name of a field the widget's forms have; the console's own
    /// fields are named by `ConsoleTexts::field` (empty here: the widget
    /// never meets them, and its bundle carries none of their names).
    pub fn field(&self, f: Field) -> &'static str {
        match f {
            Field::ReporterName => self.field_reporter_name,
            Field::Phone => self.field_phone,
            Field::Asset => self.field_asset,
            Field::Symptom => self.field_symptom,
            Field::Email => self.field_email,
            Field::Steps => self.case_steps,
            _ => "",
        }
    }

    /// `¥850.00` from cents.
    pub fn money(&self, cents: i64) -> String {
        fill(self.quote_amount, format!("{}.{:02}", cents / 100, cents % 100))
    }

    /// A sentence for the whole error, telling the user what to do next.
    /// Errors only staff meet are worded by `ConsoleTexts::error`; here
    /// they get a general sentence.
    pub fn error(&self, e: &AppError) -> String {
        match e {
            AppError::Invalid { fields } => match fields.first() {
                Some(f) => format!("{}{}{}", self.field(f.field), self.colon, self.problem(f.problem)),
                None => self.err_bad_request.into(),
            },
            AppError::BadRequest | AppError::InvalidSettings { .. } | AppError::InvalidGuide { .. } | AppError::WrongCredentials => {
                self.err_bad_request.into()
            }
            AppError::Unauthenticated => self.err_unauthenticated.into(),
            AppError::RateLimited { retry_after_s } => fill(self.err_rate_limited, retry_after_s),
            AppError::Unavailable => self.err_unavailable.into(),
            AppError::Forbidden => self.err_forbidden.into(),
            AppError::NotFound => self.err_not_found.into(),
            AppError::Conflict | AppError::QuoteNotApproved | AppError::NotSigned => self.err_conflict.into(),
            AppError::InvalidUpload { problem } => match problem {
                crate::errors::UploadProblem::Empty => self.err_upload_empty.into(),
                crate::errors::UploadProblem::TooLarge { max_kb } => fill(self.err_upload_too_large, max_kb),
                crate::errors::UploadProblem::NotAnImage => self.err_upload_type.into(),
                crate::errors::UploadProblem::TooMany { max } => fill(self.err_upload_too_many, max),
                crate::errors::UploadProblem::StorageFull => self.err_upload_storage_full.into(),
            },
            AppError::Unreachable => self.err_unreachable.into(),
            AppError::Internal => self.err_internal.into(),
        }
    }
}

impl ConsoleTexts {
    /// Every field's name, the console's own included.
    pub fn field(&self, f: Field) -> &'static str {
        match f {
            Field::Username => self.field_username,
            Field::Password => self.field_password,
            Field::ChannelName => self.field_channel_name,
            Field::ChannelUrl => self.field_channel_url,
            Field::ChannelSecret => self.field_channel_secret,
            Field::Roster => self.field_roster,
            Field::SmsEndpoint => self.field_sms_endpoint,
            Field::SmsKeyId => self.field_sms_key_id,
            Field::SmsSignName => self.field_sms_sign_name,
            Field::SmsAppId => self.field_sms_app_id,
            Field::SmsTemplate => self.field_sms_template,
            other => self.common.field(other),
        }
    }

    pub fn weekday(&self, i: usize) -> &'static str {
        self.weekday_names.split(',').nth(i).unwrap_or("")
    }

    pub fn line_problem(&self, p: crate::domain::holidays::LineProblem) -> &'static str {
        use crate::domain::holidays::LineProblem::*;
        match p {
            BadDate => self.line_bad_date,
            BadKind => self.line_bad_kind,
            MissingField => self.line_missing_field,
            DuplicateDate => self.line_duplicate_date,
            ConflictingKinds => self.line_conflicting_kinds,
            TooLong => self.line_too_long,
            UnknownFormat => self.line_unknown_format,
            EndBeforeStart => self.line_end_before_start,
            RangeTooLong => self.line_range_too_long,
        }
    }

    pub fn settings_problem(&self, p: crate::errors::SettingsProblem) -> String {
        use crate::errors::SettingsProblem::*;
        match p {
            BadHours { weekday } => self.err_bad_hours.replace("{d}", self.weekday(weekday as usize)),
            OverlappingHours { weekday } => self.err_overlapping_hours.replace("{d}", self.weekday(weekday as usize)),
            HolidayLine { line, issue } => fill(self.err_holiday_line, line).replace("{p}", self.line_problem(issue)),
            BadTarget => self.err_bad_target.into(),
            BadOrigin { index } => fill(self.err_bad_origin, index + 1),
            TooManyOrigins => self.err_too_many_origins.into(),
            BadColour => self.err_bad_colour.into(),
            BadCaseCap => self.err_bad_case_cap.into(),
        }
    }

    /// A sentence for the whole error, staff's errors included.
    pub fn error(&self, e: &AppError) -> String {
        match e {
            AppError::Invalid { fields } => match fields.first() {
                Some(f) => format!("{}{}{}", self.field(f.field), self.colon, self.problem(f.problem)),
                None => self.err_bad_request.into(),
            },
            AppError::InvalidSettings { problems } => {
                let lines: Vec<String> = problems.iter().map(|p| self.settings_problem(*p)).collect();
                format!("{}\n{}", self.err_settings, lines.join("\n"))
            }
            AppError::InvalidGuide { problems } => format!("{}\n{}", self.err_invalid_guide, problems.join("\n")),
            AppError::WrongCredentials => self.err_wrong_credentials.into(),
            AppError::QuoteNotApproved => self.err_quote_not_approved.into(),
            AppError::NotSigned => self.err_not_signed.into(),
            other => self.common.error(other),
        }
    }
}

/// How shared parts (error lines, loaders) word errors: the console's app
/// provides its texts' wording; the widget provides none and uses
/// `Texts::error`, so its bundle links none of the console's texts.
#[derive(Clone, Copy)]
pub struct ErrorWording(pub fn(Locale, &AppError) -> String);

/// The wording in context, else the shared texts'.
pub fn word_error(wording: Option<ErrorWording>, locale: Locale, e: &AppError) -> String {
    match wording {
        Some(ErrorWording(word)) => word(locale, e),
        None => locale.texts().error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_roundtrip_and_variants_map() {
        for l in Locale::ALL {
            assert_eq!(Locale::from_tag(l.tag()), Some(l));
        }
        assert_eq!(Locale::from_tag("zh-Hant-TW"), Some(Locale::ZhTw));
        assert_eq!(Locale::from_tag("zh_HK"), Some(Locale::ZhTw));
        assert_eq!(Locale::from_tag("zh-Hans"), Some(Locale::ZhCn));
        assert_eq!(Locale::from_tag("en-GB"), Some(Locale::En));
        assert_eq!(Locale::from_tag("fr"), None);
    }

    #[test]
    fn accept_language_picks_first_supported() {
        assert_eq!(Locale::from_accept_language("fr-FR,fr;q=0.9,en-US;q=0.8"), Some(Locale::En));
        assert_eq!(Locale::from_accept_language("zh-TW,zh;q=0.9"), Some(Locale::ZhTw));
        assert_eq!(Locale::from_accept_language("de"), None);
    }

    #[test]
    fn console_texts_share_their_language_texts() {
        for l in Locale::ALL {
            assert!(std::ptr::eq(l.console_texts().common, l.texts()), "{}", l.tag());
        }
    }

    #[test]
    fn staff_errors_are_worded_by_the_console_texts_only() {
        use crate::errors::SettingsProblem;
        for l in Locale::ALL {
            let (t, c) = (l.texts(), l.console_texts());
            let settings = AppError::InvalidSettings { problems: vec![SettingsProblem::BadColour] };
            assert!(c.error(&settings).contains(c.err_bad_colour), "{}", l.tag());
            assert_eq!(t.error(&settings), t.err_bad_request, "{}", l.tag());
            assert_eq!(c.error(&AppError::NotSigned), c.err_not_signed);
            let key = AppError::invalid(vec![crate::errors::FieldError { field: Field::SmsKeyId, problem: Problem::Required }]);
            assert!(c.error(&key).starts_with(c.field_sms_key_id), "{}", c.error(&key));
            assert_eq!(t.field(Field::SmsKeyId), "");
            // Widget fields are named alike by both.
            assert_eq!(c.field(Field::Email), t.field_email);
            assert_eq!(c.error(&AppError::Conflict), t.error(&AppError::Conflict));
        }
    }

    #[test]
    fn templates_carry_their_placeholder() {
        for l in Locale::ALL {
            let t = l.texts();
            for s in [t.err_too_short, t.err_too_long, t.guide_step] {
                assert!(s.contains("{n}"), "{} {s}", l.tag());
            }
        }
    }
}
