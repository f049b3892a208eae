import { test, expect } from "@playwright/test";
import { hydrated, pickGuide, fillIntake, EN_LABELS, DEMO_PASSWORD } from "./helpers";

test("a customer reports, troubleshoots, escalates; staff open the case", async ({ browser }) => {
  const customer = await browser.newContext({ locale: "zh-CN" });
  const page = await customer.newPage();
  await page.goto("/widget/demo-hospital");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "故障报修" })).toBeVisible();

  // Validated in the browser first: nothing filled in names every field.
  await page.getByRole("button", { name: "下一步：自助排查" }).click();
  await expect(page.locator("#reporter-name-error")).toHaveText("必填");
  await expect(page.locator("#phone-error")).toHaveText("必填");
  await page.getByLabel("联系电话").fill("12345");
  await page.getByRole("button", { name: "下一步：自助排查" }).click();
  await expect(page.locator("#phone-error")).toContainText("有效的手机号");

  await page.getByLabel("您的姓名").fill("王芳");
  await page.getByLabel("联系电话").fill("138 0013 8000");
  await page.getByLabel("出故障的设备").selectOption({ label: "无线报警主机 HA-8800（门诊楼）" });
  const symptom = `主机面板全部不亮 ${Date.now()}`;
  await page.getByLabel("故障现象").fill(symptom);

  // The guides load once; each step then runs in the browser.
  const apiCalls: string[] = [];
  // (The case tracker's reads and its wait for news are not part of the walk.)
  page.on("request", (r) => {
    if (r.url().includes("/api/") && !/\/api\/(track_case|await_case_change)/.test(r.url())) apiCalls.push(new URL(r.url()).pathname);
  });
  await page.getByRole("button", { name: "下一步：自助排查" }).click();
  await pickGuide(page, "报警主机故障自助排查");
  await expect(page.getByText("第 1 步")).toBeVisible();
  await page.getByRole("button", { name: "全部不亮" }).click();
  await expect(page.getByText("第 2 步")).toBeVisible();
  // Back and forward again.
  await page.getByRole("button", { name: "上一步" }).click();
  await expect(page.getByText("第 1 步")).toBeVisible();
  await page.getByRole("button", { name: "全部不亮" }).click();
  await page.getByRole("button", { name: "没有解决" }).click();
  await expect(page.getByRole("heading", { name: "需要技术员处理" })).toBeVisible();
  // One load and one "guide started" count; nothing per step.
  expect([...apiCalls].sort()).toEqual(["/api/load_guides", "/api/start_guide"]);

  await page.getByRole("button", { name: "提交报修" }).click();
  const number = page.getByTestId("case-number");
  await expect(number).toHaveText(/^FX-\d{6}$/);
  const caseNumber = (await number.textContent())!.trim();
  expect([...apiCalls].sort()).toEqual(["/api/load_guides", "/api/start_guide", "/api/submit_case"]);

  // Reloads: the page hydrates cleanly every time (the server renders the same page on every request)
  // and the tracker, built in the browser from the kept case token, works after each.
  const panics: string[] = [];
  page.on("console", (m) => { if (/panicked|hydration/i.test(m.text())) panics.push(m.text()); });
  for (let i = 0; i < 5; i++) {
    await page.reload();
    await hydrated(page);
    await expect(page.locator(`[data-case='${caseNumber}']`)).toBeVisible();
  }
  expect(panics).toEqual([]);

  // Staff: the console sends a stranger to sign-in, then shows the case.
  const staff = await browser.newContext({ locale: "zh-CN" });
  const console = await staff.newPage();
  await console.goto("/console");
  await expect(console).toHaveURL(/\/console\/login$/);
  await hydrated(console);
  await console.getByLabel("用户名").fill("dispatcher");
  await console.getByLabel("密码").fill("wrong-password");
  await console.getByRole("button", { name: "登录" }).click();
  await expect(console.getByRole("alert")).toContainText("用户名或密码错误");
  await console.getByLabel("密码").fill(DEMO_PASSWORD);
  await console.getByRole("button", { name: "登录" }).click();
  await expect(console).toHaveURL(/\/console$/);
  await expect(console.getByTestId("staff-name")).toHaveText("调度 李娜");
  await console.getByRole("link", { name: caseNumber }).click();
  await expect(console).toHaveURL(new RegExp(`/console/cases/${caseNumber}$`));
  await expect(console.getByTestId("case-symptom")).toHaveText(symptom);
  const transcript = console.getByTestId("transcript");
  await expect(transcript).toContainText("全部不亮");
  await expect(transcript).toContainText("没有解决");
  await expect(console.getByText("13800138000")).toBeVisible();
  await expect(console.getByText("携带 12V 电源适配器")).toBeVisible();

  // Sign out ends the session.
  await console.getByRole("button", { name: "退出登录" }).click();
  await expect(console).toHaveURL(/\/console\/login$/);
  await console.goto("/console");
  await expect(console).toHaveURL(/\/console\/login$/);
  await customer.close();
  await staff.close();
});

test("a customer who fixes it is recorded as self-resolved", async ({ page }) => {
  await page.goto("/widget/demo-factory?lang=en");
  await hydrated(page);
  await fillIntake(page, EN_LABELS, {
    name: "Li Lei", phone: "021-12345678", asset: "无线报警主机 HA-6600（一号厂区）", symptom: "Keypad does not respond",
  });
  await page.getByRole("button", { name: "Next: troubleshoot" }).click();
  await pickGuide(page, "Alarm panel self-check");
  await page.getByRole("button", { name: "Lit, but the keys do nothing" }).click();
  // Only a panel with a plug-in adapter is restarted by the customer.
  await page.getByRole("button", { name: "An adapter plugged into a socket" }).click();
  await page.getByRole("button", { name: "Yes, it works now" }).click();
  await expect(page.getByRole("heading", { name: "Fixed" })).toBeVisible();
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByTestId("self-fix-recorded")).toBeVisible();
});

test("an unknown organisation key gets a proper 404 page", async ({ page }) => {
  const res = await page.goto("/widget/no-such-org");
  expect(res?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "页面不存在" })).toBeVisible();
  await expect(page.getByText("找不到该报修入口")).toBeVisible();
});

test("the widget fits a 360 px phone and switches language", async ({ browser }) => {
  const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: "zh-TW" });
  const page = await phone.newPage();
  await page.goto("/widget/demo-hospital");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "故障報修" })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  const fontSize = await page.getByLabel("聯絡電話").evaluate((el) => getComputedStyle(el).fontSize);
  expect(parseFloat(fontSize)).toBeGreaterThanOrEqual(16);
  await page.getByRole("link", { name: "English" }).click();
  await expect(page.getByRole("heading", { name: "Report a fault" })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await phone.close();
});

test("a reload keeps the report and the walk", async ({ page }) => {
  await page.goto("/widget/demo-factory?lang=en");
  await hydrated(page);
  await fillIntake(page, EN_LABELS, {
    name: "Zhang Wei", phone: "13912345678", asset: "无线报警主机 HA-6600（一号厂区）", symptom: "Panel beeps and shows a fault light",
  });
  await page.getByRole("button", { name: "Next: troubleshoot" }).click();
  await pickGuide(page, "Alarm panel self-check");
  await page.getByRole("button", { name: "Fault light on or blinking" }).click();
  await expect(page.getByText("Step 2")).toBeVisible();

  await page.reload();
  await hydrated(page);
  await expect(page.getByText("Step 2")).toBeVisible();
  await page.getByRole("button", { name: "Back" }).click();
  await expect(page.getByText("Step 1")).toBeVisible();
  await page.getByRole("button", { name: "Edit the report" }).click();
  await expect(page.getByLabel("Your name")).toHaveValue("Zhang Wei");
  await expect(page.getByLabel("Faulty equipment")).toHaveValue(/\d+/);
});

test("each language renders the widget and a guide step with no missing text", async ({ page }) => {
  const cjk = /[\u3400-\u9fff]/;
  const seen: Record<string, string[]> = {};
  for (const lang of ["zh-CN", "zh-TW", "en"]) {
    await page.goto(`/widget/demo-factory?lang=${lang}`);
    await hydrated(page);
    await expect(page.locator("html")).toHaveAttribute("lang", lang);
    await page.getByRole("combobox").selectOption({ label: "无线报警主机 HA-6600（一号厂区）" });
    // The interface's own words (not the organisation's data, which is Chinese in every language).
    const chrome = async () =>
      page.evaluate(() => [
        ...[...document.querySelectorAll("h1, h2, label, button, .intro, .hint, option[value=''], .step-no")].map((e) => (e.textContent ?? "").trim()),
        ...[...document.querySelectorAll("[placeholder]")].map((e) => e.getAttribute("placeholder")!.trim()),
        document.title.trim(),
      ]);
    const form = await chrome();
    // Walk one step in so the guide's own text is checked too.
    await page.locator("#reporter-name").fill("Li Lei");
    await page.locator("#phone").fill("13800138000");
    await page.locator("#symptom").fill("No response");
    await page.locator("form.intake button[type=submit]").click();
    const pick = page.locator(".choices button").first();
    await expect(pick.or(page.locator(".step-no")).first()).toBeVisible();
    if (!(await page.locator(".step-no").isVisible())) await pick.click();
    await expect(page.locator(".step-no")).toBeVisible();
    const step = await chrome();
    const texts = [...form, ...step];
    expect(texts.filter((t) => t === "" || /\{[a-z_]*\}|^[a-z]+(_[a-z]+)+$/.test(t)), `${lang}: empty or raw key`).toEqual([]);
    if (lang === "en") expect(texts.filter((t) => cjk.test(t)), "en: untranslated").toEqual([]);
    // An example e-mail address is Latin letters in every language.
    const address = /^[\w.+-]+@[\w-]+(\.[\w-]+)+$/;
    if (lang !== "en") expect(texts.filter((t) => !cjk.test(t) && !address.test(t) && /[a-z]{4,}/i.test(t)), `${lang}: English left in`).toEqual([]);
    seen[lang] = texts;
    // Leave no draft behind for the next language.
    await page.evaluate(() => localStorage.clear());
  }
  expect(seen["zh-TW"]).not.toEqual(seen["zh-CN"]);
});
