import { defineConfig } from "@playwright/test";
import { CHROMIUM } from "./tests/helpers";

// Debian's Chromium only: never a browser downloaded by the test tool.
export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: process.env.FIXLINE_BASE_URL ?? "http://127.0.0.1:3000",
    locale: "zh-CN",
    trace: "off",
    screenshot: "only-on-failure",
    launchOptions: CHROMIUM,
  },
});
