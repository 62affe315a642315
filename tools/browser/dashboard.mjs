// Opens the ops dashboard in Debian's Chromium through playwright-core and reports what it
// shows: every element's data-testid with its text, whether each chart image loaded, and a
// full-page screenshot. Usage: node dashboard.mjs URL SCREENSHOT.png [THEN_URL]
// When the dashboard sends the browser to its force's issuer, it signs in there as
// CSODS_SIGN_IN_USER with CSODS_SIGN_IN_PASSWORD, as a person would at the form. THEN_URL,
// if given, is opened next in the same browser, and what it answered is reported.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [url, screenshot, thenUrl] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), "csods-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CSODS_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1280, height: 900 },
  // The local issuer's certificate is the stack's own authority's; the services check it.
  ignoreHTTPSErrors: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const page = await context.newPage();
  await page.goto(url, { waitUntil: "load" });
  let signedIn = false;
  if (await page.locator("#password").count()) {
    await page.selectOption("#username", process.env.CSODS_SIGN_IN_USER || "ops");
    await page.fill("#password", process.env.CSODS_SIGN_IN_PASSWORD || "");
    await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("#sign-in")]);
    signedIn = true;
  }
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
  shown.signedIn = signedIn;
  if (thenUrl) {
    const answer = await page.goto(thenUrl, { waitUntil: "load" });
    shown.then = { status: answer.status(), url: page.url(), text: (await page.innerText("body")).slice(0, 500) };
  }
  process.stdout.write(JSON.stringify(shown));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
