import { test, expect } from "@playwright/test";
import { hydrated, pickGuide, staffPage } from "./helpers";

// Staff write to the customer, who reads it with their case in the widget
// (live, without reloading) and answers; staff see the answer live too.

test("staff ↔ customer messages reach each other without a reload", async ({ browser }) => {
  const page = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  await page.goto("/widget/demo-hospital");
  await hydrated(page);
  await page.getByLabel("您的姓名").fill("留言客户");
  await page.getByLabel("联系电话").fill("0755-8888 6666 转 123");
  await page.getByLabel("出故障的设备").selectOption({ label: "无线报警主机 HA-8800（门诊楼）" });
  await page.getByLabel("故障现象").fill(`键盘按键无反应 ${Date.now()}`);
  await page.getByRole("button", { name: "下一步：自助排查" }).click();
  await pickGuide(page, "报警主机故障自助排查");
  await page.getByRole("button", { name: "全部不亮" }).click();
  await page.getByRole("button", { name: "没有解决" }).click();
  // The promise shown before sending is shown again on the receipt.
  const before = await page.getByTestId("promise").innerText();
  await page.getByRole("button", { name: "提交报修" }).click();
  const number = (await page.getByTestId("case-number").textContent())!.trim();
  // (Times may move on by a minute in between.)
  const hhmm = (text: string) => text.replace(/\d\d:\d\d/g, "HH:MM");
  await expect(page.getByTestId("promise")).toBeVisible();
  expect(hhmm(await page.getByTestId("promise").innerText())).toBe(hhmm(before));
  await expect(page.getByText("1 小时内")).toHaveCount(0);
  const track = page.locator(`[data-case='${number}']`);
  await expect(track).toBeVisible();

  const staff = await staffPage(browser, "dispatcher", "zh-CN");
  await staff.goto(`/console/cases/${number}`);
  await hydrated(staff);
  // The landline with its extension, as written, was understood.
  await expect(staff.getByText("0755-88886666-123")).toBeVisible();
  await staff.getByTestId("act-claim").click();
  await staff.getByTestId("act-message").click();
  await staff.getByLabel("留言（客户可在报修进度中看到，可回复）").fill("请问主机的电源指示灯是否亮着？");
  await staff.getByTestId("action-submit").click();
  await expect(staff.getByTestId("timeline").locator("li[data-kind='customer_messaged']")).toContainText("电源指示灯");

  // The customer reads it at once, and answers.
  await expect(track.locator("li[data-kind='customer_messaged']")).toContainText("服务方留言");
  await expect(track.locator("li[data-kind='customer_messaged']")).toContainText("请问主机的电源指示灯是否亮着？");
  await track.getByText("回复留言、补充信息或照片").click();
  await track.getByLabel("说明").fill("电源灯是灭的");
  await track.getByRole("button", { name: "发送" }).click();
  await expect(staff.getByTestId("timeline").locator("li[data-kind='info_added']")).toContainText("电源灯是灭的");
});
