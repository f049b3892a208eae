//! The languages Fixline speaks: zh-CN (default), zh-TW and en. Texts
//! live in the app (`i18n`); guides carry their own per language.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Locale {
    #[default]
    ZhCn,
    ZhTw,
    En,
}

impl Locale {
    pub const ALL: [Locale; 3] = [Locale::ZhCn, Locale::ZhTw, Locale::En];

    /// BCP 47 tag, as used in `<html lang>` and `?lang=`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::ZhTw => "zh-TW",
            Locale::En => "en",
        }
    }

    /// Accepts tags like `zh-CN`, `zh-Hans`, `zh_TW`, `zh-HK`, `en-US`.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let tag = tag.trim().to_ascii_lowercase().replace('_', "-");
        if tag.starts_with("zh-tw") || tag.starts_with("zh-hk") || tag.starts_with("zh-mo") || tag.starts_with("zh-hant") {
            Some(Locale::ZhTw)
        } else if tag == "zh" || tag.starts_with("zh-") {
            Some(Locale::ZhCn)
        } else if tag == "en" || tag.starts_with("en-") {
            Some(Locale::En)
        } else {
            None
        }
    }

    /// The first supported language of an `Accept-Language` header, in the
    /// order the browser lists them (quality values are rarely out of order).
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        header.split(',').filter_map(|part| Locale::from_tag(part.split(';').next()?)).next()
    }
}

/// One text in every supported language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub zh_cn: String,
    pub zh_tw: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhCn => &self.zh_cn,
            Locale::ZhTw => &self.zh_tw,
            Locale::En => &self.en,
        }
    }
}
