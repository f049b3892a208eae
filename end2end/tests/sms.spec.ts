import { test, expect, Page } from "@playwright/test";
import { createHmac } from "node:crypto";
import { createServer, IncomingMessage, Server } from "node:http";
import { AddressInfo } from "node:net";
import { hydrated, pickGuide, staffPage } from "./helpers";

/** RFC 3986 percent-encoding, as Aliyun's signature documents it. */
const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());

/** An Aliyun SendSms stand-in: checks the key, the signature (HMAC-SHA1 over
 *  the sorted, encoded parameters) and the template, and keeps what it accepts. */
function aliyun(keyId: string, secret: string, template: string) {
  const received: { phone: string; params: Record<string, string> }[] = [];
  const refused: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const params = new URLSearchParams(body);
      const answer = (status: number, o: object) => {
        res.statusCode = status;
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify({ RequestId: "E2E", ...o }));
      };
      const given = params.get("Signature") ?? "";
      params.delete("Signature");
      const canonical = [...params.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&");
      const want = createHmac("sha1", `${secret}&`).update(`POST&%2F&${enc(canonical)}`).digest("base64");
      if (params.get("AccessKeyId") !== keyId) {
        refused.push("InvalidAccessKeyId.NotFound");
        return answer(404, { Code: "InvalidAccessKeyId.NotFound", Message: "Specified access key is not found." });
      }
      if (given !== want) {
        refused.push("SignatureDoesNotMatch");
        return answer(400, { Code: "SignatureDoesNotMatch", Message: "Specified signature is not matched with our calculation." });
      }
      if (params.get("TemplateCode") !== template) {
        refused.push("isv.SMS_TEMPLATE_ILLEGAL");
        return answer(200, { Code: "isv.SMS_TEMPLATE_ILLEGAL", Message: "模板不合法" });
      }
      received.push({ phone: params.get("PhoneNumbers") ?? "", params: JSON.parse(params.get("TemplateParam") ?? "{}") });
      answer(200, { Code: "OK", Message: "OK", BizId: `${Date.now()}^0` });
    });
  });
  return { server, received, refused };
}

async function shot(page: Page, name: string) {
  if (process.env.FIXLINE_SHOTS) await page.screenshot({ path: `${process.env.FIXLINE_SHOTS}/${name}.png`, fullPage: true });
}

test("an admin sets up customer SMS and sends a test; a customer who ticks the box is texted the case number and may give an e-mail address", async ({ browser }) => {
  const sms = aliyun("LTAIe2e0000000001", "e2e-secret-0123456789", "SMS_480101");
  await new Promise<void>((ok) => sms.server.listen(0, "127.0.0.1", ok));
  const port = (sms.server.address() as AddressInfo).port;
  try {
    const page = await staffPage(browser, "admin", "zh-CN");
    await page.goto("/console/sms");
    await hydrated(page);
    await page.getByLabel("短信服务地址").fill(`http://127.0.0.1:${port}/`);
    await page.getByLabel("AccessKey ID / SecretId").fill("LTAIe2e0000000001");
    await page.getByLabel("AccessKey Secret / SecretKey").fill("e2e-secret-0123456789");
    // Without the approved signature the account is refused beside the field.
    await page.locator("#sms-tpl-received").fill("SMS_480101");
    await page.getByRole("button", { name: "保存短信设置" }).click();
    await expect(page.locator("#sms-sign-error")).toHaveText("必填");
    await page.getByLabel("短信签名").fill("某某安防");
    await page.getByRole("button", { name: "保存短信设置" }).click();
    await hydrated(page);
    await expect(page.locator("body")).not.toContainText("e2e-secret-0123456789");

    await page.getByLabel("测试手机号").fill("13800138000");
    await page.getByRole("button", { name: "发送测试消息" }).click();
    const result = page.getByTestId("sms-test-result");
    await expect(result).toContainText("已送达");
    await expect(result).toContainText('"Code":"OK"');
    expect(sms.refused).toEqual([]);
    expect(sms.received[0]).toEqual({ phone: "13800138000", params: { number: "FX-000000" } });
    await shot(page, "sms-settings-zh-CN");

    // A customer on a phone ticks "text me" and escalates.
    const customer = await (await browser.newContext({ locale: "zh-CN", viewport: { width: 360, height: 780 } })).newPage();
    await customer.goto("/widget/demo-hospital");
    await hydrated(customer);
    await customer.getByLabel("您的姓名").fill("王芳");
    await customer.getByLabel("联系电话").fill("139 0013 9000");
    await customer.getByLabel(/短信通知我进度/).check();
    await customer.getByLabel("出故障的设备").selectOption({ label: "无线报警主机 HA-8800（门诊楼）" });
    await customer.getByLabel("故障现象").fill(`主机面板全部不亮 ${Date.now()}`);
    // An e-mail address that is not one is named beside its field; the report waits.
    await customer.getByLabel(/电子邮箱/).fill("wang@qq");
    await customer.getByRole("button", { name: "下一步：自助排查" }).click();
    await expect(customer.locator("#email-error")).toHaveText("格式不对，请对照示例填写");
    await expect(customer.getByLabel(/电子邮箱/)).toHaveAttribute("aria-invalid", "true");
    await customer.getByLabel(/电子邮箱/).fill("wang.fang@hospital.test");
    await shot(customer, "widget-sms-opt-in-360");
    await customer.getByRole("button", { name: "下一步：自助排查" }).click();
    await pickGuide(customer, "报警主机故障自助排查");
    await customer.getByRole("button", { name: "全部不亮" }).click();
    await customer.getByRole("button", { name: "没有解决" }).click();
    await customer.getByRole("button", { name: "提交报修" }).click();
    await expect(customer.getByTestId("case-number")).toHaveText(/^FX-\d{6}$/);
    const number = (await customer.getByTestId("case-number").textContent())!.trim();
    await expect.poll(() => sms.received.map((r) => r.params.number), { timeout: 15_000 }).toContain(number);
    expect(sms.received.find((r) => r.params.number === number)!.phone).toBe("13900139000");

    // Staff see the address on the case; the mail is in the log, masked.
    await page.goto(`/console/cases/${number}`);
    await hydrated(page);
    await expect(page.getByRole("link", { name: "wang.fang@hospital.test" })).toHaveAttribute("href", "mailto:wang.fang@hospital.test");

    // The delivery log lists the text, the number masked.
    await page.goto("/console/notify/log");
    await hydrated(page);
    const row = page.getByTestId("sms-deliveries").locator("tr[data-message='received']").first();
    await expect(row).toContainText(number);
    await expect(row).toContainText("139****9000");
    await expect(page.getByTestId("sms-deliveries")).not.toContainText("13900139000");
    await expect(page.getByTestId("mail-deliveries").locator("tr[data-message='received']").first()).toContainText("w***@hospital.test");
    await shot(page, "sms-log-zh-CN");
  } finally {
    sms.server.close();
  }
});
