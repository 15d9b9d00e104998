// /mp/case?id=… — the case: each matter with its department, state, due time, overdue flag and
// outcome (money in 元 from fen, accounts masked by the API). Follows new events by long-polling
// GET /events and re-reads the case with If-None-Match (ETag), so an idle page costs little.

import { api } from "./api.js";
import { FINAL, STATUS_NAMES, familyPage } from "./family.js";
import { $, busy, day, el, maskDigits, param, say, showError, when, yuan } from "./ui.js";

const caseId = param("id");
const RATED_KEY = "mp.rated";
const LEVELS = [[5, "非常满意"], [4, "满意"], [3, "基本满意"], [2, "不满意"], [1, "非常不满意"]];
const ACTORS = { family: "家属", staff: "工作人员", department: "部门", system: "系统" };
// Materials a family can send from the phone (GET /materials says which, as upload_kind).
const UPLOADABLE = new Set(["deceased_id_card_clipped_scan", "hukou_page_clipped_scan", "applicant_id_card", "social_security_card"]);

let current = null;
let etag = null;
let lastEventId = 0;
const cards = new Map(); // matter id → {key, node}
const stop = new AbortController();
addEventListener("pagehide", () => stop.abort());

function rated() {
  try {
    return JSON.parse(sessionStorage.getItem(RATED_KEY) || "{}");
  } catch {
    return {};
  }
}

function dueText(m) {
  if (m.due_at) return `${when(m.due_at)} 前办结`;
  return m.due_state_name || "—";
}

function outcomeFacts(m) {
  const o = m.outcome || {};
  const facts = [];
  if (o.certificate_reference) facts.push(["证明编号", o.certificate_reference]);
  if (o.payout_amount_fen !== undefined && o.payout_amount_fen !== null) facts.push(["发放金额", yuan(o.payout_amount_fen)]);
  if (o.payout_account) facts.push(["发放账户", maskDigits(o.payout_account)]);
  if (o.refund_required_fen !== undefined && o.refund_required_fen !== null) facts.push(["需退回医保的金额", yuan(o.refund_required_fen)]);
  const effective = m.effective_date || o.effective_date;
  if (effective) facts.push(["生效日期", `自 ${day(effective)} 起`]);
  if (o.note) facts.push(["说明", maskDigits(o.note)]);
  return facts;
}

function fact(name, value, cls) {
  return el("div", { class: cls }, el("dt", {}, `${name}：`), el("dd", {}, value));
}

function ratingBlock(m) {
  const done = rated()[m.id];
  if (done) return el("p", { class: "notice ok", "data-rated": "" }, `您的评价：${done}。谢谢！`);
  const box = el("div", { class: "rating" });
  const open = el("button", { type: "button", class: "secondary block", "aria-expanded": "false", "data-rate-open": "" }, "评价这项服务");
  const panel = el("div", { hidden: true, class: "rating-panel" });
  const notice = el("div", { class: "notice" });
  let level = null;
  const buttons = LEVELS.map(([value, name]) => {
    const b = el("button", { type: "button", class: "secondary", "aria-pressed": "false", "data-level": value }, name);
    b.addEventListener("click", () => {
      level = value;
      for (const other of buttons) other.setAttribute("aria-pressed", other === b ? "true" : "false");
    });
    return b;
  });
  const commentId = `comment-${m.id}`;
  const comment = el("textarea", { id: commentId, maxlength: 200, name: "comment" });
  const submit = el("button", { type: "button", class: "block", "data-rate-submit": "" }, "提交评价");
  panel.append(
    el("p", {}, "您对这项服务满意吗？请选一项："),
    el("div", { class: "rating-levels", role: "group", "aria-label": "满意程度" }, buttons),
    el("label", { for: commentId }, "意见", el("span", { class: "hint" }, "可以不填，200 字以内")),
    comment, notice, submit,
  );
  open.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    open.setAttribute("aria-expanded", String(!panel.hidden));
    open.textContent = panel.hidden ? "评价这项服务" : "收起评价";
  });
  submit.addEventListener("click", () => busy(submit, async () => {
    if (!level) {
      say(notice, "请先选择满意程度", "error");
      return;
    }
    try {
      const body = { level };
      if (comment.value.trim()) body.comment = comment.value.trim();
      const answer = await api("family", "POST", `/api/v1/cases/${encodeURIComponent(caseId)}/matters/${encodeURIComponent(m.id)}/rating`, { json: body });
      const name = answer.level_name || LEVELS.find(([v]) => v === level)[1];
      sessionStorage.setItem(RATED_KEY, JSON.stringify({ ...rated(), [m.id]: name }));
      const thanks = el("p", { class: "notice ok", role: "status", "data-rated": "" }, `您的评价：${name}。谢谢！`);
      if (answer.rectification) thanks.append(el("br"), "我们已转监督部门督促整改，15 个工作日内给您答复。");
      box.replaceWith(thanks);
    } catch (err) {
      showError(notice, err);
    }
  }));
  box.append(open, panel);
  return box;
}

function matterCard(m) {
  const badges = [el("span", { class: `badge ${m.status}` }, m.status_name || STATUS_NAMES[m.status] || m.status)];
  if (m.automatic) badges.push(" ", el("span", { class: "badge auto" }, "自动办理"));
  if (m.overdue) badges.push(" ", el("span", { class: "badge overdue", "data-overdue": "" }, "已超过办结时限"));
  const facts = [
    fact("办理部门", m.department_name || m.department),
    fact("办结时限", dueText(m), "due"),
  ];
  if (m.deadline_rule) facts.push(fact("时限规定", m.deadline_rule));
  if (m.finished_at && FINAL.has(m.status)) facts.push(fact("办结时间", when(m.finished_at)));
  for (const [name, value] of outcomeFacts(m)) facts.push(fact(name, value, "outcome"));
  const card = el("li", { class: `card ${m.status}${m.overdue ? " overdue" : ""}`, id: `matter-${m.code}`, "data-status": m.status },
    el("h3", {}, m.name),
    el("p", {}, badges),
    el("dl", { class: "facts" }, facts),
  );
  if (m.status === "waiting" && m.waiting_for && m.waiting_for.length) {
    card.append(el("p", {}, `正在等待：${m.waiting_for.map((w) => w.name).join("、")}`));
    if (m.waiting_for.some((w) => UPLOADABLE.has(w.code))) {
      card.append(el("a", { class: "button block", href: `/mp/materials?id=${encodeURIComponent(caseId)}` }, "上传缺少的材料"));
    }
  }
  if (m.status === "rejected") {
    card.append(
      el("div", { class: "notice warn" }, el("strong", {}, "退回原因："), maskDigits(m.reason || "请联系受理窗口")),
      el("a", { class: "button block", "data-correct": "",
        href: `/mp/correct?id=${encodeURIComponent(caseId)}&matter=${encodeURIComponent(m.id)}` }, "更正信息并重新提交"),
    );
  } else if (m.reason) {
    card.append(el("p", {}, `说明：${maskDigits(m.reason)}`));
  }
  if (m.status === "done") card.append(ratingBlock(m));
  return card;
}

function renderHead(c) {
  const finished = c.matters.filter((m) => FINAL.has(m.status)).length;
  const rejected = c.matters.filter((m) => m.status === "rejected").length;
  const head = $("#case-head");
  head.replaceChildren(
    el("dl", { class: "facts" },
      fact("申请编号", c.reference),
      fact("状态", c.status_name || c.status),
      fact("逝者", (c.deceased && c.deceased.name) || "—"),
      fact("申请人", c.applicant ? `${c.applicant.name}（${maskDigits(c.applicant.phone || "")}）` : "—"),
      fact("受理时间", when(c.accepted_at))),
    el("p", { class: "progress", id: "progress" }, `共 ${c.matters.length} 项，已办结 ${finished} 项`),
  );
  if (rejected) head.append(el("div", { class: "notice warn", role: "status" }, `有 ${rejected} 项被退回，需要您更正信息。请看下面标红的事项。`));
  if (c.status === "completed") head.append(el("div", { class: "notice ok", role: "status" }, "全部事项已办结。"));
}

function renderMatters(c) {
  const list = $("#matters");
  const seen = new Set();
  c.matters.forEach((m, index) => {
    const key = JSON.stringify(m);
    seen.add(m.id);
    const old = cards.get(m.id);
    if (old && old.key === key) return;
    const node = matterCard(m);
    if (old) old.node.replaceWith(node);
    else list.insertBefore(node, list.children[index] || null);
    cards.set(m.id, { key, node });
  });
  for (const [id, { node }] of cards) {
    if (!seen.has(id)) {
      node.remove();
      cards.delete(id);
    }
  }
}

function appendTimeline(events) {
  const list = $("#timeline-list");
  for (const e of events) {
    if (e.id <= lastEventId) continue;
    lastEventId = e.id;
    list.append(el("li", {}, el("time", { datetime: e.created_at }, when(e.created_at)), " ",
      el("span", {}, `【${ACTORS[e.actor] || "系统"}】`), maskDigits(e.summary)));
  }
}

async function readCase() {
  const headers = etag ? { "If-None-Match": etag } : {};
  const response = await api("family", "GET", `/api/v1/cases/${encodeURIComponent(caseId)}`, { raw: true, headers, signal: stop.signal });
  if (response.status === 304) return false;
  etag = response.headers.get("ETag");
  current = await response.json();
  renderHead(current);
  renderMatters(current);
  return true;
}

async function follow() {
  while (!stop.signal.aborted) {
    try {
      const events = await api("family", "GET",
        `/api/v1/cases/${encodeURIComponent(caseId)}/events?after=${lastEventId}&wait=25`, { signal: stop.signal });
      if (events && events.length) {
        appendTimeline(events);
        await readCase();
      }
    } catch (err) {
      if (err.name === "AbortError") return;
      if (err.status === 401 || err.status === 404) {
        showError($("#notice"), err);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 3000)); // the network came and went
    }
  }
}

familyPage(async () => {
  if (!caseId) {
    say($("#notice"), "没有指定申请。请从“我的申请”进入。", "error");
    return;
  }
  const box = $("#case");
  box.hidden = false;
  box.replaceChildren(
    el("div", { id: "case-head" }),
    el("div", { class: "actions" },
      el("a", { class: "button secondary", href: `/mp/materials?id=${encodeURIComponent(caseId)}`, id: "materials-link" }, "补充材料"),
      el("a", { class: "button secondary", href: "/mp/inbox" }, "消息"),
      el("a", { class: "button secondary", href: "#timeline" }, "办理经过")),
    el("h2", {}, "各项办理情况"),
    el("ol", { class: "list", id: "matters" }),
    el("h2", { id: "timeline", tabindex: "-1" }, "办理经过"),
    el("ol", { class: "list timeline", id: "timeline-list" }),
  );
  await readCase();
  appendTimeline(await api("family", "GET", `/api/v1/cases/${encodeURIComponent(caseId)}/timeline`));
  await readCase(); // anything that happened while the timeline was read (304 when nothing did)
  document.body.dataset.ready = "1";
  follow();
});
