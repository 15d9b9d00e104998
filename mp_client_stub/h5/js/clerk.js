// /mp/clerk/ — the window clerk: log in, file the form (附件2) with the eligibility preview
// showing only the matters that apply (仅显示申请的事项; automatic ones as 自动办理), then show
// and print the case QR code and open the printed application form (PDF).

import { api, blobUrl, clearSession, saveSession, session } from "./api.js";
import { CODES } from "./codes.js";
import * as idnumber from "./idnumber.js";
import { $, fill, busy, clearFieldErrors, el, initPage, say, showError } from "./ui.js";

// What the window can tick as received (附件2 注4 and the six materials).
const RECEIVED = [
  ["paper_form_received", "申请人签字的纸质申请表"],
  ["deceased_id_card_clipped_scan", "已剪角的死亡人员身份证扫描件"],
  ["hukou_page_clipped_scan", "已剪角的死亡人员户口页扫描件"],
  ["originals_handed_in", "死亡人员身份证和户口页原件已交回"],
  ["applicant_id_card", "申请人身份证（已核验）"],
  ["social_security_card", "死亡人员社会保障卡（已核验）"],
];

const urls = []; // blob: URLs of this page, released when a new case starts

// --- small form builders ---------------------------------------------------------------------
const fid = (name) => `f-${name.replace(/\./g, "-")}`;

function text(name, label, attrs = {}, hint = "") {
  return [el("label", { for: fid(name) }, label, hint ? el("span", { class: "hint" }, hint) : null),
    el("input", { id: fid(name), name, type: "text", autocomplete: "off", ...attrs })];
}

function select(name, label, pairs, { value = "", blank = "请选择" } = {}) {
  const s = el("select", { id: fid(name), name },
    blank ? el("option", { value: "" }, blank) : null,
    pairs.map(([code, name_]) => el("option", { value: code, selected: code === value }, name_)));
  return [el("label", { for: fid(name) }, label), s];
}

function radios(name, label, pairs, value = "") {
  return el("fieldset", { class: "group" }, el("legend", {}, label),
    el("div", { class: "choices" }, pairs.map(([code, name_]) => el("label", { class: "choice" },
      el("input", { type: "radio", name, value: code, checked: code === value }), name_))));
}

function checks(name, label, pairs, { hint = "" } = {}) {
  return el("fieldset", { class: "group" }, el("legend", {}, label), hint ? el("p", { class: "hint" }, hint) : null,
    el("div", { class: "choices" }, pairs.map(([code, name_]) => el("label", { class: "choice" },
      el("input", { type: "checkbox", name, value: code, "data-list": "" }), name_))));
}

function section(title, ...children) {
  return el("fieldset", {}, el("legend", {}, title), ...children);
}

// --- the form as the API wants it -----------------------------------------------------------
function setPath(target, path, value) {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] = node[key] || {};
  node[keys[keys.length - 1]] = value;
}

/** The 附件2 form (SPEC §2) from the inputs: lists, booleans, integers and Shanghai times typed right. */
function formBody(form) {
  const body = { deceased: { bank_account: {}, social_security_card: {}, place_of_death: {}, household_registration: {} } };
  const lists = new Set([...form.querySelectorAll("[data-list]")].map((i) => i.name));
  for (const name of lists) setPath(body, name, []);
  for (const input of form.elements) {
    if (!input.name || input.disabled || input.closest("[data-not-form]")) continue;
    if ((input.type === "checkbox" || input.type === "radio") && !input.checked) continue;
    let value = input.value.trim();
    if (lists.has(input.name)) {
      const path = input.name.split(".");
      let node = body;
      for (const key of path.slice(0, -1)) node = node[key];
      node[path[path.length - 1]].push(value);
      continue;
    }
    if (value === "") continue;
    if (input.name === "circumstances.is_enterprise_employee") value = value === "yes";
    else if (input.name === "deceased.age") value = /^\d+$/.test(value) ? Number(value) : value;
    else if (input.name === "deceased.died_at") value = value.length === 16 ? `${value}:00+08:00` : value;
    else if (/(id_number)$/.test(input.name)) value = value.toUpperCase();
    else if (/(account_number|phone)$/.test(input.name)) value = value.replace(/\s+/g, "");
    setPath(body, input.name, value);
  }
  return body;
}

function shanghaiNow() {
  const d = new Date(Date.now() + 8 * 3600 * 1000);
  return `${d.toISOString().slice(0, 19)}+08:00`;
}

// --- the clerk's screens ----------------------------------------------------------------------
/** The login form; `onDone` runs after login (a new desk, or back to the kept form after a 401). */
function renderLogin(onDone = renderDesk) {
  const box = $("#login");
  const notice = el("div", { class: "notice", id: "login-notice" });
  const form = el("form", { id: "clerk-login", novalidate: true },
    ...text("username", "用户名", { autocomplete: "username", autocapitalize: "none", spellcheck: "false" }),
    el("label", { for: "f-password" }, "密码"),
    el("input", { id: "f-password", name: "password", type: "password", autocomplete: "current-password" }),
    ...text("totp_code", "动态口令", { inputmode: "numeric", maxlength: 6, autocomplete: "one-time-code" }, "已绑定身份验证器的账号填写 6 位数字；沙箱账号不用填"),
    el("button", { type: "submit", class: "block" }, "登录"),
  );
  box.hidden = false;
  box.replaceChildren(el("h2", {}, "工作人员登录"), notice, form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    if (!data.totp_code) delete data.totp_code;
    await busy(form.querySelector("button"), async () => {
      try {
        const answer = await api("clerk", "POST", "/api/v1/auth/staff-login", { json: data });
        const staff = answer.staff || {};
        saveSession("clerk", answer, { name: staff.display_name || data.username, window: staff.window_name || "" });
        box.replaceChildren();
        box.hidden = true;
        onDone();
      } catch (err) {
        showError(notice, err, form);
      }
    });
  });
}

function applicationForm() {
  return el("form", { id: "case-form", novalidate: true, autocomplete: "off" },
    section("申请人",
      ...text("applicant.name", "姓名", { maxlength: 50 }),
      ...text("applicant.id_number", "身份证号", { maxlength: 18 }),
      ...text("applicant.phone", "手机号", { type: "tel", inputmode: "numeric", maxlength: 11 }),
      ...text("applicant.address", "住址"),
      ...select("applicant.relationship", "与逝者的关系", CODES.APPLICANT_RELATIONSHIPS),
      ...text("applicant.relationship_basis", "特定关系人的依据", {}, "选“非亲属”时填写，如 村委会、用人单位")),
    section("逝者",
      ...text("deceased.name", "姓名", { maxlength: 50 }),
      ...text("deceased.id_number", "身份证号", { maxlength: 18 }),
      radios("deceased.gender", "性别", CODES.FORM_GENDERS),
      ...text("deceased.age", "年龄（周岁）", { type: "number", inputmode: "numeric", min: 0, max: 150 }),
      ...select("deceased.ethnicity", "民族", CODES.ETHNICITIES, { value: "01", blank: "" }),
      el("label", { for: fid("deceased.died_at") }, "死亡时间", el("span", { class: "hint" }, "北京时间")),
      el("input", { id: fid("deceased.died_at"), name: "deceased.died_at", type: "datetime-local" }),
      radios("deceased.death_cause_category", "死亡类别", CODES.DEATH_CAUSE_CATEGORIES),
      ...text("deceased.death_cause", "亡故原因")),
    section("逝者的账户（发放款项用）",
      ...text("deceased.bank_account.bank_name", "银行Ⅰ类账户开户银行"),
      ...text("deceased.bank_account.account_number", "银行Ⅰ类账号", { inputmode: "numeric", maxlength: 23 }),
      ...text("deceased.social_security_card.bank_name", "社保卡开户银行"),
      ...text("deceased.social_security_card.account_number", "社保卡号", { inputmode: "numeric", maxlength: 23 })),
    section("死亡地点",
      ...select("deceased.place_of_death.kind", "地点类型", CODES.PLACE_OF_DEATH_KINDS),
      ...text("deceased.place_of_death.name", "地点名称", {}, "如 湖南省人民医院"),
      ...text("deceased.place_of_death.division_code", "所在地区划代码", { inputmode: "numeric", maxlength: 6 }, "6 位数字，如 430102")),
    section("户籍",
      ...text("deceased.household_registration.province", "省", { value: "湖南省" }),
      ...text("deceased.household_registration.city", "市（州）"),
      ...text("deceased.household_registration.county", "县（市、区）"),
      ...text("deceased.household_registration.police_station", "派出所"),
      ...text("deceased.household_registration.division_code", "户籍区划代码", { inputmode: "numeric", maxlength: 6 }, "6 位数字，以 43 开头")),
    section("享受待遇和参保情况",
      checks("circumstances.welfare", "享受的福利、补贴", CODES.WELFARE, { hint: "都没有就不勾" }),
      radios("circumstances.is_enterprise_employee", "是否企业职工", [["yes", "是"], ["no", "否"]]),
      radios("circumstances.employment_status", "亡故前工作状态", CODES.EMPLOYMENT_STATUSES),
      radios("circumstances.medical_insurance", "医疗保险", CODES.MEDICAL_INSURANCE),
      radios("circumstances.pension_insurance", "养老保险", CODES.PENSION_INSURANCE),
      checks("circumstances.other_insurance", "其他参保", CODES.OTHER_INSURANCE, { hint: "都没有就不勾" })),
    el("div", { class: "notice", id: "form-notice" }),
    el("button", { type: "button", class: "block", id: "preview-button" }, "第一步：查看可以申请的事项"),
    el("section", { id: "eligibility", hidden: true }),
  );
}

function renderPreview(form, preview) {
  const box = $("#eligibility", form);
  const requested = preview.matters.filter((m) => m.status === "applies");
  const automatic = preview.matters.filter((m) => m.status === "automatic");
  const row = (m, control) => el("li", { class: "card", "data-code": m.code },
    control,
    el("p", { class: "hint" }, `办理部门：${m.department_name}`),
    m.notes ? el("p", { class: "hint" }, m.notes) : null);
  box.hidden = false;
  fill(box,
    el("h2", {}, "可以申请的事项"),
    el("p", {}, "只列出适用于这位逝者的事项（仅显示申请的事项）。请勾选申请人要办的。"),
    el("ol", { class: "list", id: "applies" }, requested.map((m) => row(m,
      el("label", { class: "choice" }, el("input", { type: "checkbox", name: "requested_matters", value: m.code, checked: true, "data-list": "" }), m.name)))),
    automatic.length ? el("h2", {}, "自动办理的事项") : null,
    automatic.length ? el("p", {}, "不用申请，受理后由部门自动办理。") : null,
    el("ol", { class: "list", id: "automatic" }, automatic.map((m) => row(m,
      el("p", {}, el("strong", {}, m.name), " ", el("span", { class: "badge auto" }, "自动办理"))))),
    checks("materials_received", "窗口已收到的材料", RECEIVED.filter(([c]) => c !== "paper_form_received"), { hint: "收到一项勾一项；缺的可以容缺受理，之后请家属补充" }),
    el("label", { class: "choice" }, el("input", { type: "checkbox", name: "paper_form_received", value: "yes", "data-not-form": "" }), "已收到申请人签字的纸质申请表"),
    el("label", { class: "choice" }, el("input", { type: "checkbox", name: "commitment", value: "yes", id: "commitment", "data-not-form": "" }), "申请人已阅读承诺并签字"),
    el("div", { class: "notice", id: "submit-notice" }),
    el("button", { type: "submit", class: "block", id: "submit-button" }, "第二步：提交受理"),
  );
}

async function renderResult(c) {
  const box = $("#result");
  for (const url of urls.splice(0)) URL.revokeObjectURL(url);
  const qrUrl = await blobUrl("clerk", `/api/v1/cases/${encodeURIComponent(c.id)}/qrcode?format=png`);
  urls.push(qrUrl);
  const printButton = el("button", { type: "button", id: "print-qr" }, "打印二维码");
  printButton.addEventListener("click", () => window.print());
  const pdfLink = el("a", { class: "button secondary", id: "open-pdf", target: "_blank", rel: "noopener", "aria-disabled": "true" }, "正在生成申请表…");
  const next = el("button", { type: "button", class: "secondary block no-print", id: "next-case" }, "受理下一件");
  next.addEventListener("click", () => {
    box.hidden = true;
    renderDesk();
  });
  box.hidden = false;
  box.dataset.caseId = c.id;
  fill(box,
    el("div", { class: "notice ok no-print", role: "status" }, `已受理，申请编号 ${c.reference}`),
    el("p", { class: "no-print" }, `共 ${c.matters.length} 个事项，已推送给各部门。请把二维码交给家属，用湘易办扫码查看进度。`),
    el("h2", {}, `申请编号 ${c.reference}`),
    el("img", { class: "qr", id: "qr-image", src: qrUrl, alt: `申请 ${c.reference} 的二维码` }),
    el("p", { class: "print-only" }, "请用湘易办扫描二维码，查看各部门的办理进度。"),
    el("div", { class: "actions" }, printButton, pdfLink),
    next,
  );
  box.scrollIntoView({ block: "start" });
  try {
    const pdfUrl = await blobUrl("clerk", `/api/v1/cases/${encodeURIComponent(c.id)}/application.pdf`);
    urls.push(pdfUrl);
    pdfLink.href = pdfUrl;
    pdfLink.removeAttribute("aria-disabled");
    pdfLink.textContent = "打开申请表（PDF）";
  } catch (err) {
    pdfLink.textContent = "申请表暂时无法生成";
    showError($("#notice"), err);
  }
}

function fillExample(form) {
  // SPEC §11 (fictional people); the deceased gets a fresh ID number: one open case per deceased.
  const day = String(1 + Math.floor(Math.random() * 28)).padStart(2, "0");
  const month = String(3 + Math.floor(Math.random() * 9)).padStart(2, "0");
  const values = {
    "applicant.name": "王丽", "applicant.id_number": idnumber.make("430102", "19750618", "382"), "applicant.phone": "13800000000",
    "applicant.address": "湖南省长沙市芙蓉区示例路 1 号", "applicant.relationship": "30",
    "deceased.name": "王建国", "deceased.id_number": idnumber.random("430104", `1948${month}${day}`, { male: true }),
    "deceased.age": "77", "deceased.ethnicity": "01", "deceased.died_at": "2026-01-30T23:40", "deceased.death_cause": "疾病",
    "deceased.bank_account.bank_name": "示例银行长沙岳麓支行", "deceased.bank_account.account_number": "6200000000000000017",
    "deceased.social_security_card.bank_name": "示例银行长沙分行", "deceased.social_security_card.account_number": "6200000000000000025",
    "deceased.place_of_death.kind": "medical_institution", "deceased.place_of_death.name": "湖南省人民医院",
    "deceased.place_of_death.division_code": "430102", "deceased.household_registration.province": "湖南省",
    "deceased.household_registration.city": "长沙市", "deceased.household_registration.county": "岳麓区",
    "deceased.household_registration.police_station": "岳麓派出所", "deceased.household_registration.division_code": "430104",
  };
  for (const [name, value] of Object.entries(values)) form.elements[name].value = value;
  const tick = (name, value) => { form.querySelector(`[name="${name}"][value="${value}"]`).checked = true; };
  tick("deceased.gender", "1");
  tick("deceased.death_cause_category", "normal");
  tick("circumstances.welfare", "elderly_subsidy");
  tick("circumstances.is_enterprise_employee", "yes");
  tick("circumstances.employment_status", "retired");
  tick("circumstances.medical_insurance", "employee");
  tick("circumstances.pension_insurance", "enterprise_employee");
}

/** An expired login asks again above the form, which keeps what was typed. */
function loginAgainIfExpired(err) {
  if (err.status !== 401) return;
  renderLogin(() => {});
  $("#login").scrollIntoView({ block: "start" });
}

function renderDesk() {
  const s = session("clerk") || {};
  const desk = $("#desk");
  const logout = el("button", { type: "button", class: "secondary", id: "clerk-logout" }, "退出登录");
  logout.addEventListener("click", () => busy(logout, async () => {
    try {
      await api("clerk", "POST", "/api/v1/auth/logout", { json: {} });
    } catch {
      /* forgotten here either way */
    }
    clearSession("clerk");
    location.reload();
  }));
  const example = el("button", { type: "button", class: "secondary", id: "fill-example" }, "填入示例（虚构人物）");
  const form = applicationForm();
  example.addEventListener("click", () => fillExample(form));
  desk.hidden = false;
  fill(desk,
    el("p", { class: "no-print" }, `${s.name || "工作人员"}${s.window ? `（${s.window}）` : ""}，请按申请表填写。`),
    el("div", { class: "actions no-print" }, example, logout),
    form,
    el("section", { id: "result", hidden: true }),
  );
  const notice = $("#form-notice", form);
  const previewButton = $("#preview-button", form);
  // A change after the preview makes it stale: what applies depends on every answer.
  form.addEventListener("input", (event) => {
    if (event.target.closest("#eligibility")) return;
    const box = $("#eligibility", form);
    if (!box.hidden) {
      box.hidden = true;
      box.replaceChildren();
      say(notice, "申请表已修改，请重新查看可以申请的事项。", "warn");
    }
  });
  previewButton.addEventListener("click", () => busy(previewButton, async () => {
    clearFieldErrors(form);
    try {
      const preview = await api("clerk", "POST", "/api/v1/eligibility", { json: formBody(form) });
      notice.replaceChildren();
      notice.className = "notice";
      renderPreview(form, preview);
      $("#eligibility h2", form).scrollIntoView({ block: "start" });
    } catch (err) {
      showError(notice, err, form);
      loginAgainIfExpired(err);
    }
  }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const submitNotice = $("#submit-notice", form);
    if (!$("#commitment", form).checked) {
      say(submitNotice, "请先请申请人阅读承诺并签字，再勾选“申请人已阅读承诺并签字”。", "error");
      return;
    }
    const body = formBody(form);
    body.requested_matters = body.requested_matters || [];
    body.commitment = { accepted: true, signed_name: (body.applicant || {}).name || "", signed_at: shanghaiNow() };
    body.paper_form_received = $("[name=paper_form_received]", form).checked;
    await busy($("#submit-button", form), async () => {
      try {
        const c = await api("clerk", "POST", "/api/v1/cases", { json: body });
        form.remove(); // the typed private numbers leave the page with the form
        await renderResult(c);
      } catch (err) {
        showError(submitNotice, err, form);
        loginAgainIfExpired(err);
      }
    });
  });
}

initPage({ links: [["窗口受理", "/mp/clerk/"]] });
if (session("clerk") && session("clerk").access_token) renderDesk();
else renderLogin();
