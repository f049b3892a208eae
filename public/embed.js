/*! Fixline widget loader */
/* ES2019, no deps. CSP-safe: no markup strings, no inline styles (CSSOM
 * only), no eval. Never throws into the host page. The build minifies it
 * (tools/build.sh); it must stay under 6 KB (3 KB gzipped). */
(() => { try {
const w = window, d = document, q = w.Fixline;
if (q && q._fx) return; // loaded twice: first copy wins
const A = Object.assign, safe = f => (...a) => { try { return f(...a) } catch (e) {} };
const s = d.currentScript || d.querySelector('script[src*="embed.js"][data-org]');
const D = s.dataset, org = D.org, tel = D.hotline, bg = D.color || '#1565c0';
if (!org) return;
const O = new URL(s.src).origin; // only origin we talk to
const T = { // label, close, down, +hotline, end, not set up here
  'zh-CN': ['故障报修', '关闭', '报修服务暂时不可用', '，请拨打服务热线 ', '。', '本页面尚未开通在线报修'],
  'zh-TW': ['故障報修', '關閉', '報修服務暫時無法使用', '，請撥打服務熱線 ', '。', '本頁面尚未開通線上報修'],
  en: ['Report a fault', 'Close', 'Fault reporting is unavailable right now', '. Please call the hotline ', '.', 'Online reporting is not set up for this page']
};
// For the host page's admin, in the browser's console.
const WHY = {
  unknown_org: `unknown data-org "${org}"`,
  host_not_allowed: location.origin + ' is not an allowed host page'
};
const lang = T[D.lang] ? D.lang : '', nl = navigator.language;
// No data-lang: follow the browser, as the widget does.
const t = T[lang || (/^zh.(tw|hk|mo)|hant/i.test(nl) ? 'zh-TW' : /^zh/i.test(nl) ? 'zh-CN' : 'en')];
const src = `${O}/widget/${encodeURIComponent(org)}?embed=1${lang && '&lang=' + lang}&host=${encodeURIComponent(location.origin)}`;
const F = '16px system-ui,sans-serif', L = {}, Q = [];
let host, btn, panel, body, xb, fr, pre, rt, ready, isOpen, booted, st = 0; // st: 0 no frame, 1 probing, 2 frame

// element.style (CSSOM) is allowed by a strict style-src CSP.
const mk = (tag, css, at = {}, txt = '') => {
  const e = d.createElement(tag);
  A(e.style, css);
  for (const k in at) e.setAttribute(k, at[k]);
  e.textContent = txt;
  return e;
};
const put = n => { body.textContent = ''; n && body.append(n) };
const emit = (ev, x) => (L[ev] || []).forEach(f => safe(f)(x));
// Explicit targetOrigin; nothing is sent before 'ready'.
const post = (type, data) => fr && ready && fr.contentWindow.postMessage({ fixline: 1, type, data }, O);

// Down (or, with `why`, not set up): show the hotline, not a dead frame.
// Next open retries.
const fail = safe(why => {
  clearTimeout(rt);
  fr && fr.remove();
  fr = ready = null; st = 0;
  why && console.error('Fixline: ' + why + ' (Settings, embedding)');
  const p = mk('p', { margin: '16px' }, { role: 'alert' }, t[why ? 5 : 2]);
  tel && p.append(t[3], mk('a', { display: 'inline-block', minHeight: '44px', lineHeight: '44px' },
    { href: 'tel:' + tel.replace(/[^\d+]/g, '') }, tel));
  p.append(t[4]);
  put(p);
});

const frame = css => {
  put(fr = mk('iframe', A({ border: 0, width: '100%' }, css), { title: t[0], allow: '', src }));
  st = 2;
  rt = setTimeout(fail, 1e4); // no 'ready' in 10 s = down
};

// Ask first: is the service up, the key known, this page allowed to frame
// it? (A refused frame would only show the browser's broken page.)
// (No answer in 4 s: down. AbortSignal.timeout is missing in old browsers.)
const check = () => fetch(`${O}/widget-check/${encodeURIComponent(org)}?host=${encodeURIComponent(location.origin)}`,
  { cache: 'no-store', signal: AbortSignal.timeout && AbortSignal.timeout(4e3) }).then(r => r.json()).catch(() => ({}));
const start = () => {
  put(); st = 1;
  try {
    check().then(safe(a => {
      if (!a.ok) return fail(WHY[a.problem]);
      frame({ position: 'absolute', top: 0, height: '100%' });
      isOpen && fr.focus();
    }));
  } catch (e) { fail() }
};

// Fixed size; full viewport below 480px.
const layout = safe(() => {
  const W = w.innerWidth, n = W < 480;
  A(panel.style, n ? { right: 0, bottom: 0, width: '100%', height: '100%', borderRadius: 0 } : {
    right: '8px', bottom: '80px', borderRadius: '12px',
    width: Math.min(400, W - 16) + 'px', height: Math.min(640, w.innerHeight - 96) + 'px'
  });
});

const open = () => {
  if (!panel || isOpen) return; // inline mode has no panel
  isOpen = 1;
  panel.style.display = 'flex';
  btn.setAttribute('aria-expanded', true);
  layout();
  st || start(); // first open, or retry
  (fr || xb).focus();
  post('open');
  emit('open');
};
// f === 1 (Esc, ×, widget): focus back to the launcher.
const close = f => {
  if (!isOpen) return;
  (f === 1 || d.activeElement === host) && btn.focus();
  isOpen = 0;
  panel.style.display = 'none';
  btn.setAttribute('aria-expanded', false);
  emit('close');
};
const toggle = () => isOpen ? close() : open();
const prefill = p => {
  pre = pre || {};
  for (const k of ['name', 'phone', 'serial']) if (p[k] != null) pre[k] = String(p[k]);
  post('prefill', pre); // else sent on 'ready'
};
const on = (ev, f) => typeof f == 'function' && (L[ev] = L[ev] || []).push(f);

const build = () => {
  host = mk('div', { all: 'initial', position: 'fixed', zIndex: 2147483000 });
  const root = host.attachShadow({ mode: 'open' }); // host CSS can't leak in
  const b = { minWidth: '44px', minHeight: '44px', border: 0, color: '#fff', font: F, cursor: 'pointer' };
  btn = mk('button', A({ position: 'fixed', right: '16px', bottom: '16px', padding: '0 18px',
    borderRadius: '22px', background: bg, boxShadow: '0 2px 8px #0004' }, b),
    { type: 'button', 'aria-expanded': false, 'aria-controls': 'fxp' }, t[0]);
  panel = mk('div', { position: 'fixed', display: 'none', flexDirection: 'column',
    background: '#fff', font: F, overflow: 'hidden', boxShadow: '0 8px 32px #0005' },
    { id: 'fxp', role: 'dialog', 'aria-label': t[0] });
  const hd = mk('div', { display: 'flex', alignItems: 'center', justifyContent: 'space-between',
    paddingLeft: '16px', background: bg, color: '#fff' }, {}, t[0]);
  xb = mk('button', A(b, { background: 'none', fontSize: '24px' }), { type: 'button', 'aria-label': t[1] }, '×');
  body = mk('div', { flex: 1, position: 'relative', overflow: 'auto' });
  btn.onclick = safe(toggle);
  xb.onclick = safe(() => close(1));
  hd.append(xb);
  panel.append(hd, body);
  root.append(btn, panel);
  d.body.append(host);
  w.addEventListener('resize', layout);
  d.addEventListener('keydown', safe(e => isOpen && e.key == 'Escape' && close(1)));
};

// Case tokens kept in the host page's own storage too: a browser that blocks
// third-party storage gives our frame none of its own.
const CK = 'fixline.cases.' + org;
// store(k): read; store(k, v): write v, or remove on ''. Storage may be blocked.
const store = (k, v) => { try { return v == null ? localStorage.getItem(k) : v ? localStorage.setItem(k, v) : localStorage.removeItem(k) } catch (e) {} };
const kept = () => { try { const v = JSON.parse(store(CK)); return Array.isArray(v) ? v : [] } catch (e) { return [] } };
const keep = v => store(CK, JSON.stringify(v));
// So is the report being written (JSON, opaque here): a reload or a
// language switch in the frame gets it back.
const DK = 'fixline.draft.' + org;


// Only our frame's window, from our origin, speaking our protocol.
const onMsg = safe(e => {
  const m = e.data, y = m.type;
  if (e.origin !== O || !fr || e.source !== fr.contentWindow || m.fixline !== 1) return;
  if (y == 'ready') {
    ready = 1;
    clearTimeout(rt);
    const dr = store(DK);
    dr && post('draft', dr); // before the prefill, which fills only empty fields
    pre && post('prefill', pre);
    post('cases', kept());
    isOpen && post('open');
    emit(y);
  } else if (y == 'resize') {
    const h = +m.height; // inline only; the panel has a fixed height
    !panel && h === h && (fr.style.height = Math.min(2000, Math.max(200, h)) + 'px');
  } else if (y == 'close') close(1);
  else if (y == 'draft' && typeof m.data == 'string' && m.data.length <= 1e5) store(DK, m.data);
  else if (y == 'escalated' || y == 'resolved') emit(y, { number: m.number });
  else if (y == 'remember' && /^FX-\d{6,9}$/.test(m.number) && /^[\w-]{16,100}$/.test(m.token)) {
    keep([[m.number, m.token]].concat(kept().filter(c => c[0] != m.number)).slice(0, 20));
  }
});

// API calls queue until boot, then replay with any pre-load array queue.
const fn = { open, close, toggle, prefill, on };
const run = safe(c => fn[c[0]](...[].slice.call(c, 1)));
const api = { _fx: 1, push: (...cs) => (cs.forEach(c => booted ? run(c) : Q.push(c)), api) };
for (const k in fn) api[k] = (...a) => api.push([k, ...a]);
q && q.length && Q.push(...Array.from(q));
w.Fixline = api;

const boot = () => {
  safe(() => {
    let m;
    try { m = D.mount && d.querySelector(D.mount) } catch (e) {} // bad selector
    if (m) {
      body = m.appendChild(mk('div'));
      check().then(safe(a => a.ok ? frame({ display: 'block', height: '640px' }) : fail(WHY[a.problem])));
    } else build();
    w.addEventListener('message', onMsg);
  })();
  booted = 1;
  Q.splice(0).forEach(run);
};
// async may run before <body> exists
d.readyState == 'loading' ? d.addEventListener('DOMContentLoaded', boot) : boot();
} catch (e) {} })();
