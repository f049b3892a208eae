use crate::domain::guide::WalkStep;

/// The guide itself is not kept, only which one (id, version): the walk
/// loads the guides again anyway. Stored as JSON in the shape serde would
/// write; a draft from before `guide_ref` has its guide under `guide`,
/// which is ignored (the report is kept, the walk starts again).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Draft {
    pub name: String,
    pub phone: String,
    pub sms: bool,
    pub email: String,
    pub asset_id: Option<i64>,
    pub symptom: String,
    pub guide: Option<(String, u32)>,
    pub steps: Vec<WalkStep>,
    pub session: Option<(String, String)>,
    pub submission_id: Option<String>,
    pub in_guide: bool,
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

#[cfg(feature = "hydrate")]
fn decode(text: &str) -> Option<Draft> {
    use super::js::{get, integer, list, parse, string};
    use js_sys::Array;
    let pair = |v: wasm_bindgen::JsValue| -> Option<(wasm_bindgen::JsValue, wasm_bindgen::JsValue)> {
        Array::is_array(&v).then(|| (Array::from(&v).get(0), Array::from(&v).get(1)))
    };
    let v = parse(text)?;
    Some(Draft {
        name: string(&v, "name").unwrap_or_default(),
        phone: string(&v, "phone").unwrap_or_default(),
        sms: get(&v, "sms").as_bool().unwrap_or(false),
        email: string(&v, "email").unwrap_or_default(),
        asset_id: integer(&v, "asset_id"),
        symptom: string(&v, "symptom").unwrap_or_default(),
        guide: pair(get(&v, "guide_ref"))
            .and_then(|(id, version)| Some((id.as_string()?, version.as_f64().filter(|n| *n >= 0.0 && *n <= u32::MAX as f64)? as u32))),
        steps: list(&v, "steps")
            .iter()
            .filter_map(|s| {
                Some(WalkStep {
                    node: string(s, "node")?,
                    choice: string(s, "choice")?,
                    value: string(s, "value"),
                    photo: integer(s, "photo"),
                    at_ms: integer(s, "at_ms").unwrap_or(0),
                })
            })
            .collect(),
        session: pair(get(&v, "session")).and_then(|(g, s)| Some((g.as_string()?, s.as_string()?))),
        submission_id: string(&v, "submission_id"),
        in_guide: get(&v, "in_guide").as_bool().unwrap_or(false),
    })
}

#[cfg(feature = "hydrate")]
fn encode(d: &Draft) -> Option<String> {
    use super::js::{array, optional, set, stringify};
    use js_sys::Object;
    use wasm_bindgen::JsValue;
    let o = Object::new();
    set(&o, "name", d.name.as_str());
    set(&o, "phone", d.phone.as_str());
    set(&o, "sms", d.sms);
    set(&o, "email", d.email.as_str());
    set(&o, "asset_id", optional(d.asset_id.map(|a| a as f64)));
    set(&o, "symptom", d.symptom.as_str());
    set(&o, "guide_ref", optional(d.guide.as_ref().map(|(id, v)| array([JsValue::from_str(id), JsValue::from(*v)]))));
    set(
        &o,
        "steps",
        array(d.steps.iter().map(|s| {
            let step = Object::new();
            set(&step, "node", s.node.as_str());
            set(&step, "choice", s.choice.as_str());
            if let Some(value) = &s.value {
                set(&step, "value", value.as_str());
            }
            if let Some(photo) = s.photo {
                set(&step, "photo", photo as f64);
            }
            set(&step, "at_ms", s.at_ms as f64);
            step.into()
        })),
    );
    set(&o, "session", optional(d.session.as_ref().map(|(g, s)| array([JsValue::from_str(g), JsValue::from_str(s)]))));
    set(&o, "submission_id", optional(d.submission_id.as_deref()));
    set(&o, "in_guide", d.in_guide);
    stringify(&o.into())
}

/// The largest draft taken from the host page (a report and a walk of 64
/// steps are far below it).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub const MAX_JSON: usize = 100_000;

/// The draft as stored (JSON), for the host page to keep.
pub fn to_json(draft: &Draft) -> Option<String> {
    #[cfg(feature = "hydrate")]
    return encode(draft);
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = draft;
        None
    }
}

/// A draft the host page kept.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn from_json(json: &str) -> Option<Draft> {
    #[cfg(feature = "hydrate")]
    return decode(json);
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = json;
        None
    }
}

pub fn load(key: &str) -> Option<Draft> {
    #[cfg(feature = "hydrate")]
    return decode(&storage()?.get_item(key).ok()??);
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        None
    }
}

pub fn save(key: &str, draft: &Draft) {
    #[cfg(feature = "hydrate")]
    if let (Some(s), Some(json)) = (storage(), encode(draft)) {
        let _ = s.set_item(key, &json);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key, draft);
}

pub fn clear(key: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = key;
}
