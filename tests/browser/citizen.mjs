// A resident's whole visit to a city's site, in Debian's headless Chromium:
// read the home page figures, find a category, ask (first with a mistake,
// to see the message next to the field), keep the tracking code and
// secret, get an answer from staff (through the API), find the answer by
// tracking code and rate it, and see the home page figures change. Every
// main page is checked with axe-core and saved as a phone-width
// screenshot. Started by tests/e2e/browser.rs with the plan in
// MINSHENG_BROWSER_PLAN (JSON); exits non-zero with a message on the first
// thing that is wrong.

import { audit, launch } from "./common.mjs";
import { mkdirSync } from "node:fs";
import assert from "node:assert/strict";

const plan = JSON.parse(process.env.MINSHENG_BROWSER_PLAN);
const site = `${plan.base}/t/${plan.slug}/`;
mkdirSync(plan.artifacts, { recursive: true });

const browser = await launch();

const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };

async function shot(page, name) {
  await page.screenshot({ path: `${plan.artifacts}/${plan.slug}-${name}.png`, fullPage: true });
}

async function figure(page, id) {
  return (await page.textContent(`[data-testid="${id}"]`)).trim();
}

async function staff(method, path, body) {
  const resp = await fetch(`${plan.base}/api/v1/tenants/${plan.slug}/cases/${path}`, {
    method,
    headers: {
      cookie: plan.staff.cookie,
      "x-csrf-token": plan.staff.csrf,
      "content-type": "application/json",
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await resp.text();
  assert.ok(resp.ok, `staff ${path}: ${resp.status} ${text}`);
}

const context = await browser.newContext({ ...phone, javaScriptEnabled: plan.javascript });
const page = await context.newPage();
// On any failure: where the page was, what it showed, and a screenshot.
process.on("uncaughtException", async (e) => {
  console.error(`${e.stack || e}\nat ${page.url()}`);
  try {
    console.error((await page.textContent("main")).slice(0, 2000));
    await shot(page, "failure");
  } catch {}
  process.exit(1);
});
page.on("dialog", (d) => {
  throw new Error(`a script ran in the page: dialog ${JSON.stringify(d.message())}`);
});

// 1. The home page and its figures.
let resp = await page.goto(site);
assert.equal(resp.status(), 200);
assert.equal(await page.getAttribute("html", "lang"), plan.lang);
const before = {
  received: Number(await figure(page, "received")),
  answered: Number(await figure(page, "answered")),
};
await shot(page, "home");

// 2. Find the category by searching.
await page.click('[data-testid="ask-entry"]');
await page.fill("#q", plan.search);
if (!plan.javascript) {
  await page.click('form[role="search"] button[type="submit"]');
}
const link = page.locator(`a[data-code="${plan.category}"]`);
await link.waitFor({ state: "visible" });
await shot(page, "ask-categories");
await link.click();
assert.equal((await page.textContent('[data-testid="chosen-category"]')).trim(), plan.category_name);

// 3. A first try with a title that is too short: the message is next to
//    the field, in the page's language, and nothing is filed.
await page.fill("#title", "x");
await page.fill("#text", plan.text);
await page.click('[data-testid="submit"]');
await page.waitForSelector("#title-error");
assert.equal(await page.getAttribute("#title", "aria-invalid"), "true");
assert.ok((await page.getAttribute("#title", "aria-describedby")).includes("title-error"));
assert.equal((await page.textContent("#title-error")).trim(), plan.title_error);
for (const a of plan.attributes) {
  // The category's required questions left unanswered are marked too.
  await page.waitForSelector(`#attr-${a.code}-error`);
}
await shot(page, "ask-errors");

// 4. The real question.
await page.fill("#title", plan.title);
for (const a of plan.attributes) {
  if (a.kind === "text") await page.fill(`#attr-${a.code}`, a.value);
  else await page.check(`input[name="attribute[${a.code}]"][value="${a.value}"]`);
}
await page.fill("#address", plan.address);
await page.fill("#contact_name", plan.contact_name);
await page.fill("#contact_phone", plan.contact_phone);
await shot(page, "ask-form");
await page.click('[data-testid="submit"]');
await page.waitForSelector('[data-testid="tracking-code"]');
const code = (await page.textContent('[data-testid="tracking-code"]')).trim();
const secret = (await page.textContent('[data-testid="secret"]')).trim();
assert.match(code, /^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
assert.ok(secret.length >= 16, secret);
assert.ok((await page.getAttribute('[data-testid="bookmark"]', "href")).includes(code));
await shot(page, "submitted");

// 5. The back button and a second send: still one case, the same code.
if (!plan.javascript) {
  await page.goBack();
  await page.waitForSelector('[data-testid="submit"]');
  await page.click('[data-testid="submit"]');
  await page.waitForSelector('[data-testid="tracking-code"]');
  assert.equal((await page.textContent('[data-testid="tracking-code"]')).trim(), code);
}

// 6. Staff answer through the API.
await staff("POST", `${code}/accept`);
await staff("POST", `${code}/assign`, { lead: plan.lead });
await staff("POST", `${code}/start`);
await staff("POST", `${code}/answer`, { text: plan.answer });

// 7. The citizen finds the answer by tracking code and secret, and rates it.
await page.goto(`${site}track`);
await page.fill("#code", code.toLowerCase());
await page.fill("#secret", secret);
await page.click('main form button[type="submit"]');
await page.waitForSelector('[data-testid="case-answer"]');
assert.equal((await page.textContent('[data-testid="case-answer"]')).trim(), plan.answer);
await shot(page, "answer");
await page.getByLabel(plan.rating_label, { exact: true }).check();
await page.click('[data-testid="rate"]');
await page.waitForSelector('[data-testid="notice"]');
assert.equal((await page.textContent('[data-testid="case-rating"]')).trim(), plan.rating_label);
assert.equal(await page.getAttribute('[data-testid="case-state"]', "data-state"), "closed");
await shot(page, "rated");

// 8. The public page shows the question as text, the answer and the rating.
resp = await page.goto(`${site}cases/${code}`);
assert.equal(resp.status(), 200);
assert.equal((await page.textContent('[data-testid="case-title"]')).trim(), plan.title);
assert.ok((await page.textContent('[data-testid="case-text"]')).includes(plan.text.trim()));
assert.equal(await page.locator("main script").count(), 0);
assert.equal((await page.textContent('[data-testid="case-rating"]')).trim(), plan.rating_label);
await shot(page, "case");

// 9. The home page figures moved: one more received, answered, rated.
await page.goto(site);
assert.equal(Number(await figure(page, "received")), before.received + 1);
assert.equal(Number(await figure(page, "answered")), before.answered + 1);
assert.equal(await figure(page, "satisfaction-rate"), plan.satisfaction_after);
assert.ok((await page.textContent("main")).includes(plan.title), "the answer is among the latest");

// 10. Public answers: the search finds it; departments list the lead.
await page.goto(`${site}answers?q=${encodeURIComponent(plan.search_answers)}`);
assert.ok(await page.locator(`a[href$="cases/${code}"]`).count() === 1, "search finds the case");
await shot(page, "answers");
await page.goto(`${site}departments?sort=cases`);
assert.ok(await page.locator(`tr[data-code="${plan.lead}"]`).count() === 1);
await shot(page, "departments");

// 11. The other language, by the switch on every page.
await page.click('[data-testid="switch-language"]');
await page.waitForLoadState();
assert.notEqual(await page.getAttribute("html", "lang"), plan.lang);
assert.ok(page.url().includes("departments"), page.url());
await page.click('[data-testid="switch-language"]');
await page.waitForLoadState();
assert.equal(await page.getAttribute("html", "lang"), plan.lang);

// 12. A missing page: 404, in the city's branding.
resp = await page.goto(`${site}no-such-page`);
assert.equal(resp.status(), 404);
assert.equal((await page.textContent('[data-testid="site-title"]')).trim(), plan.site_title);
await context.close();

// 13. Accessibility of every main page (axe needs scripts to run).
const checker = await browser.newContext(phone);
const a11y = await checker.newPage();
for (const [name, path] of [
  ["home", ""],
  ["ask-categories", "ask"],
  ["ask-form", `ask?category=${plan.category}`],
  ["track", "track"],
  ["answers", "answers"],
  ["departments", "departments"],
  ["case", `cases/${code}`],
  ["login", "login"],
  ["register", "register"],
]) {
  await a11y.goto(`${site}${path}`);
  await audit(a11y, name);
}
// The form with its messages, and the owner's page with its forms.
await a11y.goto(`${site}ask?category=${plan.category}`);
await a11y.click('[data-testid="submit"]');
await a11y.waitForSelector("#title-error");
await audit(a11y, "ask-form with errors");
await a11y.goto(`${site}track?code=${code}&secret=${encodeURIComponent(secret)}`);
await audit(a11y, "owner page");
await checker.close();

await browser.close();
console.log(JSON.stringify({ code, before }));
