import { test, expect } from "@playwright/test";
import { hydrated, DEMO_PASSWORD } from "./helpers";
import path from "node:path";

// Playwright runs from end2end/.
const samples = path.resolve("../app/guides/samples");

test("a device log is analysed in the browser and the finding reaches the technician", async ({ browser }) => {
  const customer = await browser.newContext({ locale: "zh-CN" });
  const page = await customer.newPage();
  const uploads: string[] = [];
  page.on("request", (r) => { if (r.method() === "POST") uploads.push(`${new URL(r.url()).pathname} ${r.postData()?.length ?? 0}`); });
  await page.goto("/widget/demo-hospital");
  await hydrated(page);
  await page.getByLabel("您的姓名").fill("赵敏");
  await page.getByLabel("联系电话").fill("13700001111");
  await page.getByLabel("出故障的设备").selectOption({ label: "硬盘录像机 NVR-3216（门诊楼）" });
  await page.getByLabel("故障现象").fill(`录像机昨晚开始不录像 ${Date.now()}`);
  await page.getByRole("button", { name: "下一步：自助排查" }).click();
  await page.getByRole("button", { name: "说不清，想请系统帮忙分析日志" }).click();
  await page.getByLabel("选择设备导出的日志文件").setInputFiles(path.join(samples, "nvr-recording-and-disk-hdd.log"));
  await expect(page.getByRole("heading", { name: "需要技术员处理" })).toBeVisible();
  // The log never left the browser: only the guide load was posted so far.
  expect(uploads.map((u) => u.split(" ")[0])).toEqual(["/api/load_guides"]);
  await page.getByRole("button", { name: "提交报修" }).click();
  const caseNumber = (await page.getByTestId("case-number").textContent())!.trim();

  const staff = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  await staff.goto("/console/login");
  await hydrated(staff);
  await staff.getByLabel("用户名").fill("tech");
  await staff.getByLabel("密码").fill(DEMO_PASSWORD);
  await staff.getByRole("button", { name: "登录" }).click();
  await expect(staff).toHaveURL(/\/console$/);
  await staff.goto(`/console/cases/${caseNumber}`);
  const transcript = staff.getByTestId("transcript");
  await expect(transcript).toContainText("硬盘错误 ×6 (2026-11-19 02:13:44 – 2026-11-20 03:41:09)");
  await expect(staff.getByText("携带同容量监控级硬盘", { exact: false })).toBeVisible();
  await customer.close();
});
