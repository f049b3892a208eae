//! How the widget's code reaches the customer's browser. The page arrives
//! server-rendered with a report form that works at once; the code (the
//! WASM that hydrates it) is fetched only after the page has loaded (at the
//! latest 1.5 s after, however busy the browser), or at the customer's
//! first touch or key, so on a slow phone the form and its stylesheet get
//! the connection first. (In `embed.js`'s frame the page loads its code
//! with it, as the console does: the customer opened the panel to use it,
//! and the host page waits for the widget to say it is ready.) Until the
//! code runs:
//! - what the customer types stays in the form, and is handed to the code
//!   once it runs (an input event per field, as if typed again);
//! - "next" waits for the code, says so in the form's `.pre-status`
//!   (`data-loading`), then goes on; if the code cannot be fetched it says
//!   so (`data-failed`) and "next" tries again.
//!
//! The loader is a few hundred bytes inline in the page (under the page's
//! CSP nonce), so the form needs no other file than the stylesheet.

use leptos::prelude::*;

/// The loader, minus its arguments (the bundle's JS and WASM addresses).
const LOADER: &str = r#"((js,wasm)=>{const d=document,f=d.querySelector("form.intake"),s=f&&f.querySelector(".pre-status");let state=0,pending=0,tries=0;const say=k=>s&&(s.textContent=k?f.dataset[k]:"");const box=e=>e.type=="checkbox";const start=()=>{if(state)return;state=1;import(js+(tries++?"?retry="+tries:"")).then(m=>m.default({module_or_path:wasm}).then(()=>m)).then(m=>{state=2;const kept=f?[...f.elements].map(e=>[e,box(e)?e.checked:e.value]):[];m.hydrate();setTimeout(()=>{for(const[e,v]of kept){if(!v||(box(e)?e.checked:e.value==v))continue;box(e)?e.checked=v:e.value=v;e.dispatchEvent(new Event(box(e)||e.tagName=="SELECT"?"change":"input",{bubbles:true}))}say();pending&&f.querySelector("[type=submit]").click();pending=0})},()=>{state=0;pending&&say("failed");pending=0})};f&&f.addEventListener("submit",e=>{if(state<2){e.preventDefault();pending=1;say("loading");start()}});for(const t of["pointerdown","keydown","focusin"])addEventListener(t,start,{once:true,capture:true});const idle=()=>window.requestIdleCallback?requestIdleCallback(start,{timeout:1500}):setTimeout(start);d.readyState=="complete"?idle():addEventListener("load",idle)})"#;

/// The inline module script that loads `options.output_name`'s bundle
/// from `options.site_pkg_dir` after the page (see the module's comment).
pub(crate) fn loader_script(options: &LeptosOptions) -> impl IntoView {
    let pkg = format!("/{}/{}", options.site_pkg_dir, options.output_name);
    let code = format!("{LOADER}(\"{pkg}.js\",\"{pkg}.wasm\")");
    view! { <script type="module" nonce=leptos::nonce::use_nonce() inner_html=code></script> }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_loader_stays_small_and_closed() {
        // It is part of every first open: a few hundred bytes, one expression.
        assert!(super::LOADER.len() < 1400, "{} bytes", super::LOADER.len());
        assert!(super::LOADER.starts_with("((js,wasm)=>{") && super::LOADER.ends_with("})"));
    }
}
