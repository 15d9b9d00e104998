// The sandbox phone pages (/mp/) end to end in headless Chromium, at 360 × 640 as on a phone.
// Run by tests/browser/test_h5.py against the embedded stack: BASE_URL is the app,
// CHROMIUM_PATH Debian's chromium, SCREENSHOT_DIR where the main screens are saved.
// Fictional people only (SPEC §11's family with a fresh ID number for the deceased each run).

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { chromium } from "playwright-core";

const BASE = (process.env.BASE_URL || "http://127.0.0.1:5000").replace(/\/$/, "");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const SCREENS = process.env.SCREENSHOT_DIR || "";
const PASSWORD = "sandbox-pass-2026";
const WAIT = { timeout: 20_000 };

// --- fictional people ---------------------------------------------------------------------------
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
function idNumber(first17) {
  const sum = [...first17].reduce((total, digit, i) => total + Number(digit) * WEIGHTS[i], 0);
  return first17 + "10X98765432"[sum % 11];
}

/** 王建国, born some day of 1948 after 30 January (77 on 2026-01-30), male, 长沙市岳麓区. */
function freshDeceasedId() {
  const birth = new Date(Date.UTC(1948, 1, 1) + Math.floor(Math.random() * 330) * 86_400_000);
  const ymd = birth.toISOString().slice(0, 10).replace(/-/g, "");
  const serial = String(Math.floor(Math.random() * 100)).padStart(2, "0") + [1, 3, 5, 7, 9][Math.floor(Math.random() * 5)];
  return idNumber(`430104${ymd}${serial}`);
}

const APPLICANT = { name: "王丽", id_number: idNumber("43010219750618382"), phone: "13800000000" };

function workedExample(deceasedId) {
  return {
    applicant: { ...APPLICANT, address: "湖南省长沙市芙蓉区示例路 1 号", relationship: "30" },
    deceased: {
      name: "王建国", gender: "1", age: 77, ethnicity: "01", died_at: "2026-01-30T23:40:00+08:00",
      death_cause_category: "normal", death_cause: "疾病", id_number: deceasedId,
      bank_account: { bank_name: "示例银行长沙岳麓支行", account_number: "6200000000000000017" },
      social_security_card: { bank_name: "示例银行长沙分行", account_number: "6200000000000000025" },
      place_of_death: { kind: "medical_institution", name: "湖南省人民医院", division_code: "430102" },
      household_registration: { province: "湖南省", city: "长沙市", county: "岳麓区", police_station: "岳麓派出所", division_code: "430104" },
    },
    circumstances: {
      welfare: ["elderly_subsidy"], is_enterprise_employee: true, employment_status: "retired",
      medical_insurance: "employee", pension_insurance: "enterprise_employee", other_insurance: [],
    },
    requested_matters: ["death_certificate", "cremation_certificate", "hukou_cancellation", "driving_licence_cancellation",
      "medical_insurance_reduction", "medical_account_withdrawal", "pension_account_payout", "funeral_subsidy",
      "survivor_benefit", "housing_fund_withdrawal"],
    commitment: { accepted: true, signed_name: "王丽", signed_at: "2026-01-31T09:30:00+08:00" },
  };
}

// Every private number a screen must never show whole.
function privateNumbers(form) {
  return [form.applicant.id_number, form.applicant.phone, form.deceased.id_number,
    form.deceased.bank_account.account_number, form.deceased.social_security_card.account_number, "6200000000000000033"];
}

// --- the API, for arranging and for checking what the pages did ------------------------------------
async function call(method, path, { token, json } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(BASE + path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const tokens = new Map();
async function staffToken(username = "clerk.cs") {
  if (tokens.has(username)) return tokens.get(username);
  const { status, body } = await call("POST", "/api/v1/auth/staff-login", { json: { username, password: PASSWORD } });
  assert.equal(status, 200, JSON.stringify(body));
  tokens.set(username, body.access_token);
  return body.access_token;
}

/** 12345 → "123.45 元", worked out here independently of the page's own helper. */
function yuan(fen) {
  const whole = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${whole}.${String(fen % 100).padStart(2, "0")} 元`;
}

// --- the browser ---------------------------------------------------------------------------------
let browser;

before(async () => {
  if (SCREENS) mkdirSync(SCREENS, { recursive: true });
  // launch() starts Chromium with a fresh, empty temporary user-data-dir of its own every time.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
});

async function phone() {
  const context = await browser.newContext({
    viewport: { width: 360, height: 640 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true,
    locale: "zh-CN", timezoneId: "Asia/Shanghai",
  });
  const page = await context.newPage();
  page.problems = [];
  page.on("pageerror", (err) => page.problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !/Failed to load resource: the server responded with a status of (401|404|409|422)/.test(msg.text())) {
      page.problems.push(`console: ${msg.text()}`);
    }
  });
  return { context, page };
}

async function shot(page, name, locator = null) {
  if (locator) await locator.evaluate((node) => node.scrollIntoView({ block: "start" }));
  else await page.evaluate(() => window.scrollTo(0, 0));
  await page.evaluate(() => document.fonts.ready);
  if (SCREENS) await page.screenshot({ path: join(SCREENS, `${name}.png`) });
}

/**
 * What every screen owes an elderly user on a 360 px phone: no sideways scrolling, every visible
 * control at least 44 px tall, Chinese words (no stray English), no private number shown whole.
 */
async function checkScreen(page, secrets, where) {
  const report = await page.evaluate(() => {
    const small = [];
    for (const node of document.querySelectorAll("button, a.button, input:not([type=checkbox]):not([type=radio]):not(.visually-hidden), select, textarea, label.choice, label.button")) {
      const box = node.getBoundingClientRect();
      const style = getComputedStyle(node);
      if (box.width === 0 || box.height === 0 || style.visibility === "hidden") continue;
      if (box.height < 44 || box.width < 44) small.push(`${node.tagName} “${(node.textContent || node.name || "").trim().slice(0, 20)}” ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
    return { scrollWidth: document.documentElement.scrollWidth, text: document.body.innerText, small, lang: document.documentElement.lang };
  });
  assert.ok(report.scrollWidth <= 360, `${where}: the page is ${report.scrollWidth}px wide at 360px`);
  assert.deepEqual(report.small, [], `${where}: tap targets under 44px`);
  assert.equal(report.lang, "zh-CN");
  for (const secret of secrets) assert.ok(!report.text.includes(secret), `${where}: a private number is shown unmasked`);
  const latin = report.text
    .replace(/SBX-[A-Z_]+-\d+/g, "") // sandbox departments' certificate numbers
    .replace(/\bSH\d+\b/g, "") // our case reference
    .match(/[A-Za-z]{2,}/g) || [];
  const stray = latin.filter((word) => !["JPG", "PNG", "PDF", "MB"].includes(word));
  assert.deepEqual(stray, [], `${where}: words not in Chinese: …${report.text.slice(Math.max(0, report.text.indexOf(stray[0]) - 40), report.text.indexOf(stray[0]) + 20)}…`);
}

// --- the family ----------------------------------------------------------------------------------
describe("family flow (扫码 → 登录 → 关联 → 进度 → 更正 → 补材料 → 消息 → 评价)", () => {
  let form;
  let caseId;
  let link;
  let ctx;
  let page;
  let secrets;

  before(async () => {
    form = workedExample(freshDeceasedId());
    secrets = privateNumbers(form);
    // 医保 refuses the card number once, as a department would (sandbox scenario).
    const scenario = await call("POST", "/sandbox/departments/medical_security/scenarios", {
      json: { behaviour: "reject", matter_code: "medical_account_withdrawal", deceased_id_number: form.deceased.id_number,
        remaining: 1, reason: "社保卡账户与逝者身份不符，请核对社保卡账号" },
    });
    assert.equal(scenario.status, 201);
    // The window files the case; the clipped scans are still missing (容缺受理).
    const clerk = await staffToken();
    const created = await call("POST", "/api/v1/cases", { token: clerk, json: { ...form, materials_received: ["originals_handed_in"] } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    caseId = created.body.id;
    const qr = await call("GET", `/api/v1/cases/${caseId}/qrcode?format=json`, { token: clerk });
    link = qr.body.link;
    ({ context: ctx, page } = await phone());
  });

  after(async () => {
    assert.deepEqual(page.problems, []);
    await ctx.close();
  });

  test("the case QR link opens the scan page, which asks the family to log in first", async () => {
    assert.match(link, /\/mp\/scan\?scene=[\w-]{1,32}$/);
    assert.ok(link.startsWith(`${BASE}/mp/scan`));
    await page.goto(link);
    await page.locator("#login-form").waitFor(WAIT);
    await checkScreen(page, secrets, "login");
    await shot(page, "01-family-login");
  });

  test("logging in through the sandbox platform keeps the tokens in sessionStorage only", async () => {
    await page.fill("#login-name", APPLICANT.name);
    await page.fill("#login-id", APPLICANT.id_number);
    await page.fill("#login-phone", APPLICANT.phone);
    await page.click("#login-code-button");
    await page.click("#login-button");
    await page.locator("#preview").waitFor(WAIT);
    const storage = await page.evaluate(() => ({
      local: Object.keys(localStorage), session: Object.keys(sessionStorage),
      family: JSON.parse(sessionStorage.getItem("mp.family") || "{}"),
    }));
    assert.ok(storage.family.access_token && storage.family.refresh_token);
    assert.deepEqual(storage.local.filter((key) => key !== "mp.largeText"), []);
    assert.ok(storage.session.includes("mp.family"));
  });

  test("the scan preview shows the window and only the masked name before binding", async () => {
    assert.equal(await page.textContent("#masked-name"), "王**");
    const text = await page.innerText("#preview");
    assert.match(text, /长沙市殡仪馆/);
    assert.ok(!text.includes("王建国"));
    await checkScreen(page, secrets, "preview");
    await shot(page, "02-family-scan-preview");
  });

  test("binding opens the case: every matter with its department, state, due time and outcome in 元", async () => {
    await page.click("#bind-button");
    await page.waitForURL(/\/mp\/case\?id=/, WAIT);
    assert.ok(page.url().includes(caseId));
    // The page follows the case by itself (long-poll): the departments' reports arrive without a reload.
    await page.locator("#matter-pension_account_payout[data-status=done]").waitFor(WAIT);
    await page.locator("#matter-medical_account_withdrawal[data-status=rejected]").waitFor(WAIT);
    await page.locator("#matter-elderly_subsidy_termination[data-status=done]").waitFor(WAIT);

    const clerk = await staffToken();
    const truth = (await call("GET", `/api/v1/cases/${caseId}`, { token: clerk })).body;
    assert.equal(await page.locator("#matters > li").count(), truth.matters.length);
    for (const m of truth.matters) {
      const card = await page.innerText(`#matter-${m.code}`);
      assert.ok(card.includes(m.name), m.code);
      assert.ok(card.includes(m.department_name), `${m.code}: department`);
      if (m.due_at) assert.match(card, /办结时限：\s*\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} 前办结/, `${m.code}: due time`);
      else if (m.due_state_name) assert.ok(card.includes(m.due_state_name), `${m.code}: due state`);
    }
    const pension = truth.matters.find((m) => m.code === "pension_account_payout");
    const card = await page.innerText("#matter-pension_account_payout");
    assert.ok(card.includes("已办结"));
    assert.ok(card.includes(`发放金额：${yuan(pension.outcome.payout_amount_fen)}`), card);
    assert.ok(card.includes("发放账户：6200 **** **** 0025"), card);
    const elderly = await page.innerText("#matter-elderly_subsidy_termination");
    assert.match(elderly, /自动办理/);
    assert.match(elderly, /生效日期：自 2026年2月1日 起/);
    const rejected = await page.innerText("#matter-medical_account_withdrawal");
    assert.match(rejected, /退回原因：社保卡账户与逝者身份不符，请核对社保卡账号/);
    await checkScreen(page, secrets, "case");
    await shot(page, "03-family-case");
    await shot(page, "04-family-case-outcome", page.locator("#matter-pension_account_payout"));
  });

  test("大字 makes all text larger, is remembered on the phone and still fits 360 px", async () => {
    const size = () => page.evaluate(() => parseFloat(getComputedStyle(document.querySelector("#matters h3")).fontSize));
    const normal = await size();
    await page.click("#large-toggle");
    assert.equal(await page.getAttribute("#large-toggle", "aria-pressed"), "true");
    const large = await size();
    assert.ok(large >= normal * 1.2, `${normal}px → ${large}px`);
    await page.reload();
    await page.locator("#matter-pension_account_payout").waitFor(WAIT);
    assert.equal(await page.evaluate(() => document.documentElement.classList.contains("large")), true);
    assert.equal(await page.evaluate(() => localStorage.getItem("mp.largeText")), "1");
    await checkScreen(page, secrets, "case, large text");
    await shot(page, "05-family-case-large-text");
    await shot(page, "05-family-case-large-text-matter", page.locator("#matter-medical_account_withdrawal"));
    await page.click("#large-toggle");
    assert.equal(await page.evaluate(() => document.documentElement.classList.contains("large")), false);
  });

  test("a rejected matter is corrected (wrong number refused at the field) and resubmitted to done", async () => {
    await page.click("#matter-medical_account_withdrawal [data-correct]");
    await page.waitForURL(/\/mp\/correct\?/, WAIT);
    await page.locator("#correct-form").waitFor(WAIT);
    await checkScreen(page, secrets, "correct");
    await shot(page, "06-family-correction");
    await page.fill("#f-deceased-social_security_card-bank_name", "示例银行长沙分行");
    await page.fill("#f-deceased-social_security_card-account_number", "12ab");
    await page.click("#correct-submit");
    await page.locator("#f-deceased-social_security_card-account_number[aria-invalid=true]").waitFor(WAIT);
    assert.match(await page.innerText("#correct-form"), /社保卡账号应为/);
    await page.fill("#f-deceased-social_security_card-account_number", "6200 0000 0000 0000 033");
    await page.click("#correct-submit");
    await page.locator("#correct-notice.ok").waitFor(WAIT);
    assert.match(await page.innerText("#correct-notice"), /已重新提交/);
    await checkScreen(page, secrets, "corrected");
    await page.click("#back-link");
    const done = page.locator("#matter-medical_account_withdrawal[data-status=done]");
    await done.waitFor(WAIT);
    assert.match(await done.innerText(), /发放账户：6200 \*\*\*\* \*\*\*\* 0033/);
  });

  test("a missing material is uploaded from the phone and the waiting matter goes on", async () => {
    await page.locator("#matter-hukou_cancellation[data-status=waiting]").waitFor(WAIT);
    assert.match(await page.innerText("#matter-hukou_cancellation"), /正在等待：.*已剪角的死亡人员身份证扫描件/);
    await page.click("#materials-link");
    await page.waitForURL(/\/mp\/materials\?/, WAIT);
    await page.locator("#item-deceased_id_card_clipped_scan[data-received='0']").waitFor(WAIT);
    assert.equal(await page.getAttribute("#file-deceased_id_card_clipped_scan-camera", "capture"), "environment");
    await checkScreen(page, secrets, "materials");
    await shot(page, "07-family-materials", page.locator("#item-deceased_id_card_clipped_scan"));
    // A photo as a phone camera gives it: a JPEG drawn on a canvas.
    const photo = async (label) => Buffer.from((await page.evaluate((text) => {
      const canvas = document.createElement("canvas");
      canvas.width = 320;
      canvas.height = 200;
      const g = canvas.getContext("2d");
      g.fillStyle = "#f4f0e6";
      g.fillRect(0, 0, 320, 200);
      g.fillStyle = "#333";
      g.fillText(text, 20, 100);
      return canvas.toDataURL("image/jpeg", 0.8);
    }, label)).split(",")[1], "base64");
    await page.setInputFiles("#file-deceased_id_card_clipped_scan-file", { name: "身份证.jpg", mimeType: "image/jpeg", buffer: await photo("ID") });
    await page.locator("#upload-done").waitFor(WAIT);
    await page.locator("#item-deceased_id_card_clipped_scan[data-received='1']").waitFor(WAIT);
    await page.setInputFiles("#file-hukou_page_clipped_scan-camera", { name: "户口页.jpg", mimeType: "image/jpeg", buffer: await photo("HK") });
    await page.locator("#item-hukou_page_clipped_scan[data-received='1']").waitFor(WAIT);
    const clerk = await staffToken();
    const uploads = (await call("GET", `/api/v1/cases/${caseId}/uploads`, { token: clerk })).body;
    assert.deepEqual(uploads.map((u) => u.kind).sort(), ["deceased_id_card_clipped", "hukou_page_clipped"]);
    assert.ok(uploads.every((u) => u.content_type === "image/jpeg"));
    await page.goto(`${BASE}/mp/case?id=${caseId}`);
    await page.locator("#matter-hukou_cancellation[data-status=done]").waitFor(WAIT);
  });

  test("the inbox lists the messages; 标为已读 marks one read for good", async () => {
    await page.goto(`${BASE}/mp/inbox`);
    await page.locator("#messages").waitFor(WAIT);
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem("mp.family")).access_token);
    const inbox = (await call("GET", "/api/v1/me/messages", { token })).body;
    assert.ok(inbox.length > 0);
    assert.deepEqual(await page.locator("#messages > li h2").allInnerTexts(), inbox.map((m) => m.title));
    assert.equal(await page.locator("#messages > li.unread").count(), inbox.filter((m) => !m.read).length);
    await checkScreen(page, secrets, "inbox");
    await shot(page, "08-family-inbox");
    const first = page.locator("#messages > li.unread").first();
    const id = await first.getAttribute("id");
    const before = await page.locator("#messages > li.unread").count();
    await first.locator("[data-mark-read]").click();
    await page.locator(`#${id}.read`).waitFor(WAIT);
    assert.equal(await page.locator("#messages > li.unread").count(), before - 1);
    await page.reload();
    await page.locator(`#${id}.read`).waitFor(WAIT);
  });

  test("a finished matter is rated at one of five levels, once", async () => {
    await page.goto(`${BASE}/mp/case?id=${caseId}`);
    const card = page.locator("#matter-death_certificate[data-status=done]");
    await card.waitFor(WAIT);
    await card.locator("[data-rate-open]").click();
    assert.deepEqual(await card.locator("[data-level]").allInnerTexts(), ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]);
    await card.locator("[data-level='4']").click();
    await card.locator("textarea").fill("窗口服务周到，谢谢。");
    await checkScreen(page, secrets, "rating");
    await shot(page, "09-family-rating", card.locator(".rating-panel"));
    await card.locator("[data-rate-submit]").click();
    await card.locator("[data-rated]").waitFor(WAIT);
    assert.match(await card.innerText(), /您的评价：满意/);
    // Stored by the API: the same person cannot rate the same matter twice.
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem("mp.family")).access_token);
    const ids = (await call("GET", `/api/v1/cases/${caseId}`, { token })).body.matters;
    const again = await call("POST", `/api/v1/cases/${caseId}/matters/${ids.find((m) => m.code === "death_certificate").id}/rating`,
      { token, json: { level: 5 } });
    assert.equal(again.status, 409);
  });

  test("an overdue matter is flagged in plain words", async () => {
    // The SLA scan sets `overdue`; here the answer is changed on its way to the page.
    await page.route(`**/api/v1/cases/${caseId}`, async (route) => {
      try {
        const response = await route.fetch({ headers: { ...route.request().headers(), "if-none-match": "" } });
        const body = await response.json();
        body.matters.find((m) => m.code === "driving_licence_cancellation").overdue = true;
        await route.fulfill({ response, json: body });
      } catch {
        /* the page went on before the answer came back */
      }
    });
    await page.reload();
    const flag = page.locator("#matter-driving_licence_cancellation [data-overdue]");
    await flag.waitFor(WAIT);
    assert.equal(await flag.innerText(), "已超过办结时限");
    assert.equal(await page.locator("[data-overdue]").count(), 1);
    await page.unrouteAll({ behavior: "ignoreErrors" });
  });

  test("我的申请 lists the bound case; 退出登录 forgets the tokens", async () => {
    await page.goto(`${BASE}/mp/`);
    await page.locator("#case-list").waitFor(WAIT);
    const link = page.locator(`#case-list a[href="/mp/case?id=${caseId}"]`);
    assert.equal(await link.count(), 1);
    await checkScreen(page, secrets, "home");
    await page.click("#logout-button");
    await page.locator("#login-form").waitFor(WAIT);
    assert.equal(await page.evaluate(() => sessionStorage.getItem("mp.family")), null);
  });
});

// --- the clerk -----------------------------------------------------------------------------------
describe("clerk flow (登录 → 填表 → 可办事项预判 → 受理 → 二维码和申请表)", () => {
  let ctx;
  let page;
  let form;

  before(async () => {
    form = workedExample(freshDeceasedId());
    ({ context: ctx, page } = await phone());
  });

  after(async () => {
    assert.deepEqual(page.problems, []);
    await ctx.close();
  });

  test("the clerk logs in with username and password (sandbox accounts have no TOTP)", async () => {
    await page.goto(`${BASE}/mp/clerk/`);
    await page.fill("#f-username", "clerk.cs");
    await page.fill("#f-password", "wrong-password");
    await page.click("#clerk-login button[type=submit]");
    await page.locator("#login-notice.error").waitFor(WAIT);
    await page.fill("#f-password", PASSWORD);
    await page.click("#clerk-login button[type=submit]");
    await page.locator("#case-form").waitFor(WAIT);
    assert.match(await page.innerText("#desk"), /李窗口/);
  });

  test("the preview shows only the matters that apply, automatic ones as 自动办理", async () => {
    const f = (name, value) => page.fill(`#f-${name.replace(/\./g, "-")}`, String(value));
    const a = form.applicant;
    const d = form.deceased;
    await f("applicant.name", a.name);
    await f("applicant.id_number", a.id_number);
    await f("applicant.phone", a.phone);
    await f("applicant.address", a.address);
    await page.selectOption("#f-applicant-relationship", a.relationship);
    await f("deceased.name", d.name);
    await f("deceased.id_number", d.id_number);
    await page.check("[name='deceased.gender'][value='1']");
    await f("deceased.age", d.age);
    await page.selectOption("#f-deceased-ethnicity", "01");
    await f("deceased.died_at", "2026-01-30T23:40");
    await page.check("[name='deceased.death_cause_category'][value='normal']");
    await f("deceased.death_cause", d.death_cause);
    await f("deceased.bank_account.bank_name", d.bank_account.bank_name);
    await f("deceased.bank_account.account_number", d.bank_account.account_number);
    await f("deceased.social_security_card.bank_name", d.social_security_card.bank_name);
    await f("deceased.social_security_card.account_number", d.social_security_card.account_number);
    await page.selectOption("#f-deceased-place_of_death-kind", "medical_institution");
    await f("deceased.place_of_death.name", d.place_of_death.name);
    await f("deceased.place_of_death.division_code", d.place_of_death.division_code);
    for (const key of ["city", "county", "police_station", "division_code"]) {
      await f(`deceased.household_registration.${key}`, d.household_registration[key]);
    }
    await page.check("[name='circumstances.welfare'][value='elderly_subsidy']");
    await page.check("[name='circumstances.is_enterprise_employee'][value='yes']");
    await page.check("[name='circumstances.employment_status'][value='retired']");
    await page.check("[name='circumstances.medical_insurance'][value='employee']");
    await page.check("[name='circumstances.pension_insurance'][value='enterprise_employee']");
    await checkScreen(page, [], "clerk form");
    await shot(page, "10-clerk-form", page.locator("#case-form > fieldset").last());
    await page.click("#preview-button");
    await page.locator("#applies").waitFor(WAIT);

    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem("mp.clerk")).access_token);
    const { requested_matters: _, commitment: __, ...bare } = form;
    const truth = (await call("POST", "/api/v1/eligibility", { token, json: bare })).body.matters;
    const codes = (status) => truth.filter((m) => m.status === status).map((m) => m.code).sort();
    const shown = async (list) => (await page.locator(`${list} > li`).evaluateAll((items) => items.map((i) => i.dataset.code))).sort();
    assert.deepEqual(await shown("#applies"), codes("applies"));
    assert.deepEqual(await shown("#automatic"), codes("automatic"));
    assert.deepEqual(codes("automatic"), ["elderly_subsidy_termination"]);
    const preview = await page.innerText("#eligibility");
    for (const m of truth.filter((x) => x.status === "not_applicable")) assert.ok(!preview.includes(m.name), `${m.code} is shown`);
    assert.match(await page.innerText("#automatic"), /老年人福利补贴终止\s*自动办理/);
    await checkScreen(page, [], "clerk preview");
    await shot(page, "11-clerk-eligibility", page.locator("#eligibility h2").first());
  });

  test("filing gives the case QR code (PNG) to print and the application form (PDF) to open", async () => {
    await page.uncheck("#applies input[value='driving_licence_cancellation']");
    for (const code of ["originals_handed_in", "deceased_id_card_clipped_scan", "hukou_page_clipped_scan"]) {
      await page.check(`[name='materials_received'][value='${code}']`);
    }
    await page.click("#submit-button");
    await page.locator("#submit-notice.error").waitFor(WAIT); // the commitment is not ticked yet
    await page.check("#commitment");
    // The page fetches the QR code and the PDF with the clerk's token (the API wants it).
    const pngAnswer = page.waitForResponse((r) => r.url().includes("/qrcode?format=png"), WAIT);
    const pdfAnswer = page.waitForResponse((r) => r.url().endsWith("/application.pdf"), WAIT);
    await page.click("#submit-button");
    const qr = page.locator("#qr-image");
    await qr.waitFor(WAIT);
    await page.waitForFunction(() => document.querySelector("#qr-image").complete && document.querySelector("#qr-image").naturalWidth > 0, null, WAIT);
    const reference = (await page.innerText("#result h2")).replace("申请编号 ", "");
    assert.match(reference, /^SH\d+$/);
    assert.match(await qr.getAttribute("src"), /^blob:/);
    const png = await pngAnswer;
    assert.equal(png.status(), 200);
    assert.equal(png.headers()["content-type"], "image/png");

    await page.evaluate(() => {
      window.printed = 0;
      window.print = () => { window.printed += 1; };
    });
    await page.click("#print-qr");
    assert.equal(await page.evaluate(() => window.printed), 1);

    const pdf = page.locator("#open-pdf[href^='blob:']");
    await pdf.waitFor(WAIT);
    assert.equal(await pdf.innerText(), "打开申请表（PDF）");
    const answer = await pdfAnswer;
    assert.equal(answer.status(), 200);
    assert.equal(answer.headers()["content-type"], "application/pdf");
    const [tab] = await Promise.all([ctx.waitForEvent("page", WAIT), pdf.click()]);
    assert.ok(tab.url().startsWith("blob:"));
    assert.equal(await tab.evaluate(() => document.contentType), "application/pdf");
    await tab.close();

    // What was filed is what the clerk chose: no driving licence, the automatic matter added.
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem("mp.clerk")).access_token);
    const caseId = await page.getAttribute("#result", "data-case-id");
    const filed = (await call("GET", `/api/v1/cases/${caseId}`, { token })).body;
    assert.equal(filed.reference, reference);
    const filedCodes = filed.matters.map((m) => m.code);
    assert.ok(!filedCodes.includes("driving_licence_cancellation"));
    assert.ok(filedCodes.includes("elderly_subsidy_termination") && filedCodes.includes("funeral_subsidy"));
    const materials = (await call("GET", `/api/v1/cases/${caseId}/materials`, { token })).body;
    assert.ok(materials.items.find((i) => i.code === "originals_handed_in").received);
    await checkScreen(page, privateNumbers(form), "clerk result");
    await shot(page, "12-clerk-qr", page.locator("#result"));
    await page.emulateMedia({ media: "print" });
    await shot(page, "13-clerk-qr-print");
    await page.emulateMedia({ media: "screen" });
  });

  test("受理下一件 starts an empty form; 填入示例 fills a fictional family that passes the preview", async () => {
    await page.click("#next-case");
    await page.locator("#case-form").waitFor(WAIT);
    assert.equal(await page.inputValue("#f-deceased-id_number"), "");
    await page.click("#fill-example");
    await page.click("#preview-button");
    await page.locator("#applies").waitFor(WAIT);
    assert.match(await page.innerText("#automatic"), /老年人福利补贴终止/);
  });
});
