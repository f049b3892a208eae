import { createServer } from "node:http";
import { AddressInfo } from "node:net";
import { test, expect } from "@playwright/test";

// The demo intranet: another site (localhost vs 127.0.0.1), a strict CSP and a hostile stylesheet.
const INTRANET = process.env.FIXLINE_INTRANET_URL ?? "http://localhost:3100";
const FIXLINE = process.env.FIXLINE_BASE_URL ?? "http://127.0.0.1:3000";

test("a customer reports a fault from the intranet page through the embedded widget", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text());
  });
  const res = await page.goto(INTRANET + "/");
  expect(res!.headers()["content-security-policy"]).toContain("script-src 'self' " + FIXLINE);
  const launcher = page.getByRole("button", { name: "故障报修" });
  await expect(launcher).toBeVisible();
  await expect(launcher).toHaveAttribute("aria-expanded", "false");

  // Keyboard only: focus the launcher, open with Enter; focus moves into the panel.
  await launcher.focus();
  await page.keyboard.press("Enter");
  await expect(launcher).toHaveAttribute("aria-expanded", "true");
  const frame = page.frameLocator("iframe[title='故障报修']");
  await expect(frame.locator("body[data-hydrated='true']")).toHaveCount(1, { timeout: 20_000 });
  // The host page prefilled who is reporting (its own script, through the JS API).
  await expect(frame.getByLabel("您的姓名")).toHaveValue("王芳");
  await expect(frame.getByLabel("联系电话")).toHaveValue("13800138000");
  await expect(page.locator("#events")).toContainText("ready");
  // Host CSS never reaches the widget.
  expect(await frame.locator("body").evaluate((b) => getComputedStyle(b).fontFamily)).not.toBe("serif");

  await frame.getByLabel("出故障的设备").selectOption({ label: "无线报警主机 HA-8800（门诊楼）" });
  await frame.getByLabel("故障现象").fill(`内网报修：主机面板全部不亮 ${Date.now()}`);
  await frame.getByRole("button", { name: "下一步：自助排查" }).click();
  const step = frame.getByRole("button", { name: "报警主机故障自助排查" }).or(frame.locator(".step-no")).first();
  await expect(step).toBeVisible();
  if (await frame.getByRole("button", { name: "报警主机故障自助排查" }).isVisible()) {
    await frame.getByRole("button", { name: "报警主机故障自助排查" }).click();
  }
  await frame.getByRole("button", { name: "全部不亮" }).click();
  await frame.getByRole("button", { name: "没有解决" }).click();
  await frame.getByRole("button", { name: "提交报修" }).click();
  const number = (await frame.getByTestId("case-number").textContent())!.trim();
  expect(number).toMatch(/^FX-\d{6}$/);
  // The host page hears about it through postMessage (explicit origins both ways).
  await expect(page.locator("#events")).toContainText(`escalated ${number}`);

  // Escape inside the frame closes the panel and gives focus back to the launcher.
  await frame.getByTestId("case-number").click();
  await page.keyboard.press("Escape");
  await expect(launcher).toHaveAttribute("aria-expanded", "false");
  await expect(launcher).toBeFocused();
  expect(violations).toEqual([]);
});

test("an unlisted site cannot frame the widget", async ({ page }) => {
  const res = await page.request.get(FIXLINE + "/widget/demo-hospital");
  const csp = res.headers()["content-security-policy"];
  expect(csp).toContain("frame-ancestors 'self' http://127.0.0.1:");
  expect(csp).toContain("script-src 'self' 'nonce-");
  expect(csp).not.toContain("unsafe-inline");
  expect(res.headers()["x-frame-options"]).toBeUndefined();
  // A page on another site tries to frame it: the browser refuses.
  await page.route("http://unlisted.example/", (r) =>
    r.fulfill({ contentType: "text/html", body: `<iframe id="w" src="${FIXLINE}/widget/demo-hospital"></iframe>` }),
  );
  await page.goto("http://unlisted.example/");
  const frame = page.frame({ url: /widget\/demo-hospital/ });
  await page.waitForTimeout(1500);
  const hydrated = frame ? await frame.locator("body[data-hydrated='true']").count().catch(() => 0) : 0;
  expect(hydrated).toBe(0);
  // The console is never frameable.
  const console_ = await page.request.get(FIXLINE + "/console/login");
  expect(console_.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(console_.headers()["x-frame-options"]).toBe("DENY");
});

test("with the service down, the launcher offers the hotline and the page stays usable", async ({ page }) => {
  await page.route(`${FIXLINE}/widget-check/**`, (r) => r.abort());
  await page.route(`${FIXLINE}/widget/**`, (r) => r.abort());
  await page.goto(INTRANET + "/");
  await page.getByRole("button", { name: "故障报修" }).click();
  await expect(page.getByRole("dialog")).toContainText("报修服务暂时不可用");
  await expect(page.getByRole("dialog").getByRole("link")).toHaveAttribute("href", "tel:4008201234");
  // The host page's own controls still work.
  await page.getByRole("link", { name: "Inline mode" }).click();
  await expect(page).toHaveURL(/\/inline$/);
});

for (const [what, org, why] of [
  ["a page not in the allowed list", "demo-hospital", "is not an allowed host page"],
  ["an unknown organisation key", "no-such-org", 'unknown data-org "no-such-org"'],
]) {
  test(`${what}: the customer gets a calm message with the hotline at once, the admin the reason in the console`, async ({ page }) => {
    // A real page on this machine (Chromium lets only such a page load
    // the loopback Fixline), on a port no organisation lists.
    const html = `<!DOCTYPE html><html lang="zh-CN"><body><h1>内网</h1><script src="${FIXLINE}/embed.js" data-org="${org}" data-hotline="400-820-1234" data-lang="zh-CN" async></script></body></html>`;
    const host = createServer((_, res) => res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(html));
    await new Promise<void>((resolve) => host.listen(0, "127.0.0.1", resolve));
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    try {
      await page.goto(`http://localhost:${(host.address() as AddressInfo).port}/`);
      const started = Date.now();
      await page.getByRole("button", { name: "故障报修" }).click();
      const dialog = page.getByRole("dialog");
      await expect(dialog.getByRole("alert")).toContainText("本页面尚未开通在线报修");
      await expect(dialog.getByRole("link")).toHaveAttribute("href", "tel:4008201234");
      // No dead frame, no 10 s wait.
      expect(Date.now() - started).toBeLessThan(5_000);
      await expect(dialog.locator("iframe")).toHaveCount(0);
      await expect.poll(() => errors.join("\n")).toContain(why);
    } finally {
      host.close();
    }
  });
}

test("inline mode mounts the widget into the page and sizes it to its content", async ({ page }) => {
  await page.goto(INTRANET + "/inline");
  const iframe = page.locator("#support iframe");
  await expect(iframe).toBeVisible();
  const frame = page.frameLocator("#support iframe");
  await expect(frame.locator("body[data-hydrated='true']")).toHaveCount(1, { timeout: 20_000 });
  // The widget reports its height; the host frame follows (not the initial 640 px).
  await expect.poll(async () => (await iframe.boundingBox())!.height).not.toBe(640);
  await expect(page.getByRole("button", { name: "故障报修" })).toHaveCount(0);
});
