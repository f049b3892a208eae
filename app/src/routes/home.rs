use leptos::prelude::*;

use crate::language::use_console_texts;

use crate::components::LanguageSwitcher;

#[component]
pub fn HomePage() -> impl IntoView {
    let t = use_console_texts();
    view! {
        <main class="page narrow">
            <LanguageSwitcher/>
            <h1>{t.home_title}</h1>
            <p>{t.home_intro}</p>
            <ul class="links">
                <li><a href="/widget/demo-hospital" rel="external">{t.home_widget_link}</a></li>
                <li><a href="/console">{t.home_console_link}</a></li>
            </ul>
        </main>
    }
}
