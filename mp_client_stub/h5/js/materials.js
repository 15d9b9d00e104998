// /mp/materials?id=… — the materials checklist: what is received, what is missing, and a photo
// or file for each missing one the family can send from the phone (POST …/uploads, multipart).

import { api } from "./api.js";
import { familyPage } from "./family.js";
import { $, fill, el, maskDigits, param, say, showError, when } from "./ui.js";

const caseId = param("id");
const ACCEPT = "image/jpeg,image/png,application/pdf";

function uploadButtons(item, onUploaded) {
  const notice = el("div", { class: "notice" });
  const pick = (capture) => {
    const id = `file-${item.code}-${capture ? "camera" : "file"}`;
    const input = el("input", { type: "file", id, class: "visually-hidden", name: item.upload_kind, "data-kind": item.upload_kind,
      accept: capture ? "image/*" : ACCEPT, capture: capture ? "environment" : null });
    const label = el("label", { for: id, class: capture ? "button" : "button secondary" }, capture ? "拍照上传" : "选择照片或文件");
    input.addEventListener("change", async () => {
      const file = input.files && input.files[0];
      if (!file) return;
      say(notice, "正在上传，请稍候…", "warn");
      const form = new FormData();
      form.append("kind", item.upload_kind);
      form.append("file", file);
      try {
        await api("family", "POST", `/api/v1/cases/${encodeURIComponent(caseId)}/uploads`, { form });
        say(notice, `“${item.name}”已上传`, "ok");
        await onUploaded(`“${item.name}”已上传`);
      } catch (err) {
        showError(notice, err);
      } finally {
        input.value = "";
      }
    });
    return [input, label];
  };
  return el("div", { class: "upload" }, el("div", { class: "actions" }, ...pick(true), ...pick(false)),
    el("p", { class: "hint" }, "可以是 JPG、PNG 照片或 PDF 文件，每个不超过 10 MB。"), notice);
}

function nameOf(materials, code) {
  const item = materials.items.find((i) => i.code === code);
  return item ? item.name : "其他材料";
}

function itemCard(item, onUploaded) {
  const state = item.received
    ? el("span", { class: "badge done" }, "已收到")
    : item.requested ? el("span", { class: "badge rejected" }, "窗口请您补充") : el("span", { class: "badge waiting" }, "尚需补充");
  const card = el("li", { class: "card", id: `item-${item.code}`, "data-received": item.received ? "1" : "0" },
    el("h3", {}, item.name), el("p", {}, state));
  if (item.received && item.received_at) card.append(el("p", {}, `收到时间：${when(item.received_at)}`));
  if (!item.received) {
    card.append(el("p", {}, `怎样补充：${item.how}`));
    if (item.upload_kind) card.append(uploadButtons(item, onUploaded));
  }
  return card;
}

familyPage(async () => {
  if (!caseId) {
    say($("#notice"), "没有指定申请。请从“我的申请”进入。", "error");
    return;
  }
  const box = $("#materials");
  box.hidden = false;
  const show = async (done = "") => {
    const m = await api("family", "GET", `/api/v1/cases/${encodeURIComponent(caseId)}/materials`);
    // What the phone can send first; what only the window can take after it.
    const missing = m.items.filter((i) => !i.received).sort((a, b) => Number(!a.upload_kind) - Number(!b.upload_kind));
    const requests = (m.open_requests || []).map((r) => el("div", { class: "notice warn" },
      `窗口请您补充：${(r.materials || []).map((code) => nameOf(m, code)).join("、")}${r.note ? `。${maskDigits(r.note)}` : ""}`));
    fill(box,
      done ? el("div", { class: "notice ok", role: "status", id: "upload-done" }, done) : null,
      el("p", { class: "progress", id: "materials-progress" },
        missing.length ? `还缺 ${missing.length} 项材料` : "材料已经齐全"),
      ...requests,
      el("h2", {}, "还需要补充的"),
      missing.length ? el("ol", { class: "list", id: "missing" }, missing.map((i) => itemCard(i, show))) : el("p", {}, "没有了。"),
      el("h2", {}, "已经收到的"),
      el("ol", { class: "list", id: "received" }, m.items.filter((i) => i.received).map((i) => itemCard(i, show))),
      el("a", { class: "button secondary block", href: `/mp/case?id=${encodeURIComponent(caseId)}` }, "返回办理进度"),
    );
  };
  await show();
});
