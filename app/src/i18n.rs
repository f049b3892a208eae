//! Every user-visible string, in zh-CN (default), zh-TW and en.
//!
//! Each language is one `Texts` value; a key missing in any language is a
//! compile error, and the strings are plain `&'static str` so the WASM pays
//! nothing for a runtime catalogue. `{n}` marks a number filled in by `fill`.

use serde::{Deserialize, Serialize};

use crate::errors::{AppError, Field, Problem};

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

    pub fn texts(self) -> &'static Texts {
        match self {
            Locale::ZhCn => &ZH_CN,
            Locale::ZhTw => &ZH_TW,
            Locale::En => &EN,
        }
    }

    /// The language's own name, for the language switcher.
    pub fn native_name(self) -> &'static str {
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

pub struct Texts {
    pub product: &'static str,
    pub loading: &'static str,
    pub language: &'static str,

    pub home_title: &'static str,
    pub home_intro: &'static str,
    pub home_widget_link: &'static str,
    pub home_console_link: &'static str,

    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub org_not_found_body: &'static str,
    pub go_home: &'static str,

    pub widget_title: &'static str,
    pub widget_intro: &'static str,
    pub hotline: &'static str,
    pub field_reporter_name: &'static str,
    pub field_phone: &'static str,
    pub field_phone_hint: &'static str,
    pub field_asset: &'static str,
    pub field_asset_choose: &'static str,
    pub field_symptom: &'static str,
    pub field_symptom_hint: &'static str,
    pub start_guide: &'static str,
    pub guide_step: &'static str,
    pub back: &'static str,
    pub restart: &'static str,
    pub edit_report: &'static str,
    pub resolved_title: &'static str,
    pub record_self_fix: &'static str,
    pub self_fix_recorded: &'static str,
    pub escalate_title: &'static str,
    pub escalate_body: &'static str,
    pub escalate_button: &'static str,
    pub still_not_fixed: &'static str,
    pub submitting: &'static str,
    pub escalated_title: &'static str,
    pub case_number_label: &'static str,
    pub escalated_body: &'static str,
    pub new_report: &'static str,
    pub fix_errors_above: &'static str,
    pub no_guide: &'static str,
    pub pick_guide: &'static str,
    pub helped_yes: &'static str,
    pub helped_no: &'static str,
    pub next: &'static str,
    pub skipped: &'static str,
    pub run_check: &'static str,
    pub check_running: &'static str,
    pub check_done: &'static str,
    pub pick_log_file: &'static str,
    pub log_stays_local: &'static str,
    pub skip_check: &'static str,
    pub case_tier: &'static str,
    pub tier_phone: &'static str,
    pub tier_remote: &'static str,
    pub tier_on_site: &'static str,
    pub tier_return_to_factory: &'static str,

    pub console_title: &'static str,
    pub login_title: &'static str,
    pub field_username: &'static str,
    pub field_password: &'static str,
    pub login_button: &'static str,
    pub logging_in: &'static str,
    pub logout_button: &'static str,
    pub signed_in_as: &'static str,
    pub queue_title: &'static str,
    pub queue_empty: &'static str,
    pub col_number: &'static str,
    pub col_org: &'static str,
    pub col_asset: &'static str,
    pub col_symptom: &'static str,
    pub col_reported_at: &'static str,
    pub col_status: &'static str,
    pub case_title: &'static str,
    pub back_to_queue: &'static str,
    pub case_reporter: &'static str,
    pub case_phone: &'static str,
    pub case_org: &'static str,
    pub case_site: &'static str,
    pub case_asset: &'static str,
    pub case_serial: &'static str,
    pub case_symptom: &'static str,
    pub case_reported_at: &'static str,
    pub case_steps: &'static str,
    pub case_no_steps: &'static str,
    pub case_guide_result: &'static str,
    pub case_technician_hint: &'static str,
    pub case_severity: &'static str,
    pub status_escalated: &'static str,
    pub status_self_resolved: &'static str,
    pub severity_emergency: &'static str,
    pub severity_major: &'static str,
    pub severity_general: &'static str,
    pub role_admin: &'static str,
    pub role_supervisor: &'static str,
    pub role_dispatcher: &'static str,
    pub role_technician: &'static str,

    pub err_required: &'static str,
    pub err_too_short: &'static str,
    pub err_too_long: &'static str,
    pub err_phone: &'static str,
    pub err_unknown_asset: &'static str,
    pub err_invalid_steps: &'static str,
    pub err_bad_request: &'static str,
    pub err_unauthenticated: &'static str,
    pub err_wrong_credentials: &'static str,
    pub err_rate_limited: &'static str,
    pub err_forbidden: &'static str,
    pub err_not_found: &'static str,
    pub err_unreachable: &'static str,
    pub err_internal: &'static str,
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
        }
    }

    pub fn field(&self, f: Field) -> &'static str {
        match f {
            Field::ReporterName => self.field_reporter_name,
            Field::Phone => self.field_phone,
            Field::Asset => self.field_asset,
            Field::Symptom => self.field_symptom,
            Field::Steps => self.case_steps,
            Field::Username => self.field_username,
            Field::Password => self.field_password,
        }
    }

    /// A sentence for the whole error, telling the user what to do next.
    pub fn error(&self, e: &AppError) -> String {
        match e {
            AppError::Invalid { fields } => match fields.first() {
                Some(f) => format!("{}：{}", self.field(f.field), self.problem(f.problem)),
                None => self.err_bad_request.into(),
            },
            AppError::BadRequest => self.err_bad_request.into(),
            AppError::Unauthenticated => self.err_unauthenticated.into(),
            AppError::WrongCredentials => self.err_wrong_credentials.into(),
            AppError::RateLimited => self.err_rate_limited.into(),
            AppError::Forbidden => self.err_forbidden.into(),
            AppError::NotFound => self.err_not_found.into(),
            AppError::Unreachable => self.err_unreachable.into(),
            AppError::Internal => self.err_internal.into(),
        }
    }
}

pub static ZH_CN: Texts = Texts {
    product: "Fixline 售后服务",
    loading: "正在加载…",
    language: "语言",
    home_title: "Fixline 售后自助服务",
    home_intro: "客户在内网报修、自助排查；解决不了的，自动转给技术员上门。",
    home_widget_link: "客户报修（演示单位）",
    home_console_link: "员工服务台",
    not_found_title: "页面不存在",
    not_found_body: "您访问的地址不存在，请检查链接是否完整。",
    org_not_found_body: "找不到该报修入口。请联系贵单位的管理员获取正确的报修链接。",
    go_home: "返回首页",
    widget_title: "故障报修",
    widget_intro: "请先描述故障，我们会一步步帮您排查；解决不了的，直接转给技术员处理。",
    hotline: "服务热线",
    field_reporter_name: "您的姓名",
    field_phone: "联系电话",
    field_phone_hint: "手机号或座机号，如 13800138000 或 021-12345678",
    field_asset: "出故障的设备",
    field_asset_choose: "请选择设备",
    field_symptom: "故障现象",
    field_symptom_hint: "例如：主机面板不亮，按键没有反应，今早 9 点开始",
    start_guide: "下一步：自助排查",
    guide_step: "第 {n} 步",
    back: "上一步",
    restart: "重新开始",
    edit_report: "修改报修信息",
    resolved_title: "问题已解决",
    record_self_fix: "完成",
    self_fix_recorded: "已记录，感谢您的反馈。",
    escalate_title: "需要技术员处理",
    escalate_body: "您的报修信息和排查记录会一并转给技术员，无需重复说明。",
    escalate_button: "提交报修",
    still_not_fixed: "仍未解决，转技术员",
    submitting: "正在提交…",
    escalated_title: "报修已提交",
    case_number_label: "报修单号",
    escalated_body: "请记下单号。客服将在 1 小时内与您联系。",
    new_report: "再报一个故障",
    fix_errors_above: "请先修正上面标出的问题。",
    no_guide: "此设备暂无自助排查指南，可以直接转技术员处理。",
    pick_guide: "哪一项最符合您遇到的问题？",
    helped_yes: "解决了",
    helped_no: "没有解决",
    next: "下一步",
    skipped: "（未填写）",
    run_check: "开始检测",
    check_running: "正在检测…",
    check_done: "已检测",
    pick_log_file: "选择设备导出的日志文件",
    log_stays_local: "日志只在您的浏览器里分析，不会上传。",
    skip_check: "跳过此项检测",
    case_tier: "处理方式",
    tier_phone: "电话指导",
    tier_remote: "远程诊断",
    tier_on_site: "上门维修",
    tier_return_to_factory: "返厂维修",
    console_title: "服务台",
    login_title: "员工登录",
    field_username: "用户名",
    field_password: "密码",
    login_button: "登录",
    logging_in: "正在登录…",
    logout_button: "退出登录",
    signed_in_as: "当前用户",
    queue_title: "待处理报修",
    queue_empty: "暂时没有报修。",
    col_number: "单号",
    col_org: "单位",
    col_asset: "设备",
    col_symptom: "故障现象",
    col_reported_at: "报修时间",
    col_status: "状态",
    case_title: "报修详情",
    back_to_queue: "返回报修列表",
    case_reporter: "报修人",
    case_phone: "电话",
    case_org: "单位",
    case_site: "地点",
    case_asset: "设备",
    case_serial: "序列号",
    case_symptom: "故障现象",
    case_reported_at: "报修时间",
    case_steps: "客户已尝试的排查",
    case_no_steps: "客户没有做自助排查。",
    case_guide_result: "排查结论",
    case_technician_hint: "给技术员的提示",
    case_severity: "建议等级",
    status_escalated: "待受理",
    status_self_resolved: "客户自行解决",
    severity_emergency: "紧急",
    severity_major: "重大",
    severity_general: "一般",
    role_admin: "管理员",
    role_supervisor: "主管",
    role_dispatcher: "调度员",
    role_technician: "技术员",
    err_required: "必填",
    err_too_short: "至少需要 {n} 个字",
    err_too_long: "不能超过 {n} 个字",
    err_phone: "请输入有效的手机号或座机号（如 13800138000 或 021-12345678）",
    err_unknown_asset: "请从列表中选择本单位的设备",
    err_invalid_steps: "排查记录无效，请点“重新开始”再排查一次",
    err_bad_request: "请求格式有误，请刷新页面后重试",
    err_unauthenticated: "登录已失效，请重新登录",
    err_wrong_credentials: "用户名或密码错误",
    err_rate_limited: "失败次数过多，请 5 分钟后再试",
    err_forbidden: "您没有权限执行此操作",
    err_not_found: "没有找到相应的记录",
    err_unreachable: "无法连接服务器，请检查网络后重试；紧急情况请拨打服务热线",
    err_internal: "服务器出错，请稍后重试；如果一直出现，请拨打服务热线",
};

pub static ZH_TW: Texts = Texts {
    product: "Fixline 售後服務",
    loading: "正在載入…",
    language: "語言",
    home_title: "Fixline 售後自助服務",
    home_intro: "客戶在內網報修、自助排查；解決不了的，自動轉給技術員到場處理。",
    home_widget_link: "客戶報修（示範單位）",
    home_console_link: "員工服務台",
    not_found_title: "頁面不存在",
    not_found_body: "您造訪的網址不存在，請檢查連結是否完整。",
    org_not_found_body: "找不到該報修入口。請聯絡貴單位的管理員取得正確的報修連結。",
    go_home: "返回首頁",
    widget_title: "故障報修",
    widget_intro: "請先描述故障，我們會一步步協助您排查；解決不了的，直接轉給技術員處理。",
    hotline: "服務專線",
    field_reporter_name: "您的姓名",
    field_phone: "聯絡電話",
    field_phone_hint: "手機或市話，如 13800138000 或 021-12345678",
    field_asset: "發生故障的設備",
    field_asset_choose: "請選擇設備",
    field_symptom: "故障現象",
    field_symptom_hint: "例如：主機面板不亮，按鍵沒有反應，今早 9 點開始",
    start_guide: "下一步：自助排查",
    guide_step: "第 {n} 步",
    back: "上一步",
    restart: "重新開始",
    edit_report: "修改報修資訊",
    resolved_title: "問題已解決",
    record_self_fix: "完成",
    self_fix_recorded: "已記錄，感謝您的回饋。",
    escalate_title: "需要技術員處理",
    escalate_body: "您的報修資訊和排查記錄會一併轉給技術員，無需重複說明。",
    escalate_button: "提交報修",
    still_not_fixed: "仍未解決，轉技術員",
    submitting: "正在提交…",
    escalated_title: "報修已提交",
    case_number_label: "報修單號",
    escalated_body: "請記下單號。客服將在 1 小時內與您聯絡。",
    new_report: "再報一個故障",
    fix_errors_above: "請先修正上面標出的問題。",
    no_guide: "此設備暫無自助排查指南，可以直接轉技術員處理。",
    pick_guide: "哪一項最符合您遇到的問題？",
    helped_yes: "解決了",
    helped_no: "沒有解決",
    next: "下一步",
    skipped: "（未填寫）",
    run_check: "開始檢測",
    check_running: "正在檢測…",
    check_done: "已檢測",
    pick_log_file: "選擇設備匯出的日誌檔案",
    log_stays_local: "日誌只在您的瀏覽器裡分析，不會上傳。",
    skip_check: "略過此項檢測",
    case_tier: "處理方式",
    tier_phone: "電話指導",
    tier_remote: "遠端診斷",
    tier_on_site: "到場維修",
    tier_return_to_factory: "送回原廠維修",
    console_title: "服務台",
    login_title: "員工登入",
    field_username: "使用者名稱",
    field_password: "密碼",
    login_button: "登入",
    logging_in: "正在登入…",
    logout_button: "登出",
    signed_in_as: "目前使用者",
    queue_title: "待處理報修",
    queue_empty: "目前沒有報修。",
    col_number: "單號",
    col_org: "單位",
    col_asset: "設備",
    col_symptom: "故障現象",
    col_reported_at: "報修時間",
    col_status: "狀態",
    case_title: "報修詳情",
    back_to_queue: "返回報修列表",
    case_reporter: "報修人",
    case_phone: "電話",
    case_org: "單位",
    case_site: "地點",
    case_asset: "設備",
    case_serial: "序號",
    case_symptom: "故障現象",
    case_reported_at: "報修時間",
    case_steps: "客戶已嘗試的排查",
    case_no_steps: "客戶沒有做自助排查。",
    case_guide_result: "排查結論",
    case_technician_hint: "給技術員的提示",
    case_severity: "建議等級",
    status_escalated: "待受理",
    status_self_resolved: "客戶自行解決",
    severity_emergency: "緊急",
    severity_major: "重大",
    severity_general: "一般",
    role_admin: "管理員",
    role_supervisor: "主管",
    role_dispatcher: "調度員",
    role_technician: "技術員",
    err_required: "必填",
    err_too_short: "至少需要 {n} 個字",
    err_too_long: "不能超過 {n} 個字",
    err_phone: "請輸入有效的手機或市話號碼（如 13800138000 或 021-12345678）",
    err_unknown_asset: "請從清單中選擇本單位的設備",
    err_invalid_steps: "排查記錄無效，請點「重新開始」再排查一次",
    err_bad_request: "請求格式有誤，請重新整理頁面後再試",
    err_unauthenticated: "登入已失效，請重新登入",
    err_wrong_credentials: "使用者名稱或密碼錯誤",
    err_rate_limited: "失敗次數過多，請 5 分鐘後再試",
    err_forbidden: "您沒有權限執行此操作",
    err_not_found: "沒有找到相應的記錄",
    err_unreachable: "無法連線到伺服器，請檢查網路後再試；緊急情況請撥打服務專線",
    err_internal: "伺服器發生錯誤，請稍後再試；如果一直出現，請撥打服務專線",
};

pub static EN: Texts = Texts {
    product: "Fixline after-sales service",
    loading: "Loading…",
    language: "Language",
    home_title: "Fixline after-sales self-service",
    home_intro: "Customers report faults from their intranet and fix what they can; the rest goes to a technician, already diagnosed.",
    home_widget_link: "Report a fault (demo customer)",
    home_console_link: "Staff console",
    not_found_title: "Page not found",
    not_found_body: "This address does not exist. Please check that the link is complete.",
    org_not_found_body: "This fault-report link is not valid. Ask your administrator for the correct link.",
    go_home: "Go to the home page",
    widget_title: "Report a fault",
    widget_intro: "Describe the fault and we will troubleshoot it with you step by step; if that does not fix it, a technician takes over.",
    hotline: "Service hotline",
    field_reporter_name: "Your name",
    field_phone: "Phone number",
    field_phone_hint: "Mobile or landline, e.g. 13800138000 or 021-12345678",
    field_asset: "Faulty equipment",
    field_asset_choose: "Choose the equipment",
    field_symptom: "What is wrong?",
    field_symptom_hint: "e.g. the panel is dark and the keys do nothing since 9 am",
    start_guide: "Next: troubleshoot",
    guide_step: "Step {n}",
    back: "Back",
    restart: "Start over",
    edit_report: "Edit the report",
    resolved_title: "Fixed",
    record_self_fix: "Done",
    self_fix_recorded: "Recorded. Thank you for letting us know.",
    escalate_title: "A technician is needed",
    escalate_body: "Your report and the steps you tried go to the technician with it, so you need not explain again.",
    escalate_button: "Send to a technician",
    still_not_fixed: "Still not fixed: get a technician",
    submitting: "Sending…",
    escalated_title: "Report sent",
    case_number_label: "Case number",
    escalated_body: "Please note the case number. Our service desk will contact you within 1 hour.",
    new_report: "Report another fault",
    fix_errors_above: "Please correct the fields marked above.",
    no_guide: "There is no self-check guide for this equipment yet; you can send it straight to a technician.",
    pick_guide: "Which fits your problem best?",
    helped_yes: "Yes, it works now",
    helped_no: "No, still faulty",
    next: "Next",
    skipped: "(not given)",
    run_check: "Run the check",
    check_running: "Checking…",
    check_done: "checked",
    pick_log_file: "Choose the log file exported from the device",
    log_stays_local: "The log is analysed in your browser only; it is not uploaded.",
    skip_check: "Skip this check",
    case_tier: "Handling",
    tier_phone: "Phone guidance",
    tier_remote: "Remote diagnosis",
    tier_on_site: "On-site visit",
    tier_return_to_factory: "Return to factory",
    console_title: "Service console",
    login_title: "Staff sign-in",
    field_username: "Username",
    field_password: "Password",
    login_button: "Sign in",
    logging_in: "Signing in…",
    logout_button: "Sign out",
    signed_in_as: "Signed in as",
    queue_title: "Open cases",
    queue_empty: "No cases right now.",
    col_number: "Case",
    col_org: "Customer",
    col_asset: "Equipment",
    col_symptom: "Symptom",
    col_reported_at: "Reported",
    col_status: "Status",
    case_title: "Case",
    back_to_queue: "Back to the queue",
    case_reporter: "Reported by",
    case_phone: "Phone",
    case_org: "Customer",
    case_site: "Site",
    case_asset: "Equipment",
    case_serial: "Serial number",
    case_symptom: "Symptom",
    case_reported_at: "Reported at",
    case_steps: "What the customer tried",
    case_no_steps: "The customer did not troubleshoot.",
    case_guide_result: "Guide result",
    case_technician_hint: "Hint for the technician",
    case_severity: "Suggested severity",
    status_escalated: "Awaiting pick-up",
    status_self_resolved: "Fixed by the customer",
    severity_emergency: "Emergency",
    severity_major: "Major",
    severity_general: "General",
    role_admin: "Administrator",
    role_supervisor: "Supervisor",
    role_dispatcher: "Dispatcher",
    role_technician: "Technician",
    err_required: "Required",
    err_too_short: "At least {n} characters",
    err_too_long: "At most {n} characters",
    err_phone: "Enter a valid mobile or landline number (e.g. 13800138000 or 021-12345678)",
    err_unknown_asset: "Choose one of your organisation's devices from the list",
    err_invalid_steps: "The troubleshooting record is invalid; press “Start over” and try again",
    err_bad_request: "The request was malformed; reload the page and try again",
    err_unauthenticated: "Your session has ended; please sign in again",
    err_wrong_credentials: "Wrong username or password",
    err_rate_limited: "Too many failed attempts; try again in 5 minutes",
    err_forbidden: "You are not allowed to do this",
    err_not_found: "Nothing was found",
    err_unreachable: "Cannot reach the server; check the network and try again, or call the service hotline if urgent",
    err_internal: "Something went wrong on the server; try again shortly, and call the service hotline if it persists",
};

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
    fn templates_carry_their_placeholder() {
        for l in Locale::ALL {
            let t = l.texts();
            for s in [t.err_too_short, t.err_too_long, t.guide_step] {
                assert!(s.contains("{n}"), "{} {s}", l.tag());
            }
        }
    }
}
