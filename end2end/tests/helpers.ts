import { expect, Page } from "@playwright/test";

/** When several guides fit the equipment the widget asks which; pick one. */
export async function pickGuide(page: Page, title: string) {
  const pick = page.getByRole("button", { name: title });
  const firstStep = page.locator(".step-no");
  await expect(pick.or(firstStep).first()).toBeVisible();
  if (await pick.isVisible()) await pick.click();
}

/** Waits until the WASM has hydrated the page, so clicks reach Leptos. */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated='true']")).toHaveCount(1, { timeout: 20_000 });
}

export const DEMO_PASSWORD = "fixline-demo";
