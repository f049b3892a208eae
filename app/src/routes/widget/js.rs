use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::JsValue;

use crate::models::{AssetOption, AssetWarranty, WidgetInfo};

pub fn parse(text: &str) -> Option<JsValue> {
    JSON::parse(text).ok().filter(|v| v.is_object())
}

pub fn stringify(value: &JsValue) -> Option<String> {
    JSON::stringify(value).ok()?.as_string()
}

pub fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub fn string(v: &JsValue, key: &str) -> Option<String> {
    get(v, key).as_string()
}

/// A whole number (ids, times in ms); anything else is absent.
pub fn integer(v: &JsValue, key: &str) -> Option<i64> {
    get(v, key).as_f64().filter(|n| n.fract() == 0.0 && n.abs() < 9.0e15).map(|n| n as i64)
}

pub fn list(v: &JsValue, key: &str) -> Vec<JsValue> {
    let a = get(v, key);
    if Array::is_array(&a) {
        Array::from(&a).iter().collect()
    } else {
        Vec::new()
    }
}

pub fn set(o: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(o, &JsValue::from_str(key), &value.into());
}

pub fn optional(value: Option<impl Into<JsValue>>) -> JsValue {
    value.map_or(JsValue::NULL, Into::into)
}

pub fn array(items: impl IntoIterator<Item = JsValue>) -> JsValue {
    items.into_iter().collect::<Array>().into()
}

pub fn widget_info(text: &str) -> Option<WidgetInfo> {
    let v = parse(text)?;
    Some(WidgetInfo {
        org_name: string(&v, "org_name")?,
        company_name: string(&v, "company_name")?,
        hotline: string(&v, "hotline")?,
        assets: list(&v, "assets")
            .iter()
            .filter_map(|a| {
                let w = get(a, "warranty");
                let warranty = AssetWarranty {
                    until: string(&w, "until").unwrap_or_default(),
                    covered: get(&w, "covered").as_bool().unwrap_or(false),
                };
                Some(AssetOption {
                    id: integer(a, "id")?,
                    label: string(a, "label")?,
                    serial: string(a, "serial").unwrap_or_default(),
                    warranty,
                })
            })
            .collect(),
        allowed_origins: list(&v, "allowed_origins").iter().filter_map(JsValue::as_string).collect(),
        theme_color: string(&v, "theme_color").unwrap_or_default(),
        logo_url: string(&v, "logo_url").unwrap_or_default(),
    })
}
