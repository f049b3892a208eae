import { test, expect, Browser, Page } from "@playwright/test";
import { hydrated, pickGuide, fillIntake, ZH_LABELS, DEMO_PASSWORD } from "./helpers";

/** A customer escalates an alarm-panel fault from the widget; returns the case number. */
async function customerEscalates(
  browser: Browser,
  symptom: string,
  keepOpen = false,
  org = "demo-hospital",
  asset = "无线报警主机 HA-8800（门诊楼）",
): Promise<[string, Page]> {
  const page = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  await page.clock.install();
  await page.goto(`/widget/${org}`);
  await hydrated(page);
  await fillIntake(page, ZH_LABELS, {
    name: "王芳",
    phone: "138 0013 8000",
    asset,
    symptom,
  });
  await page.getByRole("button", { name: "下一步：自助排查" }).click();
  await pickGuide(page, "报警主机故障自助排查");
  await page.getByRole("button", { name: "全部不亮" }).click();
  await page.getByRole("button", { name: "没有解决" }).click();
  // Before escalating: the promise, computed in the browser from the org's terms.
  await expect(page.getByTestId("promise-arrival")).toHaveText(/^如需上门，技术员最晚(今天|明天) \d\d:\d\d 到场$/);
  await expect(page.getByTestId("promise-warranty")).toBeVisible();
  if (org === "demo-factory") await expect(page.getByTestId("promise-warranty")).toContainText("已过保修期");
  await page.getByRole("button", { name: "提交报修" }).click();
  const number = page.getByTestId("case-number");
  await expect(number).toHaveText(/^FX-\d{6}$/);
  const n = (await number.textContent())!.trim();
  if (!keepOpen) await page.context().close();
  return [n, page];
}

/** Signs in on a page whose context the caller set up (e.g. with a fake clock). */
async function signIn(page: Page, username: string) {
  await page.goto("/console/login");
  await hydrated(page);
  await page.getByLabel("用户名").fill(username);
  await page.getByLabel("密码").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "登录" }).click();
  await expect(page).toHaveURL(/\/console$/);
  await hydrated(page);
}

/** `2026-11-22T15:40` in Shanghai time, `hours` from now. */
function shanghaiInput(hours: number): string {
  const t = new Date(Date.now() + hours * 3_600_000 + 8 * 3_600_000);
  return t.toISOString().slice(0, 16);
}

test("staff see a case arrive live, claim and dispatch it; countdowns turn red when overdue", async ({ browser }) => {
  // The dispatcher's browser gets a controllable clock; the server keeps real time.
  const dispatcher = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  await dispatcher.clock.install();
  await signIn(dispatcher, "dispatcher");
  await expect(dispatcher.getByTestId("live-status")).toHaveText("实时更新中");

  const symptom = `主机面板全部不亮 ${Date.now()}`;
  const [number, customer] = await customerEscalates(browser, symptom, true);
  // The customer's widget tracks the case by the token it kept.
  const track = customer.locator(`.track[data-case="${number}"]`);
  await expect(track.getByTestId("track-status")).toHaveText("待受理");

  // The queue shows it without a reload, with the response countdown running.
  const row = dispatcher.locator(`[data-case="${number}"]`);
  await expect(row).toBeVisible();
  await expect(row.getByTestId("clock-response")).toContainText(/响应\s*剩余 0:5\d:\d\d/);

  // A supervisor watches the same case on another screen.
  const supervisor = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  await signIn(supervisor, "supervisor");
  await supervisor.goto(`/console/cases/${number}`);
  await hydrated(supervisor);
  await expect(supervisor.getByTestId("case-owner")).toHaveText("暂无");

  await row.getByRole("link", { name: number }).click();
  await expect(dispatcher).toHaveURL(new RegExp(`/console/cases/${number}$`));
  await expect(dispatcher.getByTestId("case-symptom")).toHaveText(symptom);
  await dispatcher.getByTestId("act-claim").click();
  await expect(dispatcher.getByTestId("case-status")).toHaveText("已受理");
  await expect(dispatcher.getByTestId("clock-response")).toHaveText("已按时完成");
  // The supervisor's screen follows live.
  await expect(supervisor.getByTestId("case-owner")).toHaveText("调度 李娜");
  await expect(supervisor.getByTestId("case-status")).toHaveText("已受理");

  // Two hours pass in the dispatcher's browser: dispatch and arrival are overdue, in red.
  const dispatchClock = dispatcher.getByTestId("clock-dispatch");
  await expect(dispatchClock).toHaveClass(/running/);
  await expect(dispatchClock).toContainText("剩余");
  await dispatcher.clock.fastForward("02:05:00");
  await expect(dispatchClock).toHaveClass(/overdue/);
  await expect(dispatchClock).toContainText("已超时 0:0");
  await expect(dispatchClock).toHaveCSS("color", "rgb(180, 35, 24)");
  await expect(dispatcher.getByTestId("clock-arrival")).toHaveClass(/overdue/);

  // Dispatch with an appointment after the arrival deadline: warned, then recorded as late.
  await dispatcher.getByTestId("act-dispatch").click();
  await dispatcher.getByLabel("技术员").selectOption({ label: "技术员 王强" });
  await expect(dispatcher.getByLabel("说明")).not.toHaveValue("");
  const dispatchNotes = await dispatcher.getByLabel("说明").inputValue();
  await dispatcher.getByLabel("预约到场时间").fill(shanghaiInput(3));
  await expect(dispatcher.getByTestId("dispatch-late")).toContainText("到场将超时");
  await dispatcher.getByTestId("action-submit").click();
  await expect(dispatcher.getByTestId("case-status")).toHaveText("已派工");
  await expect(dispatcher.getByTestId("case-technician")).toHaveText("技术员 王强");
  await expect(dispatcher.getByTestId("timeline").locator("li[data-kind='dispatched']")).toContainText("晚于到场时限");
  await expect(supervisor.getByTestId("case-status")).toHaveText("已派工");
  // The customer sees who is coming and when, at once: the widget's request
  // for news of its case returns as soon as it changes (no timer runs here).
  await expect(track.getByTestId("track-status")).toHaveText("已派工");
  await expect(track).toContainText("技术员：技术员 王强");
  // The promise's deadlines, as they stand: answered (claimed), on-site deadline running.
  await expect(track.getByTestId("track-clocks")).toContainText("响应：已按时完成");
  await expect(track.getByTestId("track-clocks")).toContainText(/技术员最晚\d\d-\d\d \d\d:\d\d 到场/);
  await expect(track).toContainText("预约到场：");
  // Staff notes and internal flags ("later than the on-site deadline") stay inside.
  await expect(track).not.toContainText(dispatchNotes.slice(0, 12), { timeout: 1000 });
  await expect(track).not.toContainText("晚于到场时限", { timeout: 1000 });

  // The technician checks in and resolves it from a phone-sized screen.
  const tech = await (await browser.newContext({ locale: "zh-CN", viewport: { width: 360, height: 740 } })).newPage();
  await signIn(tech, "tech");
  await tech.goto(`/console/cases/${number}`);
  await hydrated(tech);
  await expect(tech.getByTestId("act-claim")).toHaveCount(0);
  // On the way: the customer sees when to expect them.
  await tech.getByTestId("act-on-the-way").click();
  await tech.getByLabel("预计多久到达").selectOption({ label: "30 分钟" });
  await tech.getByTestId("action-submit").click();
  await expect(tech.getByTestId("case-eta")).toHaveText(/^\d\d:\d\d$/);
  await expect(tech.getByTestId("timeline").locator("li[data-kind='on_the_way']")).toContainText("技术员已出发");
  await customer.clock.fastForward("00:16");
  await expect(track.getByTestId("track-eta")).toContainText(/技术员已出发，预计 \d\d:\d\d 到达/);
  await tech.getByTestId("act-check-in").click();
  await expect(tech.getByTestId("case-status")).toHaveText("技术员已到场");
  await expect(tech.getByTestId("case-eta")).toHaveCount(0);
  await tech.getByTestId("act-resolve").click();
  await tech.getByLabel("处理结果").fill("更换 12V 电源适配器，主机恢复正常");
  await tech.getByTestId("action-submit").click();
  await expect(tech.getByTestId("case-status")).toHaveText("已解决");
  const width = await tech.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(360);

  await expect(dispatcher.getByTestId("case-status")).toHaveText("已解决");
});

test("the queue filters by search and shows a refusal in words", async ({ browser }) => {
  const [number] = await customerEscalates(browser, `门禁报警 ${Date.now()}`);

  // The customer, on a phone that did not report it, finds the case by its number and phone.
  const phone = await (await browser.newContext({ locale: "zh-CN", viewport: { width: 360, height: 740 } })).newPage();
  await phone.goto("/widget/demo-hospital");
  await hydrated(phone);
  await expect(phone.getByTestId("my-cases")).toHaveCount(0);
  await phone.getByTestId("find-case-open").click();
  await phone.getByTestId("find-case").getByLabel("报修单号").fill(number);
  await phone.getByTestId("find-case").getByLabel("联系电话").fill("13800000000");
  await phone.getByRole("button", { name: "查找", exact: true }).click();
  await expect(phone.getByTestId("find-case")).toContainText("没有找到");
  await phone.getByTestId("find-case").getByLabel("联系电话").fill("138 0013 8000");
  await phone.getByRole("button", { name: "查找", exact: true }).click();
  await expect(phone.getByTestId("find-case")).toHaveCount(0);
  await expect(phone.locator(`[data-case="${number}"]`).getByTestId("track-status")).toHaveText("待受理");
  const page = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  await signIn(page, "tech");
  await page.getByTestId("queue-search").fill(number);
  await expect(page.getByTestId("queue-row")).toHaveCount(1);
  await expect(page.locator(`[data-case="${number}"]`)).toBeVisible();
  await page.getByTestId("queue-search").fill("no-such-case-anywhere");
  await expect(page.getByTestId("queue-row")).toHaveCount(0);

  // A technician gets no claim button; the server refuses anyway if asked.
  await page.goto(`/console/cases/${number}`);
  await hydrated(page);
  await expect(page.getByTestId("act-claim")).toHaveCount(0);
  const status = await page.evaluate(async (n) => {
    const r = await fetch("/api/case_action", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ number: n, action: { action: "claim" } }),
    });
    return r.status;
  }, number);
  expect(status).toBe(403);
});

test("an out-of-warranty repair is dispatched only after the customer approves the quote", async ({ browser }) => {
  const [number, customer] = await customerEscalates(browser, `主机反复重启 ${Date.now()}`, true, "demo-factory", "无线报警主机 HA-6600（一号厂区）");
  const staff = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  await signIn(staff, "dispatcher");
  await staff.goto(`/console/cases/${number}`);
  await hydrated(staff);
  await expect(staff.getByTestId("case-billing")).toContainText("A 类 收费");
  await staff.getByTestId("act-claim").click();
  await expect(staff.getByTestId("case-status")).toHaveText("已受理");

  // Dispatch waits for the quote: the button says so before any form is filled.
  await expect(staff.getByTestId("act-dispatch")).toBeDisabled();
  await expect(staff.locator("#why-quote")).toContainText("客户在报修页面确认报价后才能派工");

  await staff.getByTestId("act-quote").click();
  await staff.getByLabel("金额（元）").fill("850");
  await staff.getByLabel("维修内容").fill("更换主板及电源模块");
  await staff.getByTestId("action-submit").click();
  await expect(staff.getByTestId("case-quote")).toContainText("¥850.00 · 更换主板及电源模块 · 待客户确认");

  // The customer sees the price in the widget and approves it.
  await customer.clock.fastForward("00:16");
  const quote = customer.getByTestId("quote");
  await expect(quote).toContainText("报价 ¥850.00");
  await quote.getByRole("button", { name: "同意报价" }).click();
  await expect(quote).toHaveCount(0);
  await expect(staff.getByTestId("case-quote")).toContainText("客户已同意");

  await staff.getByTestId("act-dispatch").click();
  await staff.getByLabel("技术员").selectOption({ label: "技术员 王强" });
  await staff.getByLabel("预约到场时间").fill(shanghaiInput(1));
  await staff.getByTestId("action-submit").click();
  await expect(staff.getByTestId("case-status")).toHaveText("已派工");
});

/** A staff action through the same endpoint the case page uses (to set a scene quickly). */
async function act(page: Page, number: string, action: object) {
  const status = await page.evaluate(
    async ([n, a]) => (await fetch("/api/case_action", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ number: n, action: a }) })).status,
    [number, action] as const,
  );
  expect(status).toBe(200);
}

/** A 2×2 PNG, as a phone camera would hand over a (much larger) photo. */
const PHOTO = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==",
  "base64",
);

test("a visit ends with a work record, the customer's signature, a rating and a return visit", async ({ browser }) => {
  const [number, customer] = await customerEscalates(browser, `遥控器无法布防 ${Date.now()}`, true);
  const track = customer.locator(`.track[data-case="${number}"]`);
  const dispatcher = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  await signIn(dispatcher, "dispatcher");
  const tech = await (await browser.newContext({ locale: "zh-CN", viewport: { width: 360, height: 740 } })).newPage();
  await signIn(tech, "tech");
  const techId = await tech.evaluate(async () => (await (await fetch("/api/current_staff", { method: "POST" })).json()).id);
  await act(dispatcher, number, { action: "claim" });
  await act(dispatcher, number, { action: "dispatch", technician: techId, appointment_ms: Date.now() + 3_600_000, notes: "带 CR2032 电池" });

  // The technician's day: the visit is listed with the dispatch order.
  await tech.goto("/console/visits");
  await hydrated(tech);
  const visit = tech.locator(`.visit[data-case="${number}"]`);
  await expect(visit).toContainText("带 CR2032 电池");
  await visit.getByRole("link", { name: number }).click();
  await hydrated(tech);
  await tech.getByTestId("act-check-in").click();
  await expect(tech.getByTestId("case-status")).toHaveText("技术员已到场");

  // Diagnosis (an accessory: the 1-day repair clock) and the work record with a photo.
  await tech.getByTestId("act-diagnose").click();
  await tech.getByLabel("原因归属").selectOption({ label: "产品质量" });
  await tech.getByLabel("故障部件类别").selectOption({ label: "配件" });
  await tech.getByTestId("action-submit").click();
  await expect(tech.getByTestId("case-diagnosis")).toContainText("产品质量 · 配件");
  await expect(tech.getByTestId("clock-repair")).toContainText("剩余");
  await tech.getByTestId("act-work").click();
  await tech.getByLabel("检查发现").fill("遥控器电池电压 2.1 V");
  await tech.getByLabel("处理措施").fill("更换电池并重新对码");
  await tech.getByLabel("更换零件").fill("CR2032 电池 2");
  await tech.getByLabel("工时（分钟）").fill("40");
  // A file that is not an image is refused with a clear message; a photo is taken.
  await tech.getByTestId("photo-input").setInputFiles({ name: "notes.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.7") });
  await expect(tech.getByRole("alert")).toContainText("只接受 JPEG、PNG 或 WebP 图片");
  await tech.getByTestId("photo-input").setInputFiles({ name: "remote.png", mimeType: "image/png", buffer: PHOTO });
  await expect(tech.getByTestId("photo-status")).toHaveText("已添加照片 1 张");
  await tech.getByTestId("action-submit").click();
  await expect(tech.getByTestId("timeline").locator("li[data-kind='work_recorded']")).toContainText("CR2032 电池 ×2");
  await expect(tech.getByTestId("timeline").locator("li[data-kind='work_recorded'] img.thumb")).toHaveCount(1);
  await tech.getByTestId("act-resolve").click();
  await tech.getByLabel("处理结果").fill("已恢复布防");
  await tech.getByTestId("action-submit").click();
  await expect(tech.getByTestId("case-status")).toHaveText("已解决");

  // Closing an unsigned visit waits for the signature, and says so.
  await dispatcher.goto(`/console/cases/${number}`);
  await hydrated(dispatcher);
  await expect(dispatcher.getByTestId("act-close")).toBeDisabled();
  await expect(dispatcher.locator("#why-signature")).toContainText("须由客户签字后才能结案");

  // The customer signs on the technician's phone.
  await tech.getByTestId("act-report").click();
  await hydrated(tech);
  await expect(tech.getByTestId("report")).toContainText("CR2032 电池");
  await tech.getByLabel("签字人姓名").fill("王芳");
  await tech.getByTestId("sign-submit").click();
  await expect(tech.getByRole("alert")).toContainText("请先在框内签名");
  const pad = await tech.getByTestId("signature-canvas").boundingBox();
  await tech.mouse.move(pad!.x + 20, pad!.y + 30);
  await tech.mouse.down();
  await tech.mouse.move(pad!.x + 120, pad!.y + 80, { steps: 8 });
  await tech.mouse.move(pad!.x + 220, pad!.y + 40, { steps: 8 });
  await tech.mouse.up();
  await tech.getByTestId("sign-submit").click();
  await expect(tech.getByTestId("report-signed")).toContainText("王芳");
  await expect(tech.getByTestId("report-verified")).toHaveText("内容与签字时一致");
  expect(await tech.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

  // The dispatcher sees the signature arrive live and closes the case.
  await expect(dispatcher.getByTestId("timeline").locator("li[data-kind='report_signed']")).toContainText("王芳");
  await dispatcher.getByTestId("act-close").click();
  await expect(dispatcher.getByTestId("case-status")).toHaveText("已关闭");

  // The customer confirms the fix and rates the visit in the widget.
  await customer.clock.fastForward("00:16");
  await expect(track.getByTestId("track-status")).toHaveText("已关闭");
  await track.getByRole("button", { name: "已解决" }).click();
  await expect(track.getByTestId("w-confirm")).toHaveCount(0);
  for (const group of ["服务态度", "技术水平", "到场准时", "承诺兑现"]) {
    await track.getByRole("group", { name: group }).getByLabel("非常满意").check();
  }
  await track.getByLabel("留言（可选）").fill("很及时");
  await track.getByRole("button", { name: "提交评价" }).click();
  await expect(track.getByTestId("w-rate")).toHaveCount(0);
  await expect(track.locator("li[data-kind='rated']")).toContainText("服务态度 非常满意");

  // Satisfaction per technician, for the supervisor.
  const supervisor = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  await signIn(supervisor, "supervisor");
  await supervisor.goto("/console/ratings");
  await hydrated(supervisor);
  await expect(supervisor.getByTestId("ratings").locator("tr", { hasText: "技术员 王强" })).toContainText("4.00");

  // The return visit is on the to-do list, and recorded once.
  await dispatcher.goto("/console/follow-up");
  await hydrated(dispatcher);
  const todo = dispatcher.getByTestId("fu-return-visits").locator(`li[data-case="${number}"]`);
  await expect(todo).toBeVisible();
  await todo.getByRole("link", { name: number }).click();
  await hydrated(dispatcher);
  await dispatcher.getByTestId("act-return-visit").click();
  await dispatcher.getByLabel("回访结果").selectOption({ label: "满意" });
  await dispatcher.getByTestId("action-submit").click();
  await expect(dispatcher.getByTestId("timeline").locator("li[data-kind='return_visited']")).toContainText("回访：满意");
  await expect(dispatcher.getByTestId("clock-return_visit")).toHaveText("已按时完成");
  await expect(dispatcher.getByTestId("act-return-visit")).toHaveCount(0);
});
