//! Time and change in the console: a ticking clock for countdowns, live
//! case updates from the server, and the clock badges.

use leptos::prelude::*;

use crate::domain::clock::{ClockKind, PauseReason};
use crate::i18n::Texts;
use crate::language::use_texts;
use crate::models::ClockView;

/// The current time in ms, ticking every second in the browser. Starts at
/// the server's time (so the server render and hydration agree), and keeps
/// the browser's offset to the server's clock out of countdowns.
pub fn use_ticking_now(server_now_ms: i64) -> ReadSignal<i64> {
    let (now, set_now) = signal(server_now_ms);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let skew = server_now_ms - js_sys::Date::now() as i64;
        // A skew under a minute is noise (the page took a moment to load).
        let skew = if skew.abs() < 60_000 { 0 } else { skew };
        let tick = move || set_now.set(js_sys::Date::now() as i64 + skew);
        // No tick straight away: nested parts of the page may still be
        // hydrating, and they must see the time the server rendered with.
        if let Ok(handle) = set_interval_with_handle(tick, std::time::Duration::from_secs(1)) {
            on_cleanup(move || handle.clear());
        }
    });
    let _ = set_now;
    now
}

/// Calls `on_change` with a case number (or `*` for "anything") whenever a
/// case changes on any server instance. Returns whether the stream is up.
pub fn use_live_updates(on_change: impl Fn(String) + 'static) -> ReadSignal<bool> {
    let (connected, set_connected) = signal(false);
    #[cfg(feature = "hydrate")]
    {
        use send_wrapper::SendWrapper;
        use wasm_bindgen::prelude::*;
        use wasm_bindgen::JsCast;
        let on_change = std::rc::Rc::new(on_change);
        Effect::new(move |_| {
            let Ok(source) = web_sys::EventSource::new("/console/live") else { return };
            let on_change_case = on_change.clone();
            let on_case = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                if let Some(number) = e.data().as_string() {
                    on_change_case(number);
                }
            });
            // Changes made before the stream opened (or while it was down)
            // were not streamed: catch up once it is open.
            let on_change_open = on_change.clone();
            let on_open = Closure::<dyn FnMut()>::new(move || {
                set_connected.set(true);
                on_change_open("*".to_string());
            });
            // The browser reconnects by itself; meanwhile say so.
            let on_error = Closure::<dyn FnMut()>::new(move || set_connected.set(false));
            let _ = source.add_event_listener_with_callback("case", on_case.as_ref().unchecked_ref());
            source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            let keep = SendWrapper::new((source, on_case, on_open, on_error));
            on_cleanup(move || keep.0.close());
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (on_change, set_connected);
    connected
}

/// `1:05:09`, or `2 d 03:05` beyond a day.
pub fn duration_text(ms: i64) -> String {
    let s = ms.abs() / 1000;
    let (d, h, m, s) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    if d > 0 {
        format!("{d} d {h:02}:{m:02}")
    } else {
        format!("{h}:{m:02}:{s:02}")
    }
}

pub fn clock_name(t: &Texts, k: ClockKind) -> &'static str {
    match k {
        ClockKind::Response => t.clock_response,
        ClockKind::Dispatch => t.clock_dispatch,
        ClockKind::Arrival => t.clock_arrival,
        ClockKind::Resolution => t.clock_resolution,
        ClockKind::Repair => t.clock_repair,
        ClockKind::Complaint => t.clock_complaint,
        ClockKind::ReturnVisit => t.clock_return_visit,
    }
}

pub fn pause_name(t: &Texts, r: PauseReason) -> &'static str {
    match r {
        PauseReason::WaitingForCustomer => t.pause_waiting_for_customer,
        PauseReason::CustomerPostponed => t.pause_customer_postponed,
        PauseReason::AwaitingQuoteApproval => t.pause_awaiting_quote_approval,
    }
}

fn clock_kind_id(k: ClockKind) -> &'static str {
    match k {
        ClockKind::Response => "response",
        ClockKind::Dispatch => "dispatch",
        ClockKind::Arrival => "arrival",
        ClockKind::Resolution => "resolution",
        ClockKind::Repair => "repair",
        ClockKind::Complaint => "complaint",
        ClockKind::ReturnVisit => "return_visit",
    }
}

/// One clock: time left counting down, red once overdue; met, missed or paused.
#[component]
pub fn ClockBadge(clock: ClockView, now: ReadSignal<i64>, #[prop(optional)] with_name: bool) -> impl IntoView {
    let t = use_texts();
    let testid = format!("clock-{}", clock_kind_id(clock.kind));
    let name = with_name.then(|| view! { <span class="clock-name">{clock_name(t, clock.kind)} " "</span> });
    let c = clock.clone();
    let overdue = move || c.stopped_at_ms.is_none() && (c.breached || c.deadline_ms.is_some_and(|d| now.get() >= d));
    let c = clock.clone();
    let text = move || {
        if c.stopped_at_ms.is_some() {
            return if c.breached { t.clock_missed.to_string() } else { t.clock_met.to_string() };
        }
        if let Some(reason) = c.paused {
            return format!("{}{}{}", t.clock_paused, t.colon, pause_name(t, reason));
        }
        match c.deadline_ms {
            Some(d) if now.get() >= d => t.clock_overdue.replace("{t}", &duration_text(now.get() - d)),
            Some(d) => t.clock_due_in.replace("{t}", &duration_text(d - now.get())),
            None => String::new(),
        }
    };
    let c = clock;
    let class = move || {
        let state = if c.stopped_at_ms.is_some() {
            if c.breached {
                "missed"
            } else {
                "met"
            }
        } else if c.paused.is_some() {
            "paused"
        } else if overdue() {
            "overdue"
        } else {
            "running"
        };
        format!("clock {state}")
    };
    view! {
        <span class=class data-testid=testid>
            {name}
            <span class="clock-text">{text}</span>
        </span>
    }
}
