// The web application in a real browser: Debian's Chromium driven by playwright-core against a
// running junkan node (started by crates/cli/tests/browser.rs). Signs in, switches language,
// walks the workspace with the keyboard, opens the main pages in both languages (screenshots in
// JUNKAN_SCREENSHOTS), checks the public passport page at phone width, signs out; fails when a
// page logs a console error, throws, fails a request, or asks any origin but the node.
//
// Environment: JUNKAN_BASE (http://127.0.0.1:<port>), JUNKAN_USERNAME, JUNKAN_PASSWORD,
// JUNKAN_PASSPORT_PATH (a passport page of the user's organization), JUNKAN_LINEAGE_ID (an
// identifier to trace), JUNKAN_PASSPORT_EXAMPLE (a complete home-appliance passport's data, JSON,
// for the create form), JUNKAN_AUDITOR_USERNAME and JUNKAN_AUDITOR_PASSWORD (the demo
// authority's account, for the whole loop's Sankey), JUNKAN_CERTIFIED_PASSPORT_PATH (a passport
// page with conformity certificates), JUNKAN_CERTIFIER_USERNAME and JUNKAN_CERTIFIER_PASSWORD (the
// demo certification body's account, for its certificates page), JUNKAN_SCREENSHOTS (a folder),
// JUNKAN_CHROMIUM (the browser), JUNKAN_OWNER_ORGANIZATION and JUNKAN_REQUESTED_PASSPORT_ID (the
// user's organization and its passport the certification body asks access to: request, approve in
// the inbox, the grant on both sides, the read under it in the owner's audit).
//
// Every main page is also checked by axe-core (run in the page): serious and critical
// violations of WCAG 2.1 A/AA fail the run.

import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const base = process.env.JUNKAN_BASE;
const username = process.env.JUNKAN_USERNAME;
const password = process.env.JUNKAN_PASSWORD;
const passportPath = process.env.JUNKAN_PASSPORT_PATH;
const lineageId = process.env.JUNKAN_LINEAGE_ID || "";
const passportExample = JSON.parse(process.env.JUNKAN_PASSPORT_EXAMPLE || "null");
const auditorUsername = process.env.JUNKAN_AUDITOR_USERNAME || "";
const auditorPassword = process.env.JUNKAN_AUDITOR_PASSWORD || "";
const certifiedPassportPath = process.env.JUNKAN_CERTIFIED_PASSPORT_PATH || "";
const certifierUsername = process.env.JUNKAN_CERTIFIER_USERNAME || "";
const certifierPassword = process.env.JUNKAN_CERTIFIER_PASSWORD || "";
const ownerOrganization = process.env.JUNKAN_OWNER_ORGANIZATION || "";
const requestedPassportId = process.env.JUNKAN_REQUESTED_PASSPORT_ID || "";
const nodeAdminUsername = process.env.JUNKAN_NODE_ADMIN_USERNAME || "";
const nodeAdminPassword = process.env.JUNKAN_NODE_ADMIN_PASSWORD || "";
const peerBase = process.env.JUNKAN_PEER_BASE || "";
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

/// Records what goes wrong on `page`; `expectedStatuses` are answers a step asks for (a form
/// refused with 422 on purpose), not problems.
function watch(page, label, expectedStatuses = []) {
  const expected = (text) => expectedStatuses.some((status) => text.includes(`status of ${status} `));
  page.on("console", (message) => {
    if ((message.type() === "error" || message.type() === "warning") && !expected(message.text())) {
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
    if (response.status() >= 400 && !expectedStatuses.includes(response.status())) {
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

/// Runs axe-core in the page (evaluated through the DevTools protocol, so the page's CSP, which
/// allows no inline script, stays as it is) and records serious and critical violations.
const axeChecked = [];
async function axeViolations(page) {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const results = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      resultTypes: ["violations"],
    });
    return results.violations
      .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
      .map((violation) => ({
        id: violation.id,
        impact: violation.impact,
        nodes: violation.nodes.slice(0, 3).map((node) => node.target.join(" ")),
      }));
  });
}

async function checkAccessibility(page, name) {
  for (const violation of await axeViolations(page)) {
    problems.push(`${name}: axe ${violation.impact} ${violation.id} at ${violation.nodes.join(", ")}`);
  }
  axeChecked.push(name);
}

/// A passport's data as the generated form's fields: (field name, text) per value, arrays as JSON.
function formFields(value, pointer, fields) {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [name, member] of Object.entries(value)) {
      formFields(member, `${pointer}/${name}`, fields);
    }
  } else if (typeof value === "string") {
    fields.push([`data${pointer}`, value]);
  } else {
    fields.push([`data${pointer}`, JSON.stringify(value)]);
  }
  return fields;
}

async function fillField(page, name, text) {
  const field = page.locator(`[name="${name}"]`);
  const tag = await field.evaluate((element) => element.tagName);
  if (tag === "SELECT") {
    await field.selectOption(text);
  } else {
    await field.fill(text);
  }
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
  const link = await tabTo(page, (element) => /^\/app\/passports\/[0-9a-f-]{36}$/.test(element.href));
  check(link !== null, "a passport link is reachable by keyboard");
  await Promise.all([page.waitForURL(/\/app\/passports\/[0-9a-f-]{36}/), page.keyboard.press("Enter")]);
  check((await page.locator("#verification-heading").count()) === 1, "the full passport page");
  steps.push("keyboard navigation");

  // The accessibility check itself: an image without a text alternative must be reported.
  const probe = await context.newPage();
  await probe.setContent('<!DOCTYPE html><html lang="en"><head><title>probe</title></head><body><main><img src="data:,"></main></body></html>');
  const probed = await axeViolations(probe);
  check(probed.some((violation) => violation.id === "image-alt"), `axe reports a missing alt text (got ${JSON.stringify(probed)})`);
  await probe.close();

  // The main pages in both languages, each checked by axe-core.
  const pages = [
    ["workspace", "/app"],
    ["passports", "/app/passports?owner=all"],
    ["passport", passportPath],
    ["passport-form", "/app/passports/new?profile=home_appliance"],
    ["events", "/app/events"],
    ["footprints", "/app/footprints"],
    ["grants", "/app/grants?direction=received"],
    ["requests", "/app/requests"],
    ["requests-new", "/app/requests/new"],
    ["grants-standing", "/app/grants?direction=standing"],
    ["audit", "/app/audit"],
    ["catalog", "/app/catalog"],
    ["upload", "/app/upload"],
    ["indicators", "/app/indicators"],
    ["partners", "/app/partners"],
    ["partners-members", "/app/partners/members"],
    ["certificates", "/app/certificates"],
    ["log", "/app/log"],
    ["peers", "/app/peers"],
    ["received", "/app/received"],
    ["dataspace", "/app/dataspace"],
    ["remote-supplies", "/app/remote-supplies"],
  ];
  if (certifiedPassportPath) {
    pages.push(["passport-certificates", certifiedPassportPath]);
  }
  if (lineageId) {
    pages.push(["lineage", `/app/lineage?id=${encodeURIComponent(lineageId)}`]);
    pages.push(["flows", `/app/flows?id=${encodeURIComponent(lineageId)}`]);
  }
  for (const language of ["en", "ja"]) {
    for (const [name, path] of pages) {
      await page.goto(`${base}${path}`);
      check((await lang(page)) === language, `${name} is in ${language}`);
      if (name === "requests-new") {
        // The fields box (項目) of a new request, labelled in the page's language.
        const label = (await page.locator("label[for='scope-fields']").textContent()) ?? "";
        check((await page.locator("textarea#scope-fields[name='fields']").count()) === 1, `the request form has a fields box (${language})`);
        check(label.includes(language === "ja" ? "項目" : "Fields"), `the fields box is labelled in ${language}: ${label}`);
      }
      if (name === "remote-supplies") {
        const heading = (await page.textContent("h1")) ?? "";
        check(heading.includes(language === "ja" ? "他ノードの供給元部品" : "Parts bought on peer nodes"), `remote supplies heading in ${language}: ${heading}`);
      }
      await shoot(page, `${name}-${language}`);
      await checkAccessibility(page, `${name} (${language})`);
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
    // The lineage links to the material flows of the same identifier; as the pack maker most of
    // the loop is other companies' withheld steps, drawn as such.
    await Promise.all([page.waitForURL(/\/app\/flows\?/), page.click("a[href^='/app/flows?']")]);
    check((await page.locator("svg.sankey a.flow.withheld").count()) > 0, "withheld steps are drawn as withheld");
  }
  if (lineageId && auditorUsername) {
    // The Sankey of the battery's loop as the authority (an auditor reads every step, audited):
    // flows between stages, recycling back into production, each a link to what is behind it.
    const auditor = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "ja-JP" });
    const auditorPage = await auditor.newPage();
    watch(auditorPage, "auditor");
    await auditorPage.goto(`${base}/app/sign-in`);
    await auditorPage.fill("#username", auditorUsername);
    await auditorPage.fill("#password", auditorPassword);
    await Promise.all([auditorPage.waitForURL(`${base}/app`), auditorPage.click("form[action='/app/sign-in'] button")]);
    await auditorPage.goto(`${base}/app/flows?id=${encodeURIComponent(lineageId)}`);
    const flows = await auditorPage.locator("svg.sankey a.flow").count();
    check(flows >= 6, `the Sankey diagram draws the loop's flows (got ${flows})`);
    const circular = auditorPage.locator("svg.sankey a.flow.circular");
    check((await circular.count()) > 0, "recycling flows back into production");
    await shoot(auditorPage, "flows-auditor-ja");
    await checkAccessibility(auditorPage, "flows as auditor (ja)");
    // By keyboard (the loop's bounding box is mostly empty, so a click at its centre misses).
    await circular.first().focus();
    await Promise.all([auditorPage.waitForURL(/flow=/), auditorPage.keyboard.press("Enter")]);
    check((await auditorPage.locator("#flow-details tbody tr").count()) > 0, "a flow lists the lots and events behind it");
    check((await auditorPage.locator("#flow-details").textContent()).includes("kg"), "with their recorded quantities");
    await shoot(auditorPage, "flows-details-auditor-ja");
    await auditor.close();
    steps.push("sankey");
  }
  if (nodeAdminUsername) {
    // The node administrator's peer nodes page: registering a peer whose URL is refused shows
    // the problem next to the field, in both languages.
    const admin = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "ja-JP" });
    const adminPage = await admin.newPage();
    watch(adminPage, "node administrator", [422]);
    await adminPage.goto(`${base}/app/sign-in`);
    await adminPage.fill("#username", nodeAdminUsername);
    await adminPage.fill("#password", nodeAdminPassword);
    await Promise.all([adminPage.waitForURL(`${base}/app`), adminPage.click("form[action='/app/sign-in'] button")]);
    for (const language of ["ja", "en"]) {
      await adminPage.goto(`${base}/app/peers`);
      check((await lang(adminPage)) === language, `peers (node administrator) is in ${language}`);
      await adminPage.fill("#peer-base-url", "http://junkan.example.jp");
      await Promise.all([adminPage.waitForLoadState("load"), adminPage.click("form[action='/app/peers'] button")]);
      const problem = await adminPage.locator("#peer-base-url-problem").textContent();
      check(problem.includes(language === "ja" ? "https:// の URL を入力してください" : "must use https"), `the refused base URL is explained next to the field (${language}): ${problem}`);
      check((await adminPage.locator("#peer-base-url").getAttribute("aria-describedby")) === "peer-base-url-problem", "the field names its problem");
      await shoot(adminPage, `peers-admin-${language}`);
      await checkAccessibility(adminPage, `peers as node administrator (${language})`);
      if (language === "ja") {
        const button = adminPage.locator("form[action='/app/language'] button");
        await Promise.all([adminPage.waitForLoadState("load"), button.click()]);
        await adminPage.waitForFunction(() => document.documentElement.lang === "en");
      }
    }
    await admin.close();
    steps.push("peers");
  }
  if (certifierUsername) {
    // The certification body's page: the issue form and the certificates it issued, one revoked.
    const certifier = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "ja-JP" });
    const certifierPage = await certifier.newPage();
    watch(certifierPage, "certifier");
    await certifierPage.goto(`${base}/app/sign-in`);
    await certifierPage.fill("#username", certifierUsername);
    await certifierPage.fill("#password", certifierPassword);
    await Promise.all([certifierPage.waitForURL(`${base}/app`), certifierPage.click("form[action='/app/sign-in'] button")]);
    await certifierPage.goto(`${base}/app/certificates`);
    check((await certifierPage.locator("form[action='/app/certificates']").count()) === 1, "certifiers get the issue form");
    const text = await certifierPage.locator("main").textContent();
    check(text.includes("取消済み") && text.includes("署名有効"), "issued certificates show their verification status");
    await shoot(certifierPage, "certificates-certifier-ja");
    await checkAccessibility(certifierPage, "certificates as certifier (ja)");
    await certifier.close();
    steps.push("certificates");
  }
  steps.push("main pages");

  if (certifierUsername && ownerOrganization && requestedPassportId) {
    // Data sovereignty: the certification body asks the user's organization for the dismantling
    // fields of its battery passport; the owner approves in the inbox; the grant shows on both
    // sides; the requester reads under it (naming the purpose) and the owner's audit shows it.
    const requester = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "ja-JP" });
    const requesterPage = await requester.newPage();
    watch(requesterPage, "requester");
    await requesterPage.goto(`${base}/app/sign-in`);
    await requesterPage.fill("#username", certifierUsername);
    await requesterPage.fill("#password", certifierPassword);
    await Promise.all([requesterPage.waitForURL(`${base}/app`), requesterPage.click("form[action='/app/sign-in'] button")]);
    await requesterPage.goto(`${base}/app/requests/new?owner=${ownerOrganization}`);
    check((await requesterPage.inputValue("#owner")) === ownerOrganization, "the request form is pre-filled with the owner");
    await requesterPage.selectOption("#kind", "passport");
    await requesterPage.fill("#record-ids", requestedPassportId);
    await requesterPage.selectOption("#level", "legitimate_interest");
    await requesterPage.fill("#purpose", "dismantling");
    await requesterPage.fill("#until", "2099-03-31");
    await requesterPage.fill("#max-reads", "10");
    await requesterPage.fill("#message", "解体計画のため");
    // Two fields of the passport (項目の範囲), one a line.
    await requesterPage.fill("#scope-fields", "/Circularity/dismantlingAndRemovalInformation\n/GeneralProductInformation");
    await shoot(requesterPage, "request-form-ja");
    await checkAccessibility(requesterPage, "new access request (ja)");
    await Promise.all([
      requesterPage.waitForURL(/done=requested/),
      requesterPage.click("form[action='/app/requests/new'] button[type=submit]"),
    ]);
    check((await requesterPage.locator("main").textContent()).includes("アクセス申請を送信しました"), "the request is sent");
    const requestPath = new URL(requesterPage.url()).pathname;

    await page.goto(`${base}/app/requests`);
    check((await page.locator(`a[href='${requestPath}']`).count()) === 1, "the owner's inbox lists the request");
    await shoot(page, "requests-inbox-pending-ja");
    await checkAccessibility(page, "requests inbox with a pending request (ja)");
    await Promise.all([page.waitForURL(new RegExp(requestPath)), page.click(`a[href='${requestPath}']`)]);
    check((await page.locator("form[action$='/narrow']").count()) === 1, "the owner may narrow");
    check((await page.inputValue("#narrow-until")) === "2099-03-31", "the narrowing form holds the values asked for");
    const asked = await page.inputValue("#narrow-fields");
    check(
      asked.includes("/Circularity/dismantlingAndRemovalInformation") && asked.includes("/GeneralProductInformation"),
      `the narrowing form's fields box holds the fields asked for: ${JSON.stringify(asked)}`,
    );
    await shoot(page, "request-decide-ja");
    await checkAccessibility(page, "request decision (ja)");
    // The same decision page in English: the fields box labelled in English, checked by axe.
    const decisionPath = new URL(page.url()).pathname;
    const toggle = async (language) => {
      await Promise.all([page.waitForLoadState("load"), page.locator("form[action='/app/language'] button").click()]);
      await page.waitForFunction((wanted) => document.documentElement.lang === wanted, language);
      await page.goto(`${base}${decisionPath}`);
    };
    await toggle("en");
    const fieldsLabel = (await page.locator("label[for='narrow-fields']").textContent()) ?? "";
    check(fieldsLabel.includes("Fields"), `the narrowing fields box is labelled in English: ${fieldsLabel}`);
    check((await page.inputValue("#narrow-fields")).includes("/GeneralProductInformation"), "the fields box holds the request's fields (en)");
    await shoot(page, "request-decide-en");
    await checkAccessibility(page, "request decision (en)");
    await toggle("ja");
    // Narrowed to one of the two fields: the grant covers only it.
    await page.fill("#narrow-fields", "/Circularity/dismantlingAndRemovalInformation");
    await Promise.all([page.waitForURL(/done=narrowed/), page.click("form[action$='/narrow'] button[type=submit]")]);
    check((await page.locator("main").textContent()).includes("縮小して承認し、許諾を作成しました"), "narrowed in the inbox");
    await page.goto(`${base}/app/grants`);
    check((await page.locator(`a[href='${requestPath}']`).count()) === 1, "the grant names the request it came from");
    await shoot(page, "grants-given-ja");

    const read = await requesterPage.request.get(`${base}/api/v1/passports/${requestedPassportId}`, {
      headers: { "Junkan-Purpose": "dismantling" },
    });
    check(read.ok(), `the requester reads under the grant (${read.status()})`);
    const readBody = await read.json();
    check(
      JSON.stringify(Object.keys(readBody.data ?? {})) === JSON.stringify(["Circularity"]) &&
        JSON.stringify(Object.keys(readBody.data.Circularity ?? {})) === JSON.stringify(["dismantlingAndRemovalInformation"]),
      `the read serves only the granted field: ${JSON.stringify(Object.keys(readBody.data ?? {}))}`,
    );
    await requesterPage.goto(`${base}/app/grants?direction=received`);
    check((await requesterPage.locator("main").textContent()).includes("1 / 10"), "the requester's grant counts the read");
    await shoot(requesterPage, "grants-received-ja");
    await checkAccessibility(requesterPage, "grants received (ja)");
    await requester.close();

    await page.goto(`${base}/app/audit`);
    const audit = await page.locator("main").textContent();
    check(audit.includes(requestedPassportId) && audit.includes("dismantling"), "the owner's audit shows the read");
    await shoot(page, "audit-read-ja");
    await checkAccessibility(page, "owner's audit with a read (ja)");
    steps.push("access request");
  }

  // Create a passport through the form generated from the profile: problems next to their
  // fields first, then saved once fixed.
  if (passportExample) {
    await page.goto(`${base}/app/passports`);
    await Promise.all([page.waitForURL(/\/app\/passports\/new/), page.click("a[href='/app/passports/new']")]);
    await page.selectOption("#profile", "home_appliance");
    await Promise.all([page.waitForURL(/profile=home_appliance/), page.click("form[action='/app/passports/new'] button")]);
    await page.fill("#meta-identifier", "https://id.gs1.org/01/04512345000776");
    for (const [name, text] of formFields(passportExample, "", [])) {
      await fillField(page, name, name === "data/manufactureYear" ? "twenty" : text);
    }
    await Promise.all([page.waitForLoadState("load"), page.click("form.passport-form button[type=submit]")]);
    check((await page.locator(".error-summary").count()) === 1, "the refused form lists its problems");
    const yearError = page.locator("#field\\.manufactureYear-error");
    check((await yearError.count()) === 1 && (await yearError.isVisible()), "the problem is shown next to its field");
    check(
      (await page.getAttribute("#field\\.manufactureYear", "aria-describedby") || "").includes("manufactureYear-error"),
      "the field is described by its problem"
    );
    await shoot(page, "passport-form-errors-ja");
    await checkAccessibility(page, "passport form with problems (ja)");
    await page.fill("#field\\.manufactureYear", String(passportExample.manufactureYear));
    await Promise.all([page.waitForURL(/saved=1/), page.click("form.passport-form button[type=submit]")]);
    check((await page.locator("main p.notice").first().textContent()).includes("保存しました"), "the passport is saved");
    await shoot(page, "passport-created-ja");
    steps.push("create passport");
  }

  // A file import with the script: sent in the background (the address stays), the report
  // replaces the main part and names the problem's place in the file.
  await page.goto(`${base}/app/upload`);
  await page.setInputFiles("#events-file", {
    name: "events.json",
    mimeType: "application/json",
    buffer: Buffer.from('{"type": "EPCISDocument",\n oops}'),
  });
  await page.click("form[action='/app/upload/events'] button[type=submit]");
  await page.waitForSelector("#upload-report");
  check(page.url() === `${base}/app/upload`, `the report came without a page load (at ${page.url()})`);
  check((await page.locator("main table.problems").textContent()).includes("2 行"), "the report names the line");
  await shoot(page, "upload-report-ja");
  steps.push("import with progress");

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

  if (nodeAdminUsername && peerBase) {
    // Parts bought on peer nodes (ノード間の調達): the node administrator registers a second node
    // as a peer; the pack maker's page then offers the link form, which refuses a malformed link
    // with the problems next to the fields, in both languages, checked by axe.
    const admin = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "ja-JP" });
    const adminPage = await admin.newPage();
    watch(adminPage, "node administrator (peer)");
    await adminPage.goto(`${base}/app/sign-in`);
    await adminPage.fill("#username", nodeAdminUsername);
    await adminPage.fill("#password", nodeAdminPassword);
    await Promise.all([adminPage.waitForURL(`${base}/app`), adminPage.click("form[action='/app/sign-in'] button")]);
    await adminPage.goto(`${base}/app/peers`);
    await adminPage.fill("#peer-base-url", peerBase);
    await Promise.all([adminPage.waitForLoadState("load"), adminPage.click("form[action='/app/peers'] button")]);
    check((await adminPage.locator("main").textContent()).includes(peerBase), "the peer node is registered");
    await admin.close();

    const buyer = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "ja-JP" });
    const buyerPage = await buyer.newPage();
    watch(buyerPage, "remote supplies", [422]);
    await buyerPage.goto(`${base}/app/sign-in`);
    await buyerPage.fill("#username", username);
    await buyerPage.fill("#password", password);
    await Promise.all([buyerPage.waitForURL(`${base}/app`), buyerPage.click("form[action='/app/sign-in'] button")]);
    for (const language of ["ja", "en"]) {
      await buyerPage.goto(`${base}/app/remote-supplies`);
      if ((await lang(buyerPage)) !== language) {
        // The user's language is kept with the account: switch it on the page itself.
        await Promise.all([buyerPage.waitForLoadState("load"), buyerPage.locator("form[action='/app/language'] button").click()]);
        await buyerPage.waitForFunction((wanted) => document.documentElement.lang === wanted, language);
        await buyerPage.goto(`${base}/app/remote-supplies`);
      }
      check((await lang(buyerPage)) === language, `remote supplies is in ${language}`);
      check((await buyerPage.locator("form[action='/app/remote-supplies']").count()) === 1, `the link form is shown (${language})`);
      check((await buyerPage.locator("#supply-peer option").count()) === 1, "the registered peer is offered");
      await shoot(buyerPage, `remote-supplies-form-${language}`);
      await checkAccessibility(buyerPage, `remote supplies with a peer (${language})`);
      await buyerPage.fill("#supply-part", "not-a-part");
      await buyerPage.fill("#supply-did", "did:web:elsewhere.example:organizations:1");
      await buyerPage.fill("#supply-supplier-part", "not-a-part-either");
      await Promise.all([buyerPage.waitForLoadState("load"), buyerPage.click("form[action='/app/remote-supplies'] button[type=submit]")]);
      const problem = buyerPage.locator("#supply-part-problem");
      check((await problem.count()) === 1 && (await problem.isVisible()), `the malformed part is explained next to its field (${language})`);
      if (language === "ja") {
        check((await problem.textContent()).includes("トレース ID（UUID）を入力してください"), "the problem is explained in Japanese");
      }
      check(
        ((await buyerPage.getAttribute("#supply-part", "aria-describedby")) || "").includes("supply-part-problem"),
        "the field is described by its problem"
      );
      await shoot(buyerPage, `remote-supplies-problems-${language}`);
      await checkAccessibility(buyerPage, `remote supplies with problems (${language})`);
    }
    await buyer.close();
    steps.push("remote supplies");
  }
} catch (error) {
  problems.push(`the run stopped: ${error.stack || error}`);
} finally {
  await browser.close();
}

console.log(JSON.stringify({ steps, axeChecked, problems }, null, 2));
process.exit(problems.length === 0 ? 0 : 1);
