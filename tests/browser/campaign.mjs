// A suggestion followed from the citizen's form to its delivered project,
// in Debian's headless Chromium: the citizen finds the campaign, files a
// suggestion under a theme (answering the theme's own questions, after a
// first try that leaves them out); staff, signed in on the city's form,
// merge it with another suggestion on the campaign desk, answer and
// publish both, make a project of the cluster, report progress and a
// milestone and deliver it; the citizen's suggestion page then shows the
// path to the project, and the project page shows where it came from.
// Phases move on through the API (not the point here). Every campaign page
// visited is checked with axe-core. Started by tests/e2e/browser.rs with
// the plan in MINSHENG_BROWSER_PLAN (JSON); exits non-zero with a message
// on the first thing that is wrong.

import { audit as axeAudit, launch } from "./common.mjs";
import { mkdirSync } from "node:fs";
import assert from "node:assert/strict";

const plan = JSON.parse(process.env.MINSHENG_BROWSER_PLAN);
const site = `${plan.base}/t/${plan.slug}/`;
const campaign = `${site}campaigns/${plan.campaign}`;
const desk = `${site}staff/campaigns/${plan.campaign}`;
mkdirSync(plan.artifacts, { recursive: true });

const browser = await launch();
let current = null;

process.on("uncaughtException", async (e) => {
  console.error(`${e.stack || e}\nat ${current && current.url()}`);
  try {
    console.error((await current.textContent("main")).slice(0, 3000));
    await current.screenshot({ path: `${plan.artifacts}/campaign-${plan.slug}-failure.png`, fullPage: true });
  } catch {}
  process.exit(1);
});

/** Every campaign page visited, for axe-core at the end: [name, url, signed in]. */
const visited = [];
function visit(name, page, staff = false) {
  visited.push([name, page.url(), staff]);
}

async function shot(page, name) {
  await page.screenshot({ path: `${plan.artifacts}/campaign-${plan.slug}-${name}.png`, fullPage: true });
}

/** Move the campaign to `phase` through the API, as its administrator. */
async function phase(next) {
  const resp = await fetch(`${plan.base}/api/v1/tenants/${plan.slug}/campaigns/${plan.campaign}/phase`, {
    method: "POST",
    headers: { cookie: plan.admin.cookie, "x-csrf-token": plan.admin.csrf, "content-type": "application/json" },
    body: JSON.stringify({ phase: next }),
  });
  assert.ok(resp.ok, `phase ${next}: ${resp.status} ${await resp.text()}`);
}

function onDialog(page) {
  page.on("dialog", (d) => {
    throw new Error(`a script ran in the page: dialog ${JSON.stringify(d.message())}`);
  });
}

// 1. The citizen: the campaigns, the campaign, its themes, the form.
const citizenContext = await browser.newContext({
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
  javaScriptEnabled: plan.javascript,
});
const citizen = await citizenContext.newPage();
current = citizen;
onDialog(citizen);
let resp = await citizen.goto(`${site}campaigns`);
assert.equal(resp.status(), 200);
assert.equal(await citizen.getAttribute("html", "lang"), plan.lang);
visit("campaigns", citizen);
await citizen.click(`a[href$="campaigns/${plan.campaign}"]`);
await citizen.waitForSelector('[data-testid="campaign-figures"]');
assert.equal(await citizen.getAttribute('[data-testid="campaign-phase"]', "data-phase"), "collecting");
const received = Number(await citizen.textContent('[data-figure="suggestions"]'));
visit("campaign", citizen);
await citizen.click('[data-testid="suggest"]');
await citizen.waitForSelector('[data-testid="themes"]');
visit("themes", citizen);
await citizen.click(`[data-testid="themes"] a[data-code="${plan.theme}"]`);
await citizen.waitForSelector('[data-testid="chosen-category"]');
assert.equal((await citizen.textContent('[data-testid="chosen-category"]')).trim(), plan.theme_name);
visit("suggestion form", citizen);

// 2. The theme's questions are asked: left out, each is marked.
await citizen.fill("#title", plan.title);
await citizen.fill("#text", plan.text);
await citizen.click('[data-testid="submit"]');
for (const a of plan.attributes) {
  await citizen.waitForSelector(`#attr-${a.code}-error`);
}
await shot(citizen, "form-errors");
for (const a of plan.attributes) {
  if (a.kind === "text") await citizen.fill(`#attr-${a.code}`, a.value);
  else await citizen.check(`input[name="attribute[${a.code}]"][value="${a.value}"]`);
}
await citizen.click('[data-testid="submit"]');
await citizen.waitForSelector('[data-testid="tracking-code"]');
const code = (await citizen.textContent('[data-testid="tracking-code"]')).trim();
assert.match(code, /^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
await citizen.goto(campaign);
assert.equal(Number(await citizen.textContent('[data-figure="suggestions"]')), received + 1);

// 3. Staff on the campaign desk: merge, answer and publish.
await phase("answering");
const staffContext = await browser.newContext({
  viewport: { width: 1280, height: 900 },
  javaScriptEnabled: plan.javascript,
});
const staff = await staffContext.newPage();
current = staff;
onDialog(staff);
await staff.goto(`${site}login`);
await staff.fill("#username", plan.staff_user);
await staff.fill("#password", plan.password);
await staff.click('main form button[type="submit"]');
await staff.waitForURL(/\/staff\//);
await staff.goto(desk);
await staff.waitForSelector(`[data-testid="queue"] li[data-code="${code}"]`);
visit("desk", staff, true);
for (const c of [code, plan.other_code]) {
  await staff.check(`[data-testid="queue"] li[data-code="${c}"] input[name="code"]`);
}
await staff.fill("#merge-title", plan.cluster);
await staff.click('[data-testid="merge"]');
await staff.waitForSelector('[data-testid="desk-notice"]');
for (const c of [code, plan.other_code]) {
  const item = staff.locator(`[data-testid="queue"] li[data-code="${c}"]`);
  await item.locator("summary").click();
  await item.locator('select[name="disposition"]').selectOption("merged");
  await item.locator('textarea[name="text"]').fill(plan.answer);
  await item.locator('input[name="publish"]').check();
  await item.locator('button[type="submit"]').click();
  await staff.waitForSelector('[data-testid="desk-notice"]');
  await staff.waitForSelector(`[data-testid="queue"] li[data-code="${c}"]`, { state: "detached" });
}
await shot(staff, "desk-answered");

// 4. A project of the cluster; progress, a milestone, delivered.
await phase("selecting");
await staff.goto(desk);
await staff.check(`[data-testid="clusters"] input[name="cluster"]`);
await staff.fill("#p-ref", plan.project);
await staff.fill("#p-title", plan.project_title);
await staff.fill("#p-desc", plan.project_text);
await staff.fill("#p-planned", plan.planned);
await staff.click('[data-testid="create-project"]');
await staff.waitForSelector(`[data-testid="desk-projects"] li[data-reference="${plan.project}"]`);
await phase("implementing");
await staff.goto(desk);
const project = staff.locator(`[data-testid="desk-projects"] li[data-reference="${plan.project}"]`);
await project.locator('select[name="status"]').selectOption("in_progress");
await project.locator('input[name="progress"]').fill("60");
await project.locator('form:has(input[name="progress"]) button[type="submit"]').click();
await staff.waitForSelector('[data-testid="desk-notice"]');
await project.locator('input[name="day"]').fill(plan.milestone_day);
await project.locator('input[name="text"]').fill(plan.milestone);
await project.locator('form:has(input[name="day"]) button[type="submit"]').click();
await staff.waitForSelector('[data-testid="desk-notice"]');
await project.locator('select[name="status"]').selectOption("delivered");
await project.locator('form:has(input[name="progress"]) button[type="submit"]').click();
await staff.waitForSelector('[data-testid="desk-notice"]');
assert.ok((await project.textContent()).includes("100%"), await project.textContent());
visit("desk with a project", staff, true);
await shot(staff, "desk-project");

// 5. The citizen's suggestion shows the path to the delivered project.
current = citizen;
resp = await citizen.goto(`${campaign}/suggestions/${code}`);
assert.equal(resp.status(), 200);
assert.equal(await citizen.getAttribute('[data-testid="disposition"]', "data-disposition"), "merged");
assert.equal((await citizen.textContent('[data-testid="suggestion-answer"]')).trim(), plan.answer);
assert.ok((await citizen.textContent('[data-testid="merged-into"]')).includes(plan.cluster));
assert.equal((await citizen.textContent('[data-testid="suggestion-projects"] [data-testid="project-progress"]')).trim(), "100%");
visit("suggestion", citizen);
await shot(citizen, "suggestion");
await citizen.click(`[data-testid="suggestion-projects"] a[href$="projects/${plan.project}"]`);
await citizen.waitForSelector('[data-testid="project-title"]');
assert.equal(await citizen.getAttribute('[data-testid="project-status"]', "data-status"), "delivered");
assert.ok((await citizen.textContent('[data-testid="milestones"]')).includes(plan.milestone));
assert.equal((await citizen.textContent('[data-testid="project-planned"]')).trim(), plan.planned_shown);
for (const c of [code, plan.other_code]) {
  assert.equal(await citizen.locator(`[data-testid="sources"] a[href$="suggestions/${c}"]`).count(), 1, c);
}
visit("project", citizen);
await shot(citizen, "project");
await citizen.goto(campaign);
assert.equal(Number(await citizen.textContent('[data-figure="delivered"]')), 1);
assert.equal(await citizen.locator(`[data-testid="projects"] tr[data-reference="${plan.project}"]`).count(), 1);
visit("campaign with its project", citizen);
await shot(citizen, "campaign");

// 6. axe-core on every campaign page visited (it needs scripts to run).
for (const [name, url, signedIn] of visited) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    storageState: signedIn ? await staffContext.storageState() : undefined,
  });
  const page = await context.newPage();
  current = page;
  await page.goto(url);
  await axeAudit(page, name);
  await context.close();
}
await browser.close();
console.log(JSON.stringify({ code, audited: visited.length }));
