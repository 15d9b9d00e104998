// /mp/ — 我的申请: the cases this family member is bound to, and the unread messages.

import { api } from "./api.js";
import { familyPage } from "./family.js";
import { logout, userName } from "./login.js";
import { $, busy, el, when } from "./ui.js";

familyPage(async () => {
  const [cases, messages] = await Promise.all([
    api("family", "GET", "/api/v1/me/cases"),
    api("family", "GET", "/api/v1/me/messages"),
  ]);
  const unread = messages.filter((m) => !m.read).length;
  const box = $("#mine");
  box.hidden = false;
  const logoutButton = el("button", { type: "button", class: "secondary block", id: "logout-button" }, "退出登录");
  logoutButton.addEventListener("click", () => busy(logoutButton, async () => {
    await logout();
    location.assign("/mp/");
  }));
  box.replaceChildren(
    el("p", {}, `您好，${userName() || "家属"}。`),
    el("a", { class: "button block", href: "/mp/inbox", id: "inbox-link" }, unread ? `消息（${unread} 条未读）` : "消息"),
    cases.length
      ? el("ol", { class: "list", id: "case-list" }, cases.map((c) => el("li", { class: "card" },
        el("h2", {}, `逝者：${c.deceased_name}`),
        el("dl", { class: "facts" },
          el("div", {}, el("dt", {}, "申请编号："), el("dd", {}, c.reference)),
          el("div", {}, el("dt", {}, "状态："), el("dd", {}, c.status_name || c.status)),
          el("div", {}, el("dt", {}, "进度："), el("dd", {}, `共 ${c.matters_total} 项，已办结 ${c.matters_finished} 项`)),
          el("div", {}, el("dt", {}, "申请时间："), el("dd", {}, when(c.created_at)))),
        el("a", { class: "button block", href: `/mp/case?id=${encodeURIComponent(c.id)}` }, "查看办理进度"))))
      : el("div", { class: "notice" }, "还没有关联的申请。请用湘易办扫描窗口给您的二维码。"),
    logoutButton,
  );
});
