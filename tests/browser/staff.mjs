// The article's heating complaint from the staff side, in Debian's headless
// Chromium: a dispatcher signs in, accepts the case and assigns it to the
// lead department with a co-handling department; the co-handler gives its
// opinion; the lead keeps an answer template, reads the opinion and answers
// from the template; the citizen rates the answer on the track page; the
// supervisor looks at the board and the departments' figures. Every staff
// page is checked with axe-core and saved as a screenshot (desktop width,
// for the staff guide). Started by tests/e2e/browser.rs with the plan in
// MINSHENG_BROWSER_PLAN (JSON); exits non-zero with a message on the first
// thing that is wrong.

import { audit as axeAudit, launch } from "./common.mjs";
import { mkdirSync } from "node:fs";
import assert from "node:assert/strict";

const plan = JSON.parse(process.env.MINSHENG_BROWSER_PLAN);
const site = `${plan.base}/t/${plan.slug}/`;
const mode = plan.javascript ? "js" : "nojs";
mkdirSync(plan.artifacts, { recursive: true });

const browser = await launch();
const desktop = { viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 };
let current = null;

process.on("uncaughtException", async (e) => {
  console.error(`${e.stack || e}\nat ${current && current.url()}`);
  try {
    console.error((await current.textContent("main")).slice(0, 3000));
    await current.screenshot({ path: `${plan.artifacts}/staff-${mode}-failure.png`, fullPage: true });
  } catch {}
  process.exit(1);
});

/** A screenshot for the staff guide: an artifact, not a check, so a busy
 *  machine's failure to capture one is retried and then only reported. */
async function shot(page, name) {
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await page.screenshot({ path: `${plan.artifacts}/staff-${mode}-${name}.png`, fullPage: true });
      return;
    } catch (e) {
      if (attempt === 3) console.error(`screenshot ${name} not taken: ${e.message.split("\n")[0]}`);
      else await page.waitForTimeout(500);
    }
  }
}

/** axe-core in a page (it needs scripts): no serious or critical violation. */
async function audit(what, path) {
  const context = await browser.newContext({ ...desktop, storageState: await current.context().storageState() });
  const page = await context.newPage();
  await page.goto(path.startsWith("http") ? path : `${site}${path}`);
  await axeAudit(page, what);
  await context.close();
}

/** A signed-in staff member's page: sign in on the city's form. */
async function signIn(username) {
  const context = await browser.newContext({ ...desktop, javaScriptEnabled: plan.javascript });
  const page = await context.newPage();
  current = page;
  page.on("dialog", (d) => {
    throw new Error(`a script ran in the page: dialog ${JSON.stringify(d.message())}`);
  });
  await page.goto(`${site}login`);
  await page.fill("#username", username);
  await page.fill("#password", plan.password);
  await page.click('main form button[type="submit"]');
  // Staff land on their work queue.
  await page.waitForSelector('[data-testid="tab-submitted"]');
  assert.ok(page.url().includes("/staff/"), page.url());
  return page;
}

/** Submit a workbench form and wait for the page that says it is done. */
async function act(page, form, expectDone = true) {
  const op = await page.getAttribute(`[data-testid="${form}"] input[name="op"]`, "value");
  await page.click(`[data-testid="${form}"] button[type="submit"]:not([name="preview"])`);
  if (expectDone) {
    // Back on the case (a new page, or the same one updated in place).
    await page.waitForURL(new RegExp(`done=${op}`));
    await page.waitForSelector('[data-testid="notice"]');
  } else {
    await page.waitForSelector('[data-testid="action-error"]');
  }
}

const code = plan.code;
const casePath = `${site}staff/cases/${code}`;

// 1. The dispatcher: the case waits under 待受理 with its count.
let page = await signIn(plan.dispatcher);
assert.ok(Number(await page.textContent('[data-testid="count-submitted"]')) >= 1);
await shot(page, "inbox");
await audit("inbox", "staff/");
await page.goto(casePath);
await page.waitForSelector('[data-testid="form-accept"]');
assert.ok((await page.textContent('[data-testid="contact-phone"]')).includes(plan.contact_phone));
await audit("case to accept", casePath);
await act(page, "form-accept");
assert.equal(await page.getAttribute('[data-testid="case-state"]', "data-state"), "accepted");
await page.selectOption("#assign-lead", plan.lead);
await page.selectOption("#assign-co", [plan.co]);
await shot(page, "assign");
await act(page, "form-assign");
assert.equal(await page.getAttribute('[data-testid="case-state"]', "data-state"), "assigned");
assert.equal((await page.textContent('[data-testid="lead"]')).trim(), plan.lead_name);
await page.context().close();

// 2. The co-handler gives its opinion; it may not answer.
page = await signIn(plan.co_user);
// Its queue holds only its own cases: this one, in progress.
await page.click('[data-testid="tab-handling"]');
await page.waitForSelector('[data-testid="tab-handling"][aria-current="page"]');
await page.click(`a[href$="staff/cases/${code}"]`);
await page.waitForSelector('[data-testid="form-opinion"]');
assert.equal(await page.locator('[data-testid="form-answer"]').count(), 0);
await audit("co-handler's case page", casePath);
await page.fill('[data-testid="form-opinion"] textarea', plan.opinion);
await act(page, "form-opinion");
assert.ok((await page.textContent(`[data-testid="opinion-${plan.co}"]`)).includes(plan.opinion));
await page.context().close();

// 3. The lead keeps a template, reads the opinion and answers from it.
page = await signIn(plan.lead_user);
await page.goto(`${site}staff/templates`);
await page.fill("#tp-title", plan.template_title);
await page.fill("#tp-text", plan.answer);
await page.click('[data-testid="form-template"] button[type="submit"]');
await page.waitForSelector('[data-testid="templates"]');
await shot(page, "templates");
await audit("templates", "staff/templates");
await page.goto(casePath);
assert.ok((await page.textContent(`[data-testid="opinion-${plan.co}"]`)).includes(plan.opinion));
// Too short an answer: the message, and nothing is answered.
await page.fill("#answer-text", "x");
await page.$eval("#answer-text", (el) => el.removeAttribute("required"));
await act(page, "form-answer", false);
assert.equal(await page.getAttribute("#answer-text", "aria-invalid"), "true");
await audit("lead's case page", casePath);
// The preview shows what the public will read: personal data hidden.
await page.fill("#answer-text", "请致电 13912345678 预约入户检修。");
await page.click('[data-testid="answer-preview-button"]');
await page.waitForSelector('[data-testid="answer-preview"]');
const shown = await page.textContent('[data-testid="answer-preview"]');
assert.ok(shown.includes("[电话]") && !shown.includes("13912345678"), shown);
assert.equal((await page.inputValue("#answer-text")).trim(), "请致电 13912345678 预约入户检修。");
await page.fill("#answer-text", "");
if (plan.javascript) {
  await page.selectOption("#answer-template", { label: `${plan.template_title} · ${plan.lead_name}` });
  assert.equal((await page.inputValue("#answer-text")).trim(), plan.answer);
} else {
  await page.click(`[data-testid="template-link"]:has-text("${plan.template_title}")`);
  await page.waitForSelector("#answer-text");
  assert.equal((await page.inputValue("#answer-text")).trim(), plan.answer);
}
await shot(page, "answer");
await act(page, "form-answer");
assert.equal(await page.getAttribute('[data-testid="case-state"]', "data-state"), "answered");
assert.equal((await page.textContent('[data-testid="case-answer"]')).trim(), plan.answer);
await page.context().close();

// 4. The citizen rates the answer on the track page.
const citizen = await browser.newContext({ ...desktop, javaScriptEnabled: plan.javascript });
page = await citizen.newPage();
current = page;
await page.goto(`${site}track?code=${code}&secret=${encodeURIComponent(plan.secret)}`);
await page.getByLabel(plan.rating_label, { exact: true }).check();
await page.click('[data-testid="rate"]');
await page.waitForSelector('[data-testid="notice"]');
await citizen.close();

// 5. The supervisor: the rating on the case, the board, the figures.
page = await signIn(plan.supervisor);
await page.goto(casePath);
assert.equal((await page.textContent('[data-testid="case-rating"]')).trim(), plan.rating_label);
await shot(page, "case");
await page.goto(`${site}staff/supervision`);
await shot(page, "supervision");
await audit("supervision", "staff/supervision");
await page.goto(`${site}staff/performance`);
assert.ok((await page.textContent('[data-testid="performance"]')).includes(plan.lead_name));
await shot(page, "performance");
await audit("performance", "staff/performance");
for (const tab of ["to_assign", "handling", "held", "due_soon", "overdue", "supervised", "answered", "all"]) {
  await audit(`inbox tab ${tab}`, `staff/?tab=${tab}`);
}
await page.context().close();

await browser.close();
console.log(JSON.stringify({ code }));
