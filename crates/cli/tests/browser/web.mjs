// The web application in a real browser: Debian's Chromium driven by playwright-core against a
// running junkan node (started by crates/cli/tests/browser.rs). Signs in, switches language,
// walks the workspace with the keyboard, opens the main pages in both languages (screenshots in
// JUNKAN_SCREENSHOTS), checks the public passport page at phone width, signs out; fails when a
// page logs a console error, throws, fails a request, or asks any origin but the node.
//
// Environment: JUNKAN_BASE (http://127.0.0.1:<port>), JUNKAN_USERNAME, JUNKAN_PASSWORD,
// JUNKAN_PASSPORT_PATH (a passport page of the user's organization), JUNKAN_LINEAGE_ID (an
// identifier to trace), JUNKAN_SCREENSHOTS (a folder), JUNKAN_CHROMIUM (the browser).

import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const base = process.env.JUNKAN_BASE;
const username = process.env.JUNKAN_USERNAME;
const password = process.env.JUNKAN_PASSWORD;
const passportPath = process.env.JUNKAN_PASSPORT_PATH;
const lineageId = process.env.JUNKAN_LINEAGE_ID || "";
const screenshots = process.env.JUNKAN_SCREENSHOTS;
const executablePath = process.env.JUNKAN_CHROMIUM || "/usr/bin/chromium";
for (const [name, value] of Object.entries({ base, username, password, passportPath, screenshots })) {
  if (!value) {
    console.error(`missing environment: ${name}`);
    process.exit(2);
  }
}
mkdirSync(screenshots, { recursive: true });
const origin = new URL(base).origin;

const problems = [];
const steps = [];
function check(condition, message) {
  if (!condition) {
    problems.push(message);
  }
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

function watch(page, label) {
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") {
      problems.push(`${label}: console ${message.type()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`${label}: page error: ${error.message}`));
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith("data:") && new URL(url).origin !== origin) {
      problems.push(`${label}: request to another origin: ${url}`);
    }
  });
  page.on("requestfailed", (request) => {
    const reason = request.failure()?.errorText;
    // A navigation cancels what the page it leaves was still loading: not a failure.
    if (reason !== "net::ERR_ABORTED") {
      problems.push(`${label}: request failed: ${request.url()} (${reason})`);
    }
  });
  page.on("response", (response) => {
    if (response.status() >= 400) {
      problems.push(`${label}: ${response.status()} for ${response.url()}`);
    }
  });
}

async function lang(page) {
  return page.evaluate(() => document.documentElement.lang);
}

async function focused(page) {
  return page.evaluate(() => {
    const element = document.activeElement;
    const style = element ? getComputedStyle(element) : null;
    return {
      tag: element?.tagName,
      id: element?.id,
      text: (element?.textContent || "").trim(),
      href: element?.getAttribute?.("href") || "",
      outline: style ? style.outlineStyle : "none",
    };
  });
}

/// Presses Tab until the focused element satisfies `wanted` (at most `limit` times).
async function tabTo(page, wanted, limit = 60) {
  for (let index = 0; index < limit; index += 1) {
    await page.keyboard.press("Tab");
    const element = await focused(page);
    if (wanted(element)) {
      return element;
    }
  }
  return null;
}

async function shoot(page, name, fullPage = true) {
  await page.screenshot({ path: `${screenshots}/${name}.png`, fullPage });
}

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "ja-JP" });
  const page = await context.newPage();
  watch(page, "desktop");

  // Japanese by default; the skip link is the first stop of the keyboard and lands on main.
  await page.goto(`${base}/app`);
  check((await lang(page)) === "ja", "the home page is Japanese by default");
  await page.keyboard.press("Tab");
  const skip = await focused(page);
  check(skip.href === "#main", `the first Tab reaches the skip link (got ${JSON.stringify(skip)})`);
  check(skip.outline !== "none", "the focused skip link shows a focus outline");
  await page.keyboard.press("Enter");
  check((await focused(page)).id === "main", "the skip link moves focus to the main content");
  steps.push("skip link");

  // Sign in from the sign-in page, with the keyboard only.
  await page.goto(`${base}/app/sign-in`);
  check((await focused(page)).id === "username", "the sign-in form focuses the user name");
  await page.keyboard.type(username);
  await page.keyboard.press("Tab");
  await page.keyboard.type(password);
  await Promise.all([page.waitForURL(`${base}/app`), page.keyboard.press("Enter")]);
  check((await page.textContent("h1")).includes("ワークスペース"), "signed in: the workspace in Japanese");
  await shoot(page, "workspace-ja");
  steps.push("sign in");

  // Switch to English with the keyboard: the language button in the top bar.
  const english = await tabTo(page, (element) => element.tag === "BUTTON" && element.text === "English");
  check(english !== null, "the language switch is reachable by keyboard");
  await Promise.all([page.waitForLoadState("load"), page.keyboard.press("Enter")]);
  await page.waitForFunction(() => document.documentElement.lang === "en");
  check((await page.textContent("h1")).includes("workspace"), "the workspace in English");
  await shoot(page, "workspace-en");
  steps.push("language switch");

  // Walk the menu by keyboard to the passports, search, and open one.
  const passports = await tabTo(page, (element) => element.href === "/app/passports");
  check(passports !== null, "the passports menu entry is reachable by keyboard");
  check(passports?.outline !== "none", "menu entries show a focus outline");
  await Promise.all([page.waitForURL(`${base}/app/passports`), page.keyboard.press("Enter")]);
  check((await lang(page)) === "en", "the language is remembered across pages");
  const rows = await page.locator("tbody tr").count();
  check(rows > 0, "the organization has passports");
  await shoot(page, "passports-en");
  const search = await tabTo(page, (element) => element.id === "identifier");
  check(search !== null, "the identifier search field is reachable by keyboard");
  await page.keyboard.type("https://id.gs1.org/01/");
  await Promise.all([page.waitForURL(/identifier=/), page.keyboard.press("Enter")]);
  const link = await tabTo(page, (element) => element.href.startsWith("/app/passports/"));
  check(link !== null, "a passport link is reachable by keyboard");
  await Promise.all([page.waitForURL(/\/app\/passports\/[0-9a-f-]{36}/), page.keyboard.press("Enter")]);
  check((await page.locator("#verification-heading").count()) === 1, "the full passport page");
  steps.push("keyboard navigation");

  // The main pages in both languages.
  const pages = [
    ["passport", passportPath],
    ["events", "/app/events"],
    ["footprints", "/app/footprints"],
    ["grants", "/app/grants?direction=received"],
    ["indicators", "/app/indicators"],
  ];
  if (lineageId) {
    pages.push(["lineage", `/app/lineage?id=${encodeURIComponent(lineageId)}`]);
  }
  for (const language of ["en", "ja"]) {
    for (const [name, path] of pages) {
      await page.goto(`${base}${path}`);
      check((await lang(page)) === language, `${name} is in ${language}`);
      await shoot(page, `${name}-${language}`);
    }
    if (language === "en") {
      await page.goto(`${base}/app`);
      const button = page.locator("form[action='/app/language'] button");
      await Promise.all([page.waitForLoadState("load"), button.click()]);
      await page.waitForFunction(() => document.documentElement.lang === "ja");
    }
  }
  await page.goto(`${base}/app/indicators`);
  check((await page.locator("svg.chart circle").count()) > 0, "the indicator chart has points");
  if (lineageId) {
    await page.goto(`${base}/app/lineage?id=${encodeURIComponent(lineageId)}`);
    check((await page.locator("svg.lineage .node").count()) > 1, "the lineage graph has nodes");
  }
  steps.push("main pages");

  // The public passport page (the QR code's target) on a phone: no horizontal scrolling.
  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    locale: "ja-JP",
  });
  const phonePage = await phone.newPage();
  watch(phonePage, "phone");
  const publicLink = await page.goto(`${base}${passportPath}`).then(() =>
    page.getAttribute("a[href*='/01/']", "href")
  );
  check(Boolean(publicLink), "the passport page links to its public page");
  if (publicLink) {
    await phonePage.goto(publicLink);
    check((await lang(phonePage)) === "ja", "the public page is Japanese by default");
    const overflow = await phonePage.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth
    );
    check(overflow <= 1, `the public page fits a phone's width (overflow ${overflow}px)`);
    await shoot(phonePage, "public-passport-phone-ja", false);
  }
  await phonePage.goto(`${base}/app/indicators`);
  const overflow = await phonePage.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth
  );
  check(overflow <= 1, `the dashboard fits a phone's width (overflow ${overflow}px)`);
  await shoot(phonePage, "indicators-phone-ja", false);
  await phone.close();
  steps.push("phone");

  // Sign out.
  await page.goto(`${base}/app`);
  await Promise.all([page.waitForURL(/\/app\/sign-in/), page.click("form[action='/app/sign-out'] button")]);
  await page.goto(`${base}/app/passports`);
  check(page.url().includes("/app/sign-in"), "signed out: the workspace asks for sign-in again");
  steps.push("sign out");
  await context.close();
} catch (error) {
  problems.push(`the run stopped: ${error.stack || error}`);
} finally {
  await browser.close();
}

console.log(JSON.stringify({ steps, problems }, null, 2));
process.exit(problems.length === 0 ? 0 : 1);
