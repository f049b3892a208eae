import { test, expect } from "@playwright/test";
import { hydrated, staffPage } from "./helpers";

test("an admin imports a holiday list with a live preview, fixes a bad line and saves", async ({ browser }) => {
  const page = await staffPage(browser, "admin", "zh-CN");
  await page.getByRole("link", { name: "服务设置" }).click();
  await expect(page).toHaveURL(/\/console\/settings$/);
  await hydrated(page);
  await expect(page.getByLabel("周一")).toHaveValue("08:30-12:00 13:30-17:30");

  // The preview is parsed in the browser: no request per keystroke.
  const apiCalls: string[] = [];
  page.on("request", (r) => { if (r.url().includes("/api/")) apiCalls.push(new URL(r.url()).pathname); });
  const list = page.getByTestId("holiday-text");
  await list.fill("日期,类型,名称\n2026-10-01,假,国庆节\n2026-10-32,假,笔误\n2026-10-10,班,国庆调休\n");
  const preview = page.getByTestId("holiday-preview");
  await expect(preview).toContainText("预览：1 天假日，1 天调休上班");
  await expect(preview).toContainText("节假日第 3 行：日期无效（应为 2026-10-01）");
  await expect(preview).toContainText("2026-10-32,假,笔误");
  expect(apiCalls).toEqual([]);

  // Saving with the bad line is refused by the server too, with the same words.
  await page.getByRole("button", { name: "保存日历" }).click();
  await expect(page.getByRole("alert")).toContainText("节假日第 3 行：日期无效");

  await list.fill("日期,类型,名称\n2026-10-01,假,国庆节\n2026-10-02,假,国庆节\n2026-10-10,班,国庆调休\n");
  await expect(preview).toContainText("预览：2 天假日，1 天调休上班");
  await expect(preview.locator(".error")).toHaveCount(0);
  await page.getByLabel("周六").fill("09:00-12:00");
  await page.getByRole("button", { name: "保存日历" }).click();
  await expect(page.getByRole("status").filter({ hasText: "已保存" }).first()).toBeVisible();

  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel("周六")).toHaveValue("09:00-12:00");
  await expect(page.getByTestId("holiday-text")).toHaveValue(/国庆调休/);
});

test("a supervisor reads the settings but cannot change them", async ({ browser }) => {
  const page = await staffPage(browser, "supervisor", "en");
  await page.goto("/console/settings");
  await hydrated(page);
  await expect(page.getByText("Only admins can change these settings.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Save calendar" })).toBeDisabled();
  await expect(page.getByLabel("Response").first()).toBeDisabled();
});

test("an admin gives the widget a logo, and the widget shows it", async ({ browser }) => {
  const page = await staffPage(browser, "admin", "en");
  await page.goto("/console/settings");
  await hydrated(page);
  const section = page.getByTestId("embed-settings").filter({ hasText: 'data-org="demo-factory"' });
  await expect(section.getByText("No logo yet")).toBeVisible();
  const input = section.getByLabel(/^Logo/);
  // The server judges the bytes, not the name or the declared type.
  await input.setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: Buffer.from("not a picture") });
  await expect(section.getByRole("alert")).toContainText("Only JPEG, PNG or WebP images are accepted.");
  await expect(section.getByText("No logo yet")).toBeVisible();

  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
  await input.setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: png });
  const preview = section.getByTestId("logo-preview");
  await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
  await expect(section.getByRole("alert")).toHaveCount(0);

  const widget = await (await browser.newContext({ locale: "en" })).newPage();
  await widget.goto("/widget/demo-factory");
  await hydrated(widget);
  const logo = widget.getByTestId("org-logo");
  await expect.poll(() => logo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
  await widget.close();

  // Removed again, so other tests see the widget as shipped.
  await section.getByRole("button", { name: "Remove the logo" }).click();
  await expect(section.getByText("No logo yet")).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("embed-settings").filter({ hasText: 'data-org="demo-factory"' }).getByText("No logo yet")).toBeVisible();
});
