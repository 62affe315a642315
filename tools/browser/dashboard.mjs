// Opens the ops dashboard in Debian's Chromium through playwright-core and reports what it
// shows: every element's data-testid with its text, whether each chart image loaded, and a
// full-page screenshot. Usage: node dashboard.mjs URL SCREENSHOT.png
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [url, screenshot] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), "csods-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CSODS_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const page = await context.newPage();
  await page.goto(url, { waitUntil: "load" });
  await page.waitForSelector("[data-testid=stages]");
  const shown = await page.evaluate(() => {
    const texts = {};
    for (const node of document.querySelectorAll("[data-testid]")) {
      texts[node.dataset.testid] = node.tagName === "IMG"
        ? (node.complete && node.naturalWidth > 0 ? "loaded" : "broken")
        : node.innerText.trim();
    }
    return { title: document.title, refresh: document.querySelector("meta[http-equiv=refresh]")?.content, texts };
  });
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  process.stdout.write(JSON.stringify(shown));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
