// The setup path of a new city in Debian's headless Chromium, as far as
// the consoles go: a platform operator signs in, creates a city from a
// bundle, gives it a host name and quotas; then (phase "admin") the city's
// administrator signs in on the new city, reads its quotas, gives it a
// title and a logo, makes a staff account, and uploads, configures,
// replays and enables a routing rule, which routes the case a citizen
// then submits on the city's site. Every page
// is checked with axe-core and saved as a screenshot (desktop width, for
// the admin guide). Started by tests/e2e/browser.rs with the plan in
// MINSHENG_BROWSER_PLAN (JSON); exits non-zero on the first thing wrong.

import { audit as axeAudit, launch } from "./common.mjs";
import { mkdirSync } from "node:fs";
import assert from "node:assert/strict";

const plan = JSON.parse(process.env.MINSHENG_BROWSER_PLAN);
const mode = plan.javascript ? "js" : "nojs";
mkdirSync(plan.artifacts, { recursive: true });

const browser = await launch();
const desktop = { viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 };
const context = await browser.newContext({ ...desktop, javaScriptEnabled: plan.javascript });
const page = await context.newPage();

process.on("uncaughtException", async (e) => {
  console.error(`${e.stack || e}\nat ${page.url()}`);
  try {
    console.error((await page.textContent("main")).slice(0, 3000));
    await page.screenshot({ path: `${plan.artifacts}/console-${mode}-failure.png`, fullPage: true });
  } catch {}
  process.exit(1);
});

/** The page as it is now: a screenshot (an artifact, not a check) and
 *  axe-core in a second page with scripts, signed in the same way. */
async function check(what, name) {
  try {
    await page.screenshot({ path: `${plan.artifacts}/console-${mode}-${name}.png`, fullPage: true });
  } catch (e) {
    console.error(`screenshot ${name} not taken: ${e.message.split("\n")[0]}`);
  }
  const audited = await browser.newContext({ ...desktop, storageState: await context.storageState() });
  const other = await audited.newPage();
  await other.goto(page.url());
  await axeAudit(other, what);
  await audited.close();
}

async function submit(form) {
  await Promise.all([page.waitForLoadState("load"), page.click(`${form} button[type="submit"]`)]);
}

if (plan.phase === "operator") {
  await page.goto(`${plan.base}/operator/`);
  assert.ok(page.url().endsWith("/operator/login"), page.url());
  await check("operator sign-in", "sign-in");
  await page.fill("#username", plan.operator);
  await page.fill("#password", plan.password);
  await submit("main form");
  await page.waitForSelector('[data-testid="cities"]');
  await check("cities", "cities");

  await page.click(`a[href="/operator/cities/new"]`);
  await page.waitForSelector('[data-testid="form-new-city"]');
  for (const [name, text] of Object.entries(plan.bundle)) await page.fill(`#b-${name}`, text);
  await check("new city", "new-city");
  await submit('[data-testid="form-new-city"]');
  await page.waitForSelector('[data-testid="form-quotas"]');
  assert.ok(page.url().endsWith(`/operator/cities/${plan.slug}`), page.url());

  await page.fill("#host", plan.host);
  await submit('form:has(#host)');
  await page.waitForSelector(`[data-testid="hosts"] >> text=${plan.host}`);
  for (const [name, value] of Object.entries(plan.quotas)) await page.fill(`#q-${name}`, String(value));
  await submit('[data-testid="form-quotas"]');
  for (const [name, value] of Object.entries(plan.quotas)) {
    assert.equal(await page.inputValue(`#q-${name}`), String(value), name);
  }
  await check("a city", "city");
  await page.goto(`${plan.base}/operator/`);
  assert.ok(await page.isVisible(`[data-city="${plan.slug}"]`), "the new city is listed");
} else {
  await page.goto(`${plan.base}/t/${plan.slug}/login`);
  await page.fill("#username", plan.admin);
  await page.fill("#password", plan.password);
  await submit("main form");
  await page.goto(`${plan.base}/t/${plan.slug}/admin/quotas`);
  await page.waitForSelector('[data-testid="quotas"]');
  for (const [name, value] of Object.entries(plan.quotas)) {
    const row = await page.textContent(`[data-quota="${name}"]`);
    assert.ok(row.includes(String(value)), `${name}: ${row}`);
  }
  await check("quotas", "quotas");

  // Settings: a site title and a logo the site then shows.
  await page.goto(`${plan.base}/t/${plan.slug}/admin/`);
  await page.waitForSelector('[data-testid="form-settings"]');
  await page.fill('[id="branding.site_title"]', plan.site_title);
  await submit('[data-testid="form-settings"]');
  await page.waitForSelector('[data-testid="saved"]');
  await page.setInputFiles("#logo-file", plan.logo);
  await submit('[data-testid="form-logo"]');
  await page.waitForSelector('[data-testid="logo-preview"]');
  assert.equal(await page.textContent('[data-testid="site-title"]'), plan.site_title);
  await check("settings", "settings");

  // People: a dispatcher's account.
  await page.goto(`${plan.base}/t/${plan.slug}/admin/people`);
  await page.fill("#u-username", plan.staff.username);
  await page.fill("#u-display", plan.staff.display_name);
  await page.fill("#u-password", plan.password);
  await page.check(`#role-${plan.staff.role}`);
  await submit('[data-testid="form-user"]');
  await page.goto(`${plan.base}/t/${plan.slug}/admin/people`);
  assert.ok((await page.textContent('[data-testid="users"]')).includes(plan.staff.username), "the account is listed");
  await check("people", "people");
  await page.goto(`${plan.base}/t/${plan.slug}/admin/roles`);
  await check("roles", "roles");
  await page.goto(`${plan.base}/t/${plan.slug}/admin/audit`);
  await check("audit log", "audit");
  await page.goto(`${plan.base}/t/${plan.slug}/admin/webhooks`);
  await check("webhooks", "webhooks");

  // Rules: upload the router, configure it, replay it, enable it.
  await page.goto(`${plan.base}/t/${plan.slug}/admin/rules`);
  await page.setInputFiles("#component", plan.component);
  await submit('[data-testid="form-upload"]');
  await page.waitForSelector('[data-testid="descriptor"]');
  await page.fill("#f-routes", JSON.stringify(plan.routes));
  await page.fill("#f-only_categories", plan.only_categories.join("\n"));
  await Promise.all([page.waitForLoadState("load"), page.click('button[name="op"][value="config"]')]);
  assert.ok(!(await page.isVisible('[data-testid="errors"]')), await page.textContent("main"));
  await check("a rule", "rule");
  const rulePage = page.url().split("?")[0];
  await page.fill("#days", "30");
  await Promise.all([page.waitForLoadState("load"), page.click('button[name="op"][value="replay"]')]);
  // The page reloads itself (a meta refresh, no script) until done.
  await page.waitForSelector('[data-testid="summary"]', { timeout: 60_000 });
  assert.equal(await page.textContent('[data-testid="count-cases"]'), "3");
  assert.equal(await page.textContent('[data-testid="count-changed"]'), "1");
  await check("a replay", "replay");
  await page.goto(rulePage);
  await Promise.all([page.waitForLoadState("load"), page.click('button[name="op"][value="enable"]')]);
  await page.goto(`${plan.base}/t/${plan.slug}/admin/rules`);
  const chain = await page.textContent('[data-testid="chain-intake"]');
  assert.ok(chain.includes("daqing-router"), chain);
  await check("rules", "rules");

  // A citizen asks on the city's site; the enabled rule routes the case.
  const visitor = await browser.newContext({ ...desktop, javaScriptEnabled: plan.javascript });
  const site = await visitor.newPage();
  await site.goto(`${plan.base}/t/${plan.slug}/ask?category=${plan.citizen.category}`);
  await site.fill("#title", plan.citizen.title);
  await site.fill("#text", plan.citizen.text);
  for (const [code, value] of Object.entries(plan.citizen.attributes)) {
    await site.check(`input[name="attribute[${code}]"][value="${value}"]`);
  }
  await site.fill("#address", plan.citizen.address);
  await site.fill("#contact_name", plan.citizen.contact_name);
  await site.fill("#contact_phone", plan.citizen.contact_phone);
  await Promise.all([site.waitForLoadState("load"), site.click('[data-testid="submit"]')]);
  await site.waitForSelector('[data-testid="tracking-code"]');
  const code = (await site.textContent('[data-testid="tracking-code"]')).trim();
  await visitor.close();
  await browser.close();
  console.log(JSON.stringify({ ok: true, code }));
  process.exit(0);
}
await browser.close();
console.log(JSON.stringify({ ok: true }));
