import { test, expect, chromium, Page, FrameLocator } from "@playwright/test";
import { spawn, ChildProcess } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { CHROMIUM } from "./helpers";

const INTRANET = process.env.FIXLINE_INTRANET_URL ?? "http://localhost:3100";

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

/** A Fixline of the test's own (release binary, its own SQLite file), so it can really be stopped. */
class OwnFixline {
  child?: ChildProcess;
  constructor(readonly db: string, readonly port: number, readonly intranetPort: number) {}
  static async create() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fixline-resilience-"));
    return new OwnFixline(path.join(dir, "fixline.db"), await freePort(), await freePort());
  }
  get intranet() { return `http://localhost:${this.intranetPort}`; }
  async start() {
    // Playwright runs from end2end/.
    this.child = spawn(path.resolve("../target/release/fixline"), [
      "--demo", "--addr", `127.0.0.1:${this.port}`, "--demo-intranet", `127.0.0.1:${this.intranetPort}`,
      "--database-url", `sqlite://${this.db}`,
    ], { stdio: "ignore", cwd: path.resolve("..") });
    for (let i = 0; i < 150; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${this.port}/healthz`)).ok) return;
      } catch {}
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error("fixline did not start");
  }
  /** As a crash would: no goodbye to open connections. */
  async kill() {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, "exit");
    this.child.kill("SIGKILL");
    await exited;
  }
}

/** From the intranet page: open the launcher and walk the alarm-panel guide up to "send to a technician". */
async function walkToEscalation(page: Page, symptom: string): Promise<FrameLocator> {
  await page.getByRole("button", { name: "故障报修" }).click();
  const frame = page.frameLocator("iframe[title='故障报修']");
  await expect(frame.locator("body[data-hydrated='true']")).toHaveCount(1, { timeout: 20_000 });
  await frame.getByLabel("出故障的设备").selectOption({ label: "无线报警主机 HA-8800（门诊楼）" });
  await frame.getByLabel("故障现象").fill(symptom);
  await frame.getByRole("button", { name: "下一步：自助排查" }).click();
  const pick = frame.getByRole("button", { name: "报警主机故障自助排查" });
  await expect(pick.or(frame.locator(".step-no")).first()).toBeVisible();
  if (await pick.isVisible()) await pick.click();
  await frame.getByRole("button", { name: "全部不亮" }).click();
  await frame.getByRole("button", { name: "没有解决" }).click();
  await expect(frame.getByRole("button", { name: "提交报修" })).toBeVisible();
  return frame;
}

test.describe("when Fixline itself stops", () => {
  let fixline: OwnFixline;
  test.beforeEach(async () => {
    fixline = await OwnFixline.create();
    await fixline.start();
  });
  test.afterEach(async () => {
    await fixline.kill();
    fs.rmSync(path.dirname(fixline.db), { recursive: true, force: true });
  });

  test("the launcher offers the hotline and the host page stays usable", async ({ page }) => {
    // The intranet page is served by the same process, so it is loaded first; then the server goes.
    await page.goto(fixline.intranet + "/");
    const launcher = page.getByRole("button", { name: "故障报修" });
    await expect(launcher).toBeVisible();
    await fixline.kill();

    await launcher.click();
    const dialog = page.getByRole("dialog");
    await expect(dialog.getByRole("alert")).toContainText("报修服务暂时不可用", { timeout: 8_000 });
    await expect(dialog.getByRole("link")).toHaveAttribute("href", "tel:4008201234");
    // Nothing on the host page is blocked: Escape closes, focus returns, the page's own script still runs.
    await page.keyboard.press("Escape");
    await expect(launcher).toHaveAttribute("aria-expanded", "false");
    await expect(launcher).toBeFocused();
    await page.locator("#open-widget").click();
    await expect(dialog.getByRole("alert")).toContainText("报修服务暂时不可用", { timeout: 8_000 });
    const started = Date.now();
    expect(await page.evaluate(() => document.querySelectorAll("*").length)).toBeGreaterThan(10);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  test("a report made while the service is down is kept and sent once it is back", async ({ page }) => {
    await page.goto(fixline.intranet + "/");
    const symptom = `断网期间报修 ${Date.now()}`;
    const frame = await walkToEscalation(page, symptom);
    await fixline.kill();

    await frame.getByRole("button", { name: "提交报修" }).click();
    await expect(frame.getByRole("alert")).toContainText("无法连接服务器");
    await expect(frame.getByTestId("case-number")).toHaveCount(0);

    // Same database, same address: the widget's retry goes through, exactly once.
    await fixline.start();
    await frame.getByRole("button", { name: "提交报修" }).click();
    await expect(frame.getByTestId("case-number")).toHaveText(/^FX-\d{6}$/, { timeout: 15_000 });
    await expect(page.locator("#events")).toContainText("escalated FX-");
  });
});

test("with third-party cookies blocked, the embedded widget still reports and tracks a case", async () => {
  const blocking = await chromium.launch({ ...CHROMIUM, args: [...CHROMIUM.args, "--test-third-party-cookie-phaseout"] });
  const page = await (await blocking.newContext({ locale: "zh-CN" })).newPage();
  await page.goto(INTRANET + "/");
  const frame = await walkToEscalation(page, `第三方 Cookie 已禁用 ${Date.now()}`);
  // The browser really refuses cookies to the frame (another site), so nothing may depend on them.
  const stored = await frame.locator("body").evaluate(() => {
    document.cookie = "fixline_probe=1; SameSite=None; Secure; Path=/";
    return document.cookie.includes("fixline_probe");
  });
  expect(stored).toBe(false);

  await frame.getByRole("button", { name: "提交报修" }).click();
  const number = (await frame.getByTestId("case-number").textContent())!.trim();
  // The host page keeps the case's token in its own (first-party) storage for the frame.
  await expect.poll(() => page.evaluate(() => localStorage.getItem("fixline.cases.demo-hospital") ?? "")).toContain(number);
  // Later, on another visit: the case token kept in the frame's own storage finds the case again.
  await page.reload();
  await page.getByRole("button", { name: "故障报修" }).click();
  const again = page.frameLocator("iframe[title='故障报修']");
  await expect(again.locator(`[data-case='${number}']`)).toBeVisible({ timeout: 20_000 });
  await blocking.close();
});
