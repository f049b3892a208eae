//! Staff sign-in.

use leptos::prelude::*;

use crate::components::{ErrorText, LanguageSwitcher};
use crate::errors::AppError;
use crate::functions::auth::Login;
use crate::language::use_console_texts;

#[component]
pub fn LoginPage() -> impl IntoView {
    let t = use_console_texts();
    let login = ServerAction::<Login>::new();
    let pending = login.pending();
    let error = Signal::derive(move || login.value().get().and_then(Result::err));
    view! {
        <main class="page narrow console-login">
            <LanguageSwitcher/>
            <h1>{t.login_title}</h1>
            <ActionForm action=login attr:class="login-form">
                <label for="username">{t.field_username}</label>
                <input id="username" name="username" autocomplete="username" required maxlength="64"/>
                <label for="password">{t.field_password}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                <ErrorText error=Signal::derive(move || error.get().map(|e| match e {
                    AppError::Invalid { .. } => AppError::WrongCredentials,
                    other => other,
                }))/>
                <button type="submit" class="primary" disabled=move || pending.get()>
                    {move || if pending.get() { t.logging_in } else { t.login_button }}
                </button>
            </ActionForm>
        </main>
    }
}
