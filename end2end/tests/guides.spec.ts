import { test, expect } from "@playwright/test";
import { hydrated, fillIntake, staffPage, EN_LABELS, ZH_LABELS, DEMO_PASSWORD } from "./helpers";
import path from "node:path";

// Playwright runs from end2end/.
const samples = path.resolve("../domain/guides/samples");

test("a device log is analysed in the browser and the finding reaches the technician", async ({ browser }) => {
  const customer = await browser.newContext({ locale: "zh-CN" });
  const page = await customer.newPage();
  const uploads: string[] = [];
  page.on("request", (r) => { if (r.method() === "POST") uploads.push(`${new URL(r.url()).pathname} ${r.postData()?.length ?? 0}`); });
  await page.goto("/widget/demo-hospital");
  await hydrated(page);
  await fillIntake(page, ZH_LABELS, {
    name: "赵敏", phone: "13700001111", asset: "硬盘录像机 NVR-3216（门诊楼）", symptom: `录像机昨晚开始不录像 ${Date.now()}`,
  });
  await page.getByRole("button", { name: "下一步：自助排查" }).click();
  await page.getByRole("button", { name: "说不清，想请系统帮忙分析日志" }).click();
  await page.getByLabel("选择设备导出的日志文件").setInputFiles(path.join(samples, "nvr-recording-and-disk-hdd.log"));
  await expect(page.getByRole("heading", { name: "需要技术员处理" })).toBeVisible();
  // The log never left the browser: only the guide load was posted so far.
  expect(uploads.map((u) => u.split(" ")[0]).sort()).toEqual(["/api/load_guides", "/api/start_guide"]);
  await page.getByRole("button", { name: "提交报修" }).click();
  const caseNumber = (await page.getByTestId("case-number").textContent())!.trim();

  const staff = await staffPage(browser, "tech", "zh-CN");
  await staff.goto(`/console/cases/${caseNumber}`);
  const transcript = staff.getByTestId("transcript");
  await expect(transcript).toContainText("硬盘错误 ×6 (2026-11-19 02:13:44 – 2026-11-20 03:41:09)");
  await expect(staff.getByText("携带同容量监控级硬盘", { exact: false })).toBeVisible();
  await customer.close();
});

test("the guide can be walked with the keyboard alone", async ({ page }) => {
  await page.goto("/widget/demo-factory?lang=en");
  await hydrated(page);
  await page.getByLabel("Your name").focus();
  await page.keyboard.type("Wang Lei");
  await page.keyboard.press("Tab");
  await page.keyboard.type("13800138000");
  await page.getByLabel("Faulty equipment").selectOption({ label: "无线报警主机 HA-6600（一号厂区）" });
  await page.getByLabel("What is wrong?").focus();
  await page.keyboard.type("Keys do nothing");
  await page.getByRole("button", { name: "Next: troubleshoot" }).focus();
  await page.keyboard.press("Enter");
  const pick = page.getByRole("button", { name: "Alarm panel self-check" });
  await expect(pick).toBeVisible();
  // Focus first lands on the question; then move to the answer.
  await expect(page.locator("#guide-prompt")).toBeFocused();
  await pick.focus();
  await page.keyboard.press("Enter");
  // Focus lands on the new prompt; Tab reaches the first answer.
  await expect(page.locator("#guide-prompt")).toBeFocused();
  await expect(page.getByText("Step 1")).toBeVisible();
  await page.keyboard.press("Tab");
  await expect(page.getByRole("button", { name: "All off" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByText("Step 2")).toBeVisible();
  await expect(page.locator("#guide-prompt")).toBeFocused();
});

test("staff see per-guide statistics, preview a guide and import a new version", async ({ page }) => {
  await page.goto("/console/login?lang=en");
  await hydrated(page);
  await page.getByLabel("Username").fill("supervisor");
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/console$/);
  await page.getByRole("link", { name: "Guides and statistics" }).click();
  const row = page.locator("tr[data-guide='alarm-panel-first-aid']");
  await expect(row).toBeVisible();
  // Earlier tests in this run walked this guide.
  expect(Number(await row.locator("[data-col=started]").textContent())).toBeGreaterThan(0);

  await row.getByRole("link", { name: "Preview" }).click();
  await hydrated(page);
  await expect(page.getByTestId("preview-prompt")).toContainText("indicator lights");
  await page.getByRole("button", { name: "All off" }).click();
  await page.getByRole("button", { name: "Yes, it works now" }).click();
  await expect(page.getByTestId("preview-prompt")).toContainText("Fixed");

  // Import: a broken file names its problem; a good one becomes a new version.
  await page.goto("/console/guides?lang=en");
  await hydrated(page);
  // The statistics load after hydration; let them settle before typing.
  await page.waitForLoadState("networkidle");
  const exported = await (await page.request.get("/console/guides/pir-detector-false-or-missed/2/export")).json();
  exported.nodes[0].choices[0].next = "nowhere";
  await page.getByLabel("JSON").fill(JSON.stringify(exported));
  await expect(page.getByLabel("JSON")).toHaveValue(/nowhere/);
  await page.getByRole("button", { name: "Validate and import" }).click();
  await expect(page.getByRole("alert")).toContainText("leads to missing node 'nowhere'");
  const original = await (await page.request.get("/console/guides/pir-detector-false-or-missed/2/export")).text();
  await page.getByLabel("JSON").fill(original);
  await page.getByRole("button", { name: "Validate and import" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Imported" })).toContainText(/pir-detector-false-or-missed v\d+/);
});

test("reachability, clock and connection checks run in the browser", async ({ browser, baseURL }) => {
  const customer = await browser.newContext({ locale: "en" });
  const page = await customer.newPage();
  await page.goto("/widget/demo-hospital?lang=en");
  await hydrated(page);
  await fillIntake(page, EN_LABELS, {
    name: "Chen Jing", phone: "13600001111", asset: "医院信息系统客户端 HIS 5.2（住院部）", symptom: `Cannot log in to HIS ${Date.now()}`,
  });
  await page.getByRole("button", { name: "Next: troubleshoot" }).click();
  await page.getByRole("button", { name: /^Cannot log in/ }).click();
  await page.getByRole("button", { name: /^Cannot connect to server/ }).click();
  // The "HIS server" here is Fixline itself, reachable from the browser.
  await page.locator("#collect").fill(new URL(baseURL!).host);
  await page.getByRole("button", { name: "Next", exact: true }).click();
  await page.getByRole("button", { name: "Run the check" }).click();
  // Reachable → the clock check; browser and server share a clock → restart the client.
  await page.getByRole("button", { name: "Run the check" }).click();
  await expect(page.locator("#guide-prompt")).toContainText("Exit the HIS client completely");
  await page.getByRole("button", { name: "No, still faulty" }).click();
  await page.getByRole("button", { name: /^Yes; only this PC/ }).click();
  await page.getByRole("button", { name: "Send to a technician" }).click();
  const caseNumber = (await page.getByTestId("case-number").textContent())!.trim();

  const staff = await staffPage(browser, "dispatcher", "en");
  await staff.goto(`/console/cases/${caseNumber}`);
  const transcript = staff.getByTestId("transcript");
  await expect(transcript).toContainText(/answered in \d+ ms/);
  await expect(transcript).toContainText(/clock skew -?\d+ s/);

  // Connection quality: loopback is fast, so the guide blames the PC, not the network.
  await page.getByRole("button", { name: "Report another fault" }).click();
  await fillIntake(page, EN_LABELS, {
    name: "Chen Jing", phone: "13600001111", asset: "医院信息系统客户端 HIS 5.2（住院部）", symptom: "HIS is very slow",
  });
  await page.getByRole("button", { name: "Next: troubleshoot" }).click();
  await page.getByRole("button", { name: /^Very slow/ }).click();
  await page.getByRole("button", { name: "Run the check" }).click();
  await expect(page.locator("#guide-prompt")).toContainText("The network looks fine");
  await customer.close();
});

test("a photo taken during the walk reaches the technician with the case", async ({ browser }) => {
  const customer = await browser.newContext({ locale: "en" });
  const page = await customer.newPage();
  await page.goto("/widget/demo-factory?lang=en");
  await hydrated(page);
  await fillIntake(page, EN_LABELS, {
    name: "Li Lei", phone: "13900002222", asset: "LED 显示屏（大门） P10-OUT（一号厂区）", symptom: `Dark blocks on the gate screen ${Date.now()}`,
  });
  await page.getByRole("button", { name: "Next: troubleshoot" }).click();
  await page.getByRole("button", { name: "One or more blocks are dark" }).click();
  await page.getByRole("button", { name: "Indoor, or no rain or washing lately" }).click();
  await page.getByRole("button", { name: "No, still faulty" }).click();
  // A real (tiny) PNG: the server judges the type from the bytes.
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
  await page.getByTestId("walk-photo").setInputFiles({ name: "gate-screen.png", mimeType: "image/png", buffer: png });
  await expect(page.getByTestId("walk-photo-status")).toHaveText("1 photo(s) added");
  await page.getByRole("button", { name: "Next", exact: true }).click();
  await page.getByRole("button", { name: "A single small square (palm to book size); the rest is fine" }).click();
  await page.getByRole("button", { name: "Send to a technician" }).click();
  const caseNumber = (await page.getByTestId("case-number").textContent())!.trim();

  const staff = await staffPage(browser, "tech", "zh-CN");
  await staff.goto(`/console/cases/${caseNumber}`);
  const photo = staff.getByTestId("transcript-photo").locator("img");
  await expect(photo).toBeVisible();
  // The image really loaded (served to staff only, from the database).
  await expect.poll(() => photo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
  await expect(staff.getByTestId("transcript")).toContainText("gate-screen.png");
  await customer.close();
});

test("the guide's code is fetched only when a walk starts, and a failed fetch can be tried again", async ({ page }) => {
  const wasm: string[] = [];
  page.on("request", (r) => {
    const file = new URL(r.url()).pathname.split("/").pop()!;
    if (file.endsWith(".wasm")) wasm.push(file);
  });
  // The deferred parts' chunks (split_*.wasm, chunk_*.wasm) fail until released.
  let offline = true;
  await page.route(/\/pkg\/(?:[0-9a-f]+\/)?(split|chunk)_[^/]*\.wasm$/, (route) => (offline ? route.abort() : route.continue()));
  await page.goto("/widget/demo-factory?lang=en");
  await hydrated(page);
  // First load: the main bundle only (this browser has reported no case, so no tracker either).
  expect(wasm).toEqual(["widget.wasm"]);
  await fillIntake(page, EN_LABELS, {
    name: "Wang Lei", phone: "13800138000", asset: "无线报警主机 HA-6600（一号厂区）", symptom: `Keys do nothing ${Date.now()}`,
  });
  await page.getByRole("button", { name: "Next: troubleshoot" }).click();
  // The guide's chunk cannot be fetched: the customer is told what to do.
  const alert = page.getByRole("alert");
  await expect(alert).toContainText("Cannot reach the server");
  expect(wasm).toContain("split_widget_guide.wasm");
  offline = false;
  await page.getByRole("button", { name: "Try again" }).click();
  await page.getByRole("button", { name: "Alarm panel self-check" }).click();
  await expect(page.getByText("Step 1")).toBeVisible();
  // Nothing typed was lost on the way.
  await page.getByRole("button", { name: "Edit the report" }).click();
  await expect(page.getByLabel("Your name")).toHaveValue("Wang Lei");
  expect(wasm.filter((f) => f.startsWith("split_widget_cases"))).toEqual([]);
});
