import { test, expect } from "@playwright/test";
import { createHmac } from "node:crypto";
import { createServer, IncomingMessage, Server } from "node:http";
import { AddressInfo } from "node:net";
import { hydrated, staffPage } from "./helpers";

/** A DingTalk custom robot stand-in: checks the token, the one-hour timestamp
 *  and the signature as DingTalk documents them, and keeps what it accepts. */
function dingtalk(token: string, secret: string) {
  const received: { text: string; mentions: string[] }[] = [];
  const refused: number[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://robot");
      const ts = url.searchParams.get("timestamp") ?? "";
      const want = createHmac("sha256", secret).update(`${ts}\n${secret}`).digest("base64");
      const answer = (o: object) => { res.setHeader("Content-Type", "application/json"); res.end(JSON.stringify(o)); };
      if (url.pathname !== "/robot/send" || url.searchParams.get("access_token") !== token) {
        refused.push(300001);
        return answer({ errcode: 300001, errmsg: "token is not exist" });
      }
      if (Math.abs(Date.now() - Number(ts)) > 3_600_000 || url.searchParams.get("sign") !== want) {
        refused.push(310000);
        return answer({ errcode: 310000, errmsg: "sign not match" });
      }
      const msg = JSON.parse(body);
      received.push({ text: msg.text?.content ?? "", mentions: msg.at?.atMobiles ?? [] });
      answer({ errcode: 0, errmsg: "ok" });
    });
  });
  return { server, received, refused };
}

test("an admin configures a DingTalk robot, sends a test, sees it delivered, and a new case reaches the group", async ({ browser }) => {
  const robot = dingtalk("e2e-token-4f1c", "SECe2e0123456789abcdef");
  await new Promise<void>((ok) => robot.server.listen(0, "127.0.0.1", ok));
  const port = (robot.server.address() as AddressInfo).port;
  try {
    const page = await staffPage(browser, "admin", "zh-CN");
    await page.getByRole("link", { name: "通知", exact: true }).click();
    await expect(page).toHaveURL(/\/console\/notify$/);
    await hydrated(page);

    // A bad address is refused beside its field, and nothing is added.
    const add = page.locator("details.add-channel");
    if (!(await add.evaluate((d: HTMLDetailsElement) => d.open))) await add.locator("summary").click();
    await add.getByLabel("机器人类型").selectOption("dingtalk");
    await add.getByLabel("通知渠道名称").fill("调度群");
    await add.getByLabel("机器人 Webhook 地址").fill(`http://127.0.0.1:${port}/robot/send`);
    await add.getByLabel("加签密钥").fill("SECe2e0123456789abcdef");
    await add.getByRole("button", { name: "保存渠道" }).click();
    await expect(add.locator(".field-error").filter({ hasText: "格式不对" })).toBeVisible();
    await expect(page.getByTestId("channel")).toHaveCount(0);

    await add.getByLabel("机器人 Webhook 地址").fill(`http://127.0.0.1:${port}/robot/send?access_token=e2e-token-4f1c`);
    await add.getByRole("button", { name: "保存渠道" }).click();
    const card = page.getByTestId("channel");
    await expect(card).toHaveCount(1);
    await hydrated(page);
    // Shown back masked: never the token or the secret.
    await expect(card).not.toContainText("e2e-token-4f1c");
    await expect(page.locator("body")).not.toContainText("SECe2e0123456789abcdef");

    await card.getByRole("button", { name: "发送测试消息" }).click();
    const result = card.getByTestId("test-result");
    await expect(result).toContainText("已送达");
    await expect(result).toContainText('"errcode":0');
    expect(robot.refused).toEqual([]);
    expect(robot.received.map((m) => m.text).join("\n")).toContain("测试消息");

    // The log shows it delivered.
    await page.getByRole("link", { name: "发送记录" }).click();
    await expect(page).toHaveURL(/\/console\/notify\/log$/);
    await hydrated(page);
    const row = page.getByTestId("deliveries").locator("tr[data-topic='test']");
    await expect(row).toHaveCount(1);
    await expect(row).toContainText("已送达");
    await expect(row).toContainText("调度群");

    // A customer escalates: the group hears of it within seconds, with the case number and a link.
    const base = new URL(page.url()).origin;
    const widget = await page.request.post(`${base}/api/load_widget`, { form: { org_key: "demo-hospital" }, headers: { Origin: base } });
    const asset = (await widget.json()).assets[0].id;
    const submit = await page.request.post(`${base}/api/submit_case`, {
      headers: { Origin: base, "Content-Type": "application/json", Accept: "application/json" },
      data: { submission: { org_key: "demo-hospital", submission_id: `e2e-notify-${Date.now()}-0001`, reporter_name: "王芳", phone: "13800138000",
        asset_id: asset, symptom: "主机面板全部不亮，按键无反应", guide_id: "", guide_version: 0, steps: [], result: "escalate" } },
    });
    expect(submit.status()).toBe(200);
    const number = (await submit.json()).number as string;
    await expect.poll(() => robot.received.map((m) => m.text).join("\n"), { timeout: 15_000 }).toContain(number);
    const message = robot.received.find((m) => m.text.includes(number))!;
    expect(message.text).toContain("【新报修】");
    expect(message.text).toContain(`/console/cases/${number}`);
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId("deliveries").locator("tr[data-topic='new_case']").first()).toContainText(number);
  } finally {
    robot.server.close();
  }
});

test("a supervisor keeps the on-duty roster: a bad line is named, this week is shown, the roster saves", async ({ browser }) => {
  const page = await staffPage(browser, "supervisor", "en");
  await page.goto("/console/roster");
  await hydrated(page);
  const week = page.getByTestId("roster-week");
  await expect(week.locator("> li")).toHaveCount(7);
  const text = page.getByTestId("roster-text");
  await expect(text).toHaveValue(/workdays,08:30,18:00/);
  await text.fill("days,start,end,name,phone\nworkdays,08:30,18:00,Li Na,13800000003\nsometimes,18:00,08:30,Wang Qiang,13800000004\n");
  await expect(page.getByText("Line 3 cannot be read")).toBeVisible();
  await page.getByRole("button", { name: "Save roster" }).click();
  await expect(page.locator(".field-error")).toContainText("Line 3 cannot be read");
  await text.fill("days,start,end,name,phone\nworkdays,08:30,18:00,Li Na,13800000003\noffdays,00:00,00:00,Wang Qiang,13800000004\n");
  await expect(page.getByTestId("roster-shifts")).toContainText("Weekends and holidays");
  await expect(week).toContainText("Li Na");
  await page.getByRole("button", { name: "Save roster" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved" }).first()).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("roster-text")).toHaveValue(/offdays,00:00,00:00,Wang Qiang,13800000004/);
});
