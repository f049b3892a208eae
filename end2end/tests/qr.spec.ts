import { test, expect, Browser } from "@playwright/test";
import { hydrated, staffPage, ZH_LABELS } from "./helpers";

// QR labels on equipment (扫码报修): staff print a sheet, a customer scans a
// code with WeChat on a phone and reports that equipment's fault.

const WECHAT =
  "Mozilla/5.0 (Linux; Android 13; V2219A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 " +
  "Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MMWEBID/2585 MicroMessenger/8.0.47.2560(0x28002F35) " +
  "WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64";
const DINGTALK =
  "Mozilla/5.0 (Linux; Android 12; M2102J2SC Build/SKQ1.211006.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 " +
  "Chrome/97.0.4692.98 Mobile Safari/537.36 AliApp(DingTalk/7.0.40) com.alibaba.android.rimet/31080276 Channel/227200 language/zh-CN abi/64 UT4Aplus/0.2.25";

async function phone(browser: Browser, userAgent: string) {
  const context = await browser.newContext({ userAgent, viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, locale: "zh-CN" });
  return context.newPage();
}

/** The first label of the demo hospital's sheet: its address (path and query) and equipment. */
async function firstLabel(browser: Browser) {
  const admin = await staffPage(browser, "admin", "zh-CN");
  await admin.goto("/console/settings");
  await hydrated(admin);
  const links = admin.getByTestId("label-links").first();
  const href = await links.getByRole("link", { name: "打印全部设备的二维码标签" }).getAttribute("href");
  expect(href).toMatch(/^\/console\/labels\?org=\d+$/);
  await admin.goto(href!);
  const labels = admin.getByTestId("label");
  expect(await labels.count()).toBeGreaterThan(0);
  await expect(labels.first()).toContainText("微信扫码报修");
  await expect(labels.first()).toContainText("400-820-1234");
  await expect(labels.first().locator("svg")).toHaveCount(1);
  const url = new URL((await labels.first().getAttribute("data-url"))!);
  const asset = (await labels.first().locator(".asset").textContent())!.trim();
  await admin.context().close();
  return { path: url.pathname + url.search, asset };
}

test("staff print a sheet of QR labels; a technician may not", async ({ browser }) => {
  const { path } = await firstLabel(browser);
  expect(path).toMatch(/^\/widget\/[\w-]+\?asset=\d+$/);
  const tech = await staffPage(browser, "tech", "zh-CN");
  const res = await tech.request.get("/console/labels?org=1");
  expect(res.status()).toBe(403);
  const anonymous = await tech.context().browser()!.newContext();
  expect((await anonymous.request.get("/console/labels?org=1")).status()).toBe(401);
});

for (const [name, ua] of [["WeChat", WECHAT], ["DingTalk", DINGTALK]]) {
  test(`scanned in ${name} on a 360 px phone: the equipment is chosen, its warranty shown, the report goes through`, async ({ browser }) => {
    const { path, asset } = await firstLabel(browser);
    const page = await phone(browser, ua);
    await page.goto(path);
    await hydrated(page);
    const fixed = page.getByTestId("asset-fixed");
    await expect(fixed).toBeVisible();
    await expect(fixed).toContainText(asset.split(" ")[0]);
    await expect(page.getByLabel(ZH_LABELS.asset)).toBeHidden();
    await expect(page.getByTestId("asset-warranty")).toContainText(/保修期/);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    // A missing name: the focus goes to it.
    await page.getByLabel(ZH_LABELS.symptom).fill("扫码报修：设备报警灯一直闪");
    await page.getByLabel(ZH_LABELS.phone).fill("+86 138-0013-8000");
    await page.getByRole("button", { name: "下一步：自助排查" }).click();
    await expect(page.locator("#reporter-name")).toBeFocused();
    await expect(page.locator("#phone")).toHaveAttribute("aria-invalid", "false");
    await page.getByLabel(ZH_LABELS.name).fill("扫码的客户");
    await page.getByRole("button", { name: "下一步：自助排查" }).click();
    await expect(page.getByLabel(ZH_LABELS.symptom)).toHaveCount(0);
    // Switching language keeps the equipment.
    await page.context().close();
  });
}

test("a code for equipment that is gone: a calm page with the list and the hotline", async ({ browser }) => {
  const page = await phone(browser, WECHAT);
  await page.goto("/widget/demo-hospital?asset=999999");
  await hydrated(page);
  await expect(page.getByTestId("qr-unknown-asset")).toContainText("没有找到二维码上的设备");
  await expect(page.getByLabel(ZH_LABELS.asset)).toBeVisible();
  await expect(page.locator("footer a[href^='tel:']")).toHaveCount(1);
  await page.context().close();
});

test("the language links keep the equipment; 'not this one' lets the customer choose", async ({ browser }) => {
  const { path } = await firstLabel(browser);
  const page = await phone(browser, WECHAT);
  await page.goto(path);
  await hydrated(page);
  const en = page.getByRole("link", { name: "English" });
  await expect(en).toHaveAttribute("href", new RegExp(`asset=\\d+&lang=en$`));
  await en.click();
  await hydrated(page);
  await expect(page.getByTestId("asset-fixed")).toBeVisible();
  await page.getByRole("button", { name: "Not this one? Choose other equipment" }).click();
  await expect(page.getByLabel("Faulty equipment")).toBeVisible();
  await page.context().close();
});
