// /mp/correct?id=…&matter=… — answer a department's rejection: correct the social security card
// or bank Ⅰ类 account of the deceased, or the applicant's phone; every rejected matter of the
// case is then resubmitted (POST /api/v1/cases/{id}/corrections).

import { api } from "./api.js";
import { familyPage } from "./family.js";
import { $, fill, busy, clearFieldErrors, el, maskDigits, param, say, showError } from "./ui.js";

const caseId = param("id");
const matterId = param("matter");

function group(legend, hint, fields) {
  return el("fieldset", {}, el("legend", {}, legend), el("p", { class: "hint" }, hint), fields);
}

function field(name, label, attrs = {}, hint = "") {
  const id = `f-${name.replace(/\./g, "-")}`;
  return [el("label", { for: id }, label, hint ? el("span", { class: "hint" }, hint) : null),
    el("input", { id, name, type: "text", autocomplete: "off", ...attrs })];
}

function changes(form) {
  const v = (name) => String(form.elements[name].value || "").replace(/\s+/g, "");
  const text = (name) => String(form.elements[name].value || "").trim();
  const out = {};
  for (const account of ["social_security_card", "bank_account"]) {
    const bank = text(`deceased.${account}.bank_name`);
    const number = v(`deceased.${account}.account_number`);
    if (bank || number) {
      out.deceased = out.deceased || {};
      out.deceased[account] = { bank_name: bank, account_number: number };
    }
  }
  const phone = v("applicant.phone");
  if (phone) out.applicant = { phone };
  return out;
}

familyPage(async () => {
  if (!caseId) {
    say($("#notice"), "没有指定申请。请从“我的申请”进入。", "error");
    return;
  }
  const c = await api("family", "GET", `/api/v1/cases/${encodeURIComponent(caseId)}`);
  const rejected = c.matters.filter((m) => m.status === "rejected");
  const matter = c.matters.find((m) => m.id === matterId) || rejected[0];
  const box = $("#correct");
  box.hidden = false;
  const back = el("a", { class: "button secondary block", href: `/mp/case?id=${encodeURIComponent(caseId)}`, id: "back-link" }, "返回办理进度");
  if (!rejected.length) {
    box.replaceChildren(el("div", { class: "notice ok" }, "没有被退回的事项，不需要更正。"), back);
    return;
  }
  const notice = el("div", { class: "notice", id: "correct-notice" });
  const form = el("form", { id: "correct-form", novalidate: true, autocomplete: "off" },
    el("p", {}, "请只填写需要更正的那一项，其他的留空。"),
    group("逝者的社会保障卡", "卡上的开户银行和卡号（12 到 19 位数字）",
      [...field("deceased.social_security_card.bank_name", "开户银行"),
        ...field("deceased.social_security_card.account_number", "社保卡号", { inputmode: "numeric", maxlength: 23 })]),
    group("逝者本人的银行Ⅰ类账户", "存折或银行卡上的开户银行和账号",
      [...field("deceased.bank_account.bank_name", "开户银行"),
        ...field("deceased.bank_account.account_number", "银行账号", { inputmode: "numeric", maxlength: 23 })]),
    group("申请人的手机号", "部门联系您用的号码",
      field("applicant.phone", "手机号", { type: "tel", inputmode: "numeric", maxlength: 11 })),
    el("button", { type: "submit", class: "block", id: "correct-submit" }, "提交更正并重新办理"),
  );
  fill(box,
    el("div", { class: "card rejected" },
      el("h2", {}, matter.name),
      el("p", {}, `办理部门：${matter.department_name}`),
      el("div", { class: "notice warn" }, el("strong", {}, "退回原因："), maskDigits(matter.reason || "请联系受理窗口"))),
    rejected.length > 1 ? el("p", {}, `共有 ${rejected.length} 项被退回，更正后会一起重新提交。`) : null,
    notice, form, back,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const body = changes(form);
    if (!Object.keys(body).length) {
      say(notice, "请填写需要更正的内容", "error");
      return;
    }
    await busy(form.querySelector("button[type=submit]"), async () => {
      try {
        await api("family", "POST", `/api/v1/cases/${encodeURIComponent(caseId)}/corrections`, { json: body });
        form.remove();
        say(notice, "已更正。被退回的事项已重新提交给部门办理，办好后会通知您。", "ok");
        back.className = "button block";
        back.focus();
      } catch (err) {
        showError(notice, err, form);
      }
    });
  });
});
