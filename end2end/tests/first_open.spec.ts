import { test, expect, Route } from "@playwright/test";
import { ZH_LABELS } from "./helpers";

// The widget's report form works before its code (the WASM) has arrived:
// the page loads the code only after itself, so a slow connection shows a
// usable form first. These hold the code back and type meanwhile.

const WIDGET = "/widget/demo-hospital";
const ASSET = "无线报警主机 HA-8800（门诊楼）";
const NEXT = "下一步：自助排查";

/** Holds every request for the widget's WASM until `release()`. */
function holdCode(page: import("@playwright/test").Page) {
  const held: Route[] = [];
  let released = false;
  const ready = page.route(/\/pkg\/.*widget\.wasm/, (route) => (released ? route.continue() : held.push(route)));
  return {
    ready,
    count: () => held.length,
    release: async () => {
      released = true;
      for (const r of held.splice(0)) await r.continue();
    },
    /** The held requests fail; later ones go through. */
    fail: async () => {
      released = true;
      for (const r of held.splice(0)) await r.abort("connectionreset");
    },
  };
}

test("typing and 'next' before the code arrives: nothing is lost and the walk starts once it has", async ({ page }) => {
  const code = holdCode(page);
  await code.ready;
  const requested: string[] = [];
  page.on("request", (r) => requested.push(new URL(r.url()).pathname));
  await page.goto(WIDGET);
  // The form is there and usable at once; the code is asked for only after the page has loaded.
  await expect(page.getByLabel(ZH_LABELS.symptom)).toBeEditable();
  await expect.poll(code.count).toBe(1);
  const symptom = `先于代码输入 ${Date.now()}`;
  await page.getByLabel(ZH_LABELS.name).fill("早到的客户");
  await page.getByLabel(ZH_LABELS.phone).fill("13800138000");
  await page.getByLabel(ZH_LABELS.asset).selectOption({ label: ASSET });
  await page.getByLabel(ZH_LABELS.symptom).fill(symptom);
  await expect(page.locator("body[data-hydrated='true']")).toHaveCount(0);
  await page.getByRole("button", { name: NEXT }).click();
  // Waits, says so, and stays on the page (no native submit, nothing in the URL).
  await expect(page.getByTestId("pre-status")).toHaveText("正在加载…");
  expect(page.url()).not.toContain("13800138000");
  expect(page.url()).toMatch(/\/widget\/demo-hospital$/);

  await code.release();
  await expect(page.locator("body[data-hydrated='true']")).toHaveCount(1, { timeout: 20_000 });
  // "Next" went on by itself: the walk has started, and the report typed early is the widget's.
  await expect(page.getByLabel(ZH_LABELS.symptom)).toHaveCount(0, { timeout: 20_000 });
  await expect(page.getByTestId("pre-status")).toHaveCount(0);
  const draft = await page.evaluate(() => localStorage.getItem("fixline.draft.demo-hospital") ?? "");
  expect(draft).toContain(symptom);
  expect(draft).toContain("早到的客户");
  expect(draft).toContain("13800138000");
  // The code was asked for once (the held request), the walk's chunks after it.
  expect(requested.filter((p) => p.endsWith("/widget.wasm")).length).toBe(1);
});

test("the code cannot be fetched: 'next' says so, and pressing it again tries again", async ({ page }) => {
  let refused = 0;
  await page.route(/\/pkg\/.*widget\.wasm/, (route) => (refused++ < 1 ? route.abort("connectionrefused") : route.continue()));
  await page.goto(WIDGET);
  await expect.poll(() => refused).toBeGreaterThan(0);
  await page.getByLabel(ZH_LABELS.symptom).fill("代码取不到时");
  // The first try (after the page loaded) failed quietly; "next" tries again and succeeds.
  await page.getByRole("button", { name: NEXT }).click();
  await expect(page.locator("body[data-hydrated='true']")).toHaveCount(1, { timeout: 20_000 });
  // The form is the widget's now: its own check answers "next" (name, phone, equipment missing).
  await expect(page.getByLabel(ZH_LABELS.symptom)).toHaveValue("代码取不到时");
  await expect(page.locator("#phone[aria-invalid='true']")).toHaveCount(1);
});

test("the code failing while 'next' waits: the customer is told, and the next press tries again", async ({ page }) => {
  const code = holdCode(page);
  await code.ready;
  await page.goto(WIDGET);
  await expect.poll(code.count).toBe(1);
  await page.getByLabel(ZH_LABELS.symptom).fill("网络断了");
  await page.getByRole("button", { name: NEXT }).click();
  await expect(page.getByTestId("pre-status")).toHaveText("正在加载…");
  await code.fail();
  await expect(page.getByTestId("pre-status")).toHaveText(/无法连接服务器/);
  await expect(page.locator("body[data-hydrated='true']")).toHaveCount(0);
  // Pressed again: fetched again, and the widget's own check answers.
  await page.getByRole("button", { name: NEXT }).click();
  await expect(page.locator("body[data-hydrated='true']")).toHaveCount(1, { timeout: 20_000 });
  await expect(page.locator("#phone[aria-invalid='true']")).toHaveCount(1);
  await expect(page.getByTestId("pre-status")).toHaveText("");
  await expect(page.getByLabel(ZH_LABELS.symptom)).toHaveValue("网络断了");
});

test("without scripts the form posts nowhere harmful: a page says scripts are needed, with the hotline", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: "zh-CN" });
  const page = await context.newPage();
  await page.goto(WIDGET);
  await page.getByLabel(ZH_LABELS.phone).fill("13800138000");
  await page.getByLabel(ZH_LABELS.symptom).fill("没有脚本");
  await page.getByRole("button", { name: NEXT }).click();
  await expect(page.getByTestId("widget-needs-script")).toContainText("JavaScript");
  await expect(page.locator("a[href^='tel:']")).toHaveCount(1);
  expect(page.url()).not.toContain("13800138000");
  await context.close();
});
