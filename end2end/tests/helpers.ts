import { expect, Browser, Page } from "@playwright/test";

/** Debian's Chromium and its flags, for the config and for tests that launch their own. */
export const CHROMIUM = {
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
};

/** A fresh browser context signed in to the console as `username`. */
export async function staffPage(browser: Browser, username: string, lang: "zh-CN" | "en") {
  const page = await (await browser.newContext({ locale: lang })).newPage();
  const zh = lang === "zh-CN";
  await page.goto("/console/login");
  await hydrated(page);
  await page.getByLabel(zh ? "用户名" : "Username").fill(username);
  await page.getByLabel(zh ? "密码" : "Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: zh ? "登录" : "Sign in" }).click();
  await expect(page).toHaveURL(/\/console$/);
  return page;
}

/** When several guides fit the equipment the widget asks which; pick one. */
export async function pickGuide(page: Page, title: string) {
  const pick = page.getByRole("button", { name: title });
  const firstStep = page.locator(".step-no");
  await expect(pick.or(firstStep).first()).toBeVisible();
  if (await pick.isVisible()) await pick.click();
}

/** Waits until the WASM has hydrated the page, so clicks reach Leptos. */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated='true']")).toHaveCount(1, { timeout: 20_000 });
  // Parts that hydrate later (the console, once it knows who is signed in) say when they are ready.
  await expect(page.locator("[data-ready='false']")).toHaveCount(0, { timeout: 20_000 });
}

export const DEMO_PASSWORD = "fixline-demo";

/** Fills the intake form; labels are matched in the page's language. */
export async function fillIntake(
  page: Page,
  labels: { name: string; phone: string; asset: string; symptom: string },
  values: { name: string; phone: string; asset: string; symptom: string },
) {
  await page.getByLabel(labels.name).fill(values.name);
  await page.getByLabel(labels.phone).fill(values.phone);
  await page.getByLabel(labels.asset).selectOption({ label: values.asset });
  await page.getByLabel(labels.symptom).fill(values.symptom);
}

export const EN_LABELS = { name: "Your name", phone: "Phone number", asset: "Faulty equipment", symptom: "What is wrong?" };
export const ZH_LABELS = { name: "您的姓名", phone: "联系电话", asset: "出故障的设备", symptom: "故障现象" };
