import { test, expect, Browser, Page } from "@playwright/test";
import { hydrated, DEMO_PASSWORD } from "./helpers";
import * as path from "path";

const AXE = path.join(__dirname, "..", "node_modules", "axe-core", "axe.min.js");

/** Serious or critical axe-core violations on the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const r = await (window as any).axe.run(document, { resultTypes: ["violations"] });
    return r.violations
      .filter((v: any) => v.impact === "serious" || v.impact === "critical")
      .map((v: any) => `${v.id}: ${v.help} → ${v.nodes.slice(0, 3).map((n: any) => n.target.join(" ")).join(" | ")}`);
  });
  return found;
}

// Injecting axe is an inline script: the test context bypasses our own CSP for it.
async function context(browser: Browser, locale: string) {
  return browser.newContext({ locale, bypassCSP: true });
}

async function signedIn(browser: Browser, username: string): Promise<Page> {
  const page = await (await context(browser, "zh-CN")).newPage();
  await page.goto("/console/login");
  await hydrated(page);
  await page.getByLabel("用户名").fill(username);
  await page.getByLabel("密码").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "登录" }).click();
  await expect(page).toHaveURL(/\/console$/);
  await hydrated(page);
  return page;
}

for (const lang of ["zh-CN", "zh-TW", "en"]) {
  test(`widget pages have no serious accessibility violations (${lang})`, async ({ browser }) => {
    const page = await (await context(browser, lang)).newPage();
    await page.goto(`/widget/demo-hospital?lang=${lang}`);
    await hydrated(page);
    expect(await seriousViolations(page)).toEqual([]);
    // A refused submit shows errors next to the fields: still accessible.
    await page.locator("form button[type='submit']").first().click();
    await expect(page.locator("[role='alert']").first()).toBeVisible();
    expect(await seriousViolations(page)).toEqual([]);
  });
}

test("console pages have no serious accessibility violations", async ({ browser }) => {
  const login = await (await context(browser, "zh-CN")).newPage();
  await login.goto("/console/login");
  await hydrated(login);
  expect(await seriousViolations(login)).toEqual([]);

  const admin = await signedIn(browser, "admin");
  for (const p of ["/console", "/console/guides", "/console/settings", "/console/follow-up", "/console/ratings", "/console/visits"]) {
    await admin.goto(p);
    await hydrated(admin);
    expect(await seriousViolations(admin), p).toEqual([]);
  }
  // A case page and its service report.
  const number = await admin.evaluate(async () => {
    const form = (b: string) => ({ method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: b });
    const info = await (await fetch("/api/load_widget", form("org_key=demo-hospital"))).json();
    const submission = {
      org_key: "demo-hospital", submission_id: crypto.randomUUID().replace(/-/g, ""), reporter_name: "王芳", phone: "13800138000",
      asset_id: info.assets[0].id, symptom: "无障碍检查用报修", guide_id: "", guide_version: 0, steps: [], result: "escalate",
    };
    const r = await fetch("/api/submit_case", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ submission }) });
    return (await r.json()).number as string;
  });
  for (const p of [`/console/cases/${number}`, `/console/cases/${number}/report`]) {
    await admin.goto(p);
    await hydrated(admin);
    expect(await seriousViolations(admin), p).toEqual([]);
  }
});
