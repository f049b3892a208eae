//! The frame of every staff page: who is signed in (loaded once, in
//! context), the console's header, and the way to the sign-in page.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use super::names::role_name;
use super::{ready_marker, LanguageSwitcher};
use crate::errors::AppError;
use crate::functions::auth::{current_staff, Logout};
use crate::language::use_console_texts;
use crate::models::{Role, StaffUser};

/// The signed-in staff member, as loaded once by `StaffOnly`.
#[derive(Clone, Copy)]
pub struct SignedIn(pub Resource<Result<Option<StaffUser>, AppError>>);

/// Renders `children` for a signed-in staff member; otherwise sends the
/// browser to the sign-in page.
#[component]
pub fn StaffOnly(children: Children) -> impl IntoView {
    let t = use_console_texts();
    let user = Resource::new(|| (), |_| current_staff());
    // Provided here, synchronously, so pages below find it however their
    // own data resolves during hydration.
    provide_context(SignedIn(user));
    // The page is built once, beside (not inside) the part that waits for
    // the user: a Suspense closure runs again as its data arrives on the
    // server, and a page built inside it was built again each time, so the
    // server's numbering of resources (and its HTML) differed from the
    // browser's and hydration failed now and then.
    let ready = ready_marker();
    view! {
        <div class="staff-root" data-ready=ready>
            <Suspense fallback=move || view! { <p class="loading">{t.loading}</p> }>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) => view! { <ConsoleHeader user/> }.into_any(),
                        Ok(None) => view! { <Redirect path="/console/login"/> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{t.error(&e)}</p> }.into_any(),
                    }
                })}
            </Suspense>
            {children()}
        </div>
    }
}

#[component]
fn ConsoleHeader(user: StaffUser) -> impl IntoView {
    let t = use_console_texts();
    let logout = ServerAction::<Logout>::new();
    view! {
        <header class="console-head">
            <a class="brand" href="/console">{t.console_title}</a>
            <nav class="console-nav" aria-label=t.console_title>
                <a href="/console">{t.queue_title}</a>
                <a href="/console/visits">{t.visits_link}</a>
                {(user.role != Role::Technician).then(|| view! { <a href="/console/follow-up">{t.followups_link}</a> })}
                <a href="/console/guides">{t.guides_link}</a>
                {matches!(user.role, Role::Admin | Role::Supervisor).then(|| view! { <a href="/console/ratings">{t.ratings_link}</a> })}
                {matches!(user.role, Role::Admin | Role::Supervisor).then(|| view! { <a href="/console/roster">{t.roster_link}</a> })}
                {(user.role == Role::Admin).then(|| view! { <a href="/console/notify">{t.notify_nav}</a> })}
                {matches!(user.role, Role::Admin | Role::Supervisor).then(|| view! { <a href="/console/settings">{t.settings_link}</a> })}
            </nav>
            <span class="who">
                {t.signed_in_as} ": " <strong data-testid="staff-name">{user.display_name}</strong> " (" {role_name(t, user.role)} ")"
            </span>
            <LanguageSwitcher/>
            <ActionForm action=logout attr:class="logout">
                <button type="submit" class="secondary">{t.logout_button}</button>
            </ActionForm>
        </header>
    }
}
