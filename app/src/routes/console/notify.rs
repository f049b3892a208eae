//! Notification channels (admins): the chat robots Fixline posts to, what
//! each receives, and "send a test" showing the provider's own answer.
//! Addresses and secrets come back masked; leaving them empty keeps them.

use leptos::prelude::*;

use crate::components::staff::StaffOnly;
use crate::components::{ErrorText, FieldMsg, Loaded};
use crate::domain::notify::{ChannelKind, Topic};
use crate::errors::{AppError, Field};
use crate::functions::notify::{load_channels, DeleteChannel, SaveChannel, TestChannel};
use crate::i18n::{ConsoleTexts, Locale, LocaleTexts};
use crate::language::use_console_texts;
use crate::models::notify::{ChannelForm, ChannelView, Channels, TestOutcome};

pub fn kind_name(t: &ConsoleTexts, k: ChannelKind) -> &'static str {
    match k {
        ChannelKind::Wecom => t.kind_wecom,
        ChannelKind::Dingtalk => t.kind_dingtalk,
        ChannelKind::Feishu => t.kind_feishu,
        ChannelKind::Email => t.kind_email,
    }
}

pub fn topic_name(t: &ConsoleTexts, topic: Topic) -> &'static str {
    match topic {
        Topic::NewCase => t.topic_new_case,
        Topic::Breach => t.topic_breach,
        Topic::Reminder => t.topic_reminder,
        Topic::Dispatched => t.topic_dispatched,
        Topic::Quote => t.topic_quote,
        Topic::Complaint => t.topic_complaint,
        Topic::LowRating => t.topic_low_rating,
        Topic::Test => t.topic_test,
    }
}

/// The address each provider gives, as a placeholder.
fn example_url(k: ChannelKind) -> &'static str {
    match k {
        ChannelKind::Wecom => "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
        ChannelKind::Dingtalk => "https://oapi.dingtalk.com/robot/send?access_token=…",
        ChannelKind::Feishu => "https://open.feishu.cn/open-apis/bot/v2/hook/…",
        ChannelKind::Email => "dispatch@example.com, 主管 <boss@example.com>",
    }
}

#[component]
pub fn NotifyPage() -> impl IntoView {
    // Bumped by any editor or card that changed a channel: the list reloads.
    let changed = RwSignal::new(0u32);
    let channels = Resource::new(move || changed.get(), |_| load_channels());
    view! {
        <StaffOnly>
            <Loaded resource=channels render=move |c| view! { <ChannelList list=c changed/> }/>
        </StaffOnly>
    }
}

#[component]
fn ChannelList(list: Channels, changed: RwSignal<u32>) -> impl IntoView {
    let t = use_console_texts();
    let ready = crate::components::ready_marker();
    let orgs = list.orgs.clone();
    let empty = list.channels.is_empty();
    let email_ready = list.email_ready;
    view! {
        <main class="console notify" data-ready=ready>
            <h1>{t.notify_title}</h1>
            <p class="hint">{t.notify_intro}</p>
            <p class="links"><a href="/console/notify/log">{t.deliveries_link}</a> " · " <a href="/console/roster">{t.roster_link}</a>
                " · " <a href="/console/sms">{t.sms_title}</a></p>
            {empty.then(|| view! { <p>{t.notify_none}</p> })}
            <ul class="channels">
                {list.channels.into_iter().map(|c| view! { <ChannelCard channel=c orgs=orgs.clone() changed email_ready/> }).collect_view()}
            </ul>
            <details class="add-channel" open=empty>
                <summary>{t.notify_add}</summary>
                {(!email_ready).then(|| view! { <p class="hint">{t.notify_email_off}</p> })}
                <ChannelEditor initial=None orgs=list.orgs changed email_ready/>
            </details>
        </main>
    }
    .into_any()
}

#[component]
fn ChannelCard(channel: ChannelView, orgs: Vec<(i64, String)>, changed: RwSignal<u32>, email_ready: bool) -> impl IntoView {
    let t = use_console_texts();
    let test = ServerAction::<TestChannel>::new();
    let remove = ServerAction::<DeleteChannel>::new();
    let editing = RwSignal::new(false);
    let confirm = RwSignal::new(false);
    Effect::new(move |_| {
        if matches!(remove.value().get(), Some(Ok(()))) {
            changed.update(|n| *n += 1);
        }
    });
    let id = channel.id;
    let org = channel.org_id.and_then(|o| orgs.iter().find(|(i, _)| *i == o)).map_or(t.notify_all_orgs.to_string(), |(_, n)| n.clone());
    let topics: Vec<&str> = channel.topics.iter().map(|x| topic_name(t, *x)).collect();
    let (kind, name, url, active, language, mention) =
        (channel.kind, channel.name.clone(), channel.url.clone(), channel.active, channel.language, channel.mention_on_duty);
    let result = move || test.value().get().map(|r| view! { <TestResult result=r testid="test-result"/> });
    view! {
        <li class="channel" data-testid="channel" data-kind=kind.as_str()>
            <h2>{name} " · " <span class="kind">{kind_name(t, kind)}</span>
                {(!active).then(|| view! { " · " <span class="muted">{t.notify_inactive}</span> })}
            </h2>
            <p><code class="masked">{url}</code></p>
            <p>{t.notify_topics} {t.colon} {topics.join("、")}</p>
            <p>{t.notify_scope} {t.colon} {org} " · " {language.native_name()}
                {mention.then(|| view! { " · " {t.notify_mention}})}
            </p>
            <div class="actions">
                <button type="button" class="primary" disabled=move || test.pending().get()
                    on:click=move |_| { test.dispatch(TestChannel { id }); }>
                    {move || if test.pending().get() { t.notify_testing } else { t.notify_test }}
                </button>
                <button type="button" class="secondary" on:click=move |_| editing.update(|e| *e = !*e)>{t.notify_edit}</button>
                <Show when=move || confirm.get() fallback=move || view! {
                    <button type="button" class="secondary" on:click=move |_| confirm.set(true)>{t.notify_remove}</button>
                }>
                    <button type="button" class="danger" on:click=move |_| { remove.dispatch(DeleteChannel { id }); }>{t.notify_remove_confirm}</button>
                </Show>
            </div>
            {result}
            <ErrorText error=Signal::derive(move || remove.value().get().and_then(Result::err))/>
            <Show when=move || editing.get()>
                <ChannelEditor initial=Some(channel.clone()) orgs=orgs.clone() changed email_ready/>
            </Show>
        </li>
    }
}

#[component]
fn ChannelEditor(initial: Option<ChannelView>, orgs: Vec<(i64, String)>, changed: RwSignal<u32>, email_ready: bool) -> impl IntoView {
    let t = use_console_texts();
    let editing = initial.is_some();
    let c = initial.clone();
    let id = c.as_ref().map(|c| c.id);
    let kind = RwSignal::new(c.as_ref().map_or(ChannelKind::Dingtalk, |c| c.kind));
    let name = RwSignal::new(c.as_ref().map(|c| c.name.clone()).unwrap_or_default());
    let url = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let topics = RwSignal::new(c.as_ref().map_or(vec![Topic::NewCase, Topic::Breach], |c| c.topics.clone()));
    let org = RwSignal::new(c.as_ref().and_then(|c| c.org_id));
    let mention = RwSignal::new(c.as_ref().is_none_or(|c| c.mention_on_duty));
    let language = RwSignal::new(c.as_ref().map_or(Locale::ZhCn, |c| c.language));
    let active = RwSignal::new(c.as_ref().is_none_or(|c| c.active));
    let save = ServerAction::<SaveChannel>::new();
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_))) {
            changed.update(|n| *n += 1);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = ChannelForm {
            id,
            kind: kind.get_untracked(),
            name: name.get_untracked(),
            url: url.get_untracked(),
            secret: secret.get_untracked(),
            topics: topics.get_untracked(),
            org_id: org.get_untracked(),
            mention_on_duty: mention.get_untracked(),
            language: language.get_untracked(),
            active: active.get_untracked(),
        };
        save.dispatch(SaveChannel { form });
    };
    let ids = move |s: &str| format!("ch-{}-{s}", id.unwrap_or(0));
    let keep = if editing { t.notify_keep } else { "" };
    let described = move |field: Field| move || error.get().and_then(|e: AppError| e.problem_for(field)).map(|_| "true");
    view! {
        <form class="settings-form channel-form" on:submit=submit>
            <label for=ids("kind")>{t.notify_kind}</label>
            <select id=ids("kind") on:change=move |ev| if let Some(k) = ChannelKind::parse(&event_target_value(&ev)) { kind.set(k) }>
                {ChannelKind::ALL.into_iter().map(|k| view! {
                    <option value=k.as_str() selected=move || kind.get() == k disabled=k == ChannelKind::Email && !email_ready>{kind_name(t, k)}</option>
                }).collect_view()}
            </select>
            <label for=ids("name")>{t.field_channel_name}</label>
            <input id=ids("name") maxlength="60" required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))
                aria-invalid=described(Field::ChannelName)/>
            <FieldMsg field=Field::ChannelName id="channel-name-error" error/>
            <label for=ids("url")>{move || if kind.get() == ChannelKind::Email { t.notify_recipients } else { t.field_channel_url }}</label>
            <input id=ids("url") maxlength="500" autocomplete="off" type=move || if kind.get() == ChannelKind::Email { "text" } else { "url" }
                placeholder=move || if editing { keep.to_string() } else { example_url(kind.get()).to_string() }
                prop:value=move || url.get() on:input=move |ev| url.set(event_target_value(&ev)) aria-invalid=described(Field::ChannelUrl)/>
            <FieldMsg field=Field::ChannelUrl id="channel-url-error" error/>
            <Show when=move || kind.get().needs_secret()>
                <label for=ids("secret")>{t.field_channel_secret}</label>
                <input id=ids("secret") type="password" maxlength="200" autocomplete="new-password" placeholder=if editing { keep } else { "SEC…" }
                    prop:value=move || secret.get() on:input=move |ev| secret.set(event_target_value(&ev))
                    aria-invalid=described(Field::ChannelSecret)/>
                <FieldMsg field=Field::ChannelSecret id="channel-secret-error" error/>
            </Show>
            <fieldset class="topics">
                <legend>{t.notify_topics}</legend>
                {Topic::SUBSCRIBABLE.into_iter().map(|topic| view! {
                    <label class="check">
                        <input type="checkbox" value=topic.as_str() prop:checked=move || topics.read().contains(&topic)
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                topics.update(|ts| { ts.retain(|x| *x != topic); if on { ts.push(topic) } });
                            }/>
                        {topic_name(t, topic)}
                    </label>
                }).collect_view()}
            </fieldset>
            <label for=ids("org")>{t.notify_scope}</label>
            <select id=ids("org") on:change=move |ev| org.set(event_target_value(&ev).parse().ok())>
                <option value="" selected=move || org.get().is_none()>{t.notify_all_orgs}</option>
                {orgs.into_iter().map(|(oid, oname)| view! { <option value=oid.to_string() selected=move || org.get() == Some(oid)>{oname}</option> }).collect_view()}
            </select>
            <label for=ids("lang")>{t.language}</label>
            <select id=ids("lang") on:change=move |ev| if let Some(l) = Locale::from_tag(&event_target_value(&ev)) { language.set(l) }>
                {Locale::ALL.into_iter().map(|l| view! { <option value=l.tag() selected=move || language.get() == l>{l.native_name()}</option> }).collect_view()}
            </select>
            <label class="check">
                <input type="checkbox" prop:checked=move || mention.get() on:change=move |ev| mention.set(event_target_checked(&ev))/>
                {t.notify_mention}
            </label>
            <label class="check">
                <input type="checkbox" prop:checked=move || active.get() on:change=move |ev| active.set(event_target_checked(&ev))/>
                {t.notify_active}
            </label>
            <button type="submit" class="primary" disabled=move || save.pending().get()>{t.notify_save}</button>
            <Show when=move || matches!(save.value().get(), Some(Ok(_)))><span class="ok" role="status">{t.saved}</span></Show>
            <ErrorText error/>
        </form>
    }
}

/// What a provider answered to "send a test" (robots and SMS alike), or why
/// it could not be sent.
#[component]
pub fn TestResult(result: Result<TestOutcome, AppError>, testid: &'static str) -> impl IntoView {
    let t = use_console_texts();
    match result {
        Ok(o) => {
            let head = if o.ok { t.notify_test_ok } else { t.notify_test_failed };
            let line = format!("{head} · HTTP {} · {} ms", o.status, o.latency_ms);
            view! {
                <div class="test-result" class:ok=o.ok class:error=!o.ok role="status" data-testid=testid>
                    <p>{line}</p>
                    <code>{o.answer}</code>
                </div>
            }
            .into_any()
        }
        Err(e) => view! { <p class="error" role="alert">{t.error(&e)}</p> }.into_any(),
    }
}
