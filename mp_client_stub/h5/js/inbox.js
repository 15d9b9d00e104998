// /mp/inbox — the in-app messages, newest first; each unread one has a 标为已读 button.

import { api } from "./api.js";
import { familyPage } from "./family.js";
import { $, busy, el, maskDigits, showError, when } from "./ui.js";

function countText(messages) {
  const unread = messages.filter((m) => !m.read).length;
  return unread ? `共 ${messages.length} 条，${unread} 条未读` : `共 ${messages.length} 条，都已读过`;
}

familyPage(async () => {
  const messages = await api("family", "GET", "/api/v1/me/messages");
  const box = $("#inbox");
  box.hidden = false;
  const count = el("p", { class: "progress", id: "inbox-count" }, countText(messages));
  const card = (m) => {
    const state = el("span", { class: `badge ${m.read ? "read" : "unread"}` }, m.read ? "已读" : "未读");
    const node = el("li", { class: `card message ${m.read ? "read" : "unread"}`, id: `message-${m.id}` },
      el("h2", {}, m.title), el("p", {}, state, " ", el("time", { datetime: m.created_at }, when(m.created_at))),
      el("p", {}, maskDigits(m.body)));
    const notice = el("div", { class: "notice" });
    if (m.case_id) node.append(el("a", { class: "button secondary block", href: `/mp/case?id=${encodeURIComponent(m.case_id)}` }, "查看这份申请"));
    if (!m.read) {
      const mark = el("button", { type: "button", class: "block", "data-mark-read": "" }, "标为已读");
      mark.addEventListener("click", () => busy(mark, async () => {
        try {
          await api("family", "POST", `/api/v1/me/messages/${m.id}/read`, { json: {} });
          m.read = true;
          node.replaceWith(card(m));
          count.textContent = countText(messages);
        } catch (err) {
          showError(notice, err);
        }
      }));
      node.append(notice, mark);
    }
    return node;
  };
  box.replaceChildren(count, messages.length ? el("ol", { class: "list", id: "messages" }, messages.map(card)) : el("p", {}, "还没有消息。"));
});
