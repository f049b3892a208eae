use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

use crate::components::NotFound;
use crate::document::{html_document, Scripts};
use crate::i18n::LocaleTexts;
use crate::language::provide_root_context;
use crate::routes::console::followup::{FollowUpPage, RatingsPage, VisitsPage};
use crate::routes::console::guides::{GuidePreviewPage, GuidesPage};
use crate::routes::console::notify::NotifyPage;
use crate::routes::console::notify_log::NotifyLogPage;
use crate::routes::console::report::ReportRoute;
use crate::routes::console::roster::RosterPage;
use crate::routes::console::settings::SettingsPage;
use crate::routes::console::sms::SmsPage;
use crate::routes::console::{CasePage, LoginPage, QueuePage};
use crate::routes::home::HomePage;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    html_document(options, "fixline", Scripts::Hydration, |_| view! { <MetaTags/> }, || view! { <App/> })
}

#[component]
pub fn App() -> impl IntoView {
    // Pages set their titles with leptos_meta; the widget does without it.
    provide_meta_context();
    let t = provide_root_context();
    // Shared parts word errors with the console's texts here.
    provide_context(crate::i18n::ErrorWording(|locale, e| locale.console_texts().error(e)));

    view! {
        <Title text=t.product/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=StaticSegment("") view=HomePage/>
                <Route path=(StaticSegment("console"), StaticSegment("login")) view=LoginPage/>
                <Route path=StaticSegment("console") view=QueuePage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("console"), StaticSegment("guides")) view=GuidesPage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("console"), StaticSegment("settings")) view=SettingsPage ssr=SsrMode::Async/>
                <Route
                    path=(StaticSegment("console"), StaticSegment("guides"), ParamSegment("id"), ParamSegment("version"))
                    view=GuidePreviewPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("console"), StaticSegment("cases"), ParamSegment("number"))
                    view=CasePage
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("console"), StaticSegment("cases"), ParamSegment("number"), StaticSegment("report"))
                    view=ReportRoute
                    ssr=SsrMode::Async
                />
                <Route path=(StaticSegment("console"), StaticSegment("visits")) view=VisitsPage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("console"), StaticSegment("follow-up")) view=FollowUpPage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("console"), StaticSegment("ratings")) view=RatingsPage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("console"), StaticSegment("notify")) view=NotifyPage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("console"), StaticSegment("notify"), StaticSegment("log")) view=NotifyLogPage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("console"), StaticSegment("roster")) view=RosterPage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("console"), StaticSegment("sms")) view=SmsPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
