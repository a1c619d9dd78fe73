// The city administration console's directory pages in a real browser
// (with or without JavaScript): the city's administrator adds a department
// (and sees a mistake named), opens it, makes a category with a required
// choice question and previews its citizen form, and imports next year's
// holidays from a file. Every page is checked with axe-core (also with the
// problems shown) and saved as a screenshot. Started by
// tests/e2e/console_directory.rs with the plan in MINSHENG_BROWSER_PLAN
// (JSON); exits non-zero on the first thing wrong.

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
const admin = `${plan.base}/t/${plan.slug}/admin`;

process.on("uncaughtException", async (e) => {
  console.error(`${e.stack || e}\nat ${page.url()}`);
  try {
    console.error((await page.textContent("main")).slice(0, 3000));
    await page.screenshot({ path: `${plan.artifacts}/directory-${mode}-failure.png`, fullPage: true });
  } catch {}
  process.exit(1);
});

/** A screenshot (an artifact) and axe-core on the page as it is now. The
 *  pages after a refused form are checked where they are (a POST answer
 *  cannot be loaded again). */
async function check(what, name) {
  try {
    await page.screenshot({ path: `${plan.artifacts}/directory-${mode}-${name}.png`, fullPage: true });
  } catch (e) {
    console.error(`screenshot ${name} not taken: ${e.message.split("\n")[0]}`);
  }
  if (plan.javascript) {
    await axeAudit(page, what);
    return;
  }
  const audited = await browser.newContext({ ...desktop, storageState: await context.storageState() });
  const other = await audited.newPage();
  await other.goto(page.url());
  if (name.endsWith("errors")) {
    await other.setContent(await page.content(), { waitUntil: "load" });
  }
  await axeAudit(other, what);
  await audited.close();
}

async function submit(form) {
  await Promise.all([page.waitForLoadState("load"), page.click(`${form} button[type="submit"]`)]);
}

await page.goto(`${plan.base}/t/${plan.slug}/login`);
await page.fill("#username", plan.admin);
await page.fill("#password", plan.password);
await submit("main form");

// Departments: one added, one mistake named, one opened.
await page.goto(`${admin}/departments`);
await page.waitForSelector('[data-testid="tree"]');
await check("departments", "departments");
await page.fill("#new-name", "Operations");
await page.fill("#new-code", "Not A Code");
await submit('[data-testid="form-department"]');
await page.waitForSelector('[data-testid="errors"]');
assert.ok(await page.isVisible("#new-code-error"), "the code's problem is next to it");
await check("department errors", "department-errors");
await page.fill("#new-code", "ops");
await page.fill("#new-phone", "0459-1234567");
await submit('[data-testid="form-department"]');
await page.waitForSelector('[data-testid="done"]');
await page.waitForSelector('[data-department="ops"]');
await page.click('[data-department="ops"] a');
await page.waitForSelector("#d-name");
assert.equal(await page.inputValue("#d-phone"), "0459-1234567");
await check("a department", "department");

// A category with a required choice question, previewed.
await page.goto(`${admin}/categories`);
await check("categories", "categories");
await page.click('[data-testid="new-category"]');
await page.fill("#c-name", "Fallen tree");
await page.fill("#c-code", "fallen-tree");
await page.fill("#c-answer_days", "7");
await page.fill("#c-q0-description", "Is the road blocked?");
await page.fill("#c-q0-code", "blocked");
await page.selectOption("#c-q0-datatype", "singlevaluelist");
await page.fill("#c-q0-values", "yes = Yes\nno = No");
await page.check('input[name="q0_required"]');
await check("new category", "new-category");
await submit('[data-testid="form-category"]');
await page.waitForSelector('[data-testid="done"]');
await check("a category", "category");
await page.click('[data-testid="preview"]');
await page.waitForSelector('[data-testid="preview-form"]');
assert.ok(await page.isVisible('input[name="attribute[blocked]"][value="yes"]'));
await check("citizen form preview", "preview");

// Next year's holidays from a file.
await page.goto(`${admin}/calendar?month=${plan.year}-02`);
await page.waitForSelector('[data-testid="month"]');
await page.fill("#import-year", String(plan.year));
await page.setInputFiles("#import-file", {
  name: "holidays.csv",
  mimeType: "text/csv",
  buffer: Buffer.from(`date,kind,name\n${plan.year}-02-10,holiday,春节\n${plan.year}-02-13,workday,春节调休\n`),
});
await submit('[data-testid="form-calendar-import"]');
await page.waitForSelector('[data-testid="done"]');
await page.goto(`${admin}/calendar?month=${plan.year}-02`);
assert.equal(await page.getAttribute(`[data-date="${plan.year}-02-10"]`, "data-kind"), "holiday");
await check("calendar", "calendar");
await browser.close();
console.log(JSON.stringify({ ok: true }));
