// /mp/scan?scene=TOKEN — what the case QR code opens (SPEC §6): log in, see the masked
// preview (nothing personal before binding), then bind and follow the case.

import { api } from "./api.js";
import { familyPage } from "./family.js";
import { $, busy, el, param, say, showError } from "./ui.js";

const SCENE_KEY = "mp.scene";

const scene = param("scene") || sessionStorage.getItem(SCENE_KEY);
if (scene) sessionStorage.setItem(SCENE_KEY, scene); // survives the login step

familyPage(async () => {
  const box = $("#preview-section");
  if (!scene) {
    say($("#notice"), "二维码链接不完整。请用湘易办重新扫描窗口给您的二维码。", "error");
    return;
  }
  const preview = await api("family", "POST", "/api/v1/scan", { json: { token: scene } });
  box.hidden = false;
  if (preview.kind !== "case") {
    box.replaceChildren(
      el("div", { class: "card" },
        el("h2", {}, "这是窗口办事码"),
        el("p", {}, `窗口：${preview.window_name || "—"}`),
        el("p", {}, "请在窗口工作人员的指导下填写申请。")),
    );
    return;
  }
  const bindButton = el("button", { type: "button", class: "block", id: "bind-button" }, "关联这个申请，查看办理进度");
  box.replaceChildren(
    el("div", { class: "card", id: "preview" },
      el("h2", {}, "您扫描的是一份申请"),
      el("dl", { class: "facts" },
        el("div", {}, el("dt", {}, "受理窗口："), el("dd", {}, preview.window_name || "—")),
        el("div", {}, el("dt", {}, "逝者："), el("dd", { id: "masked-name" }, preview.deceased_masked_name || "—"))),
      el("p", {}, "确认是您家人的申请后，请点下面的按钮。申请人本人关联后即可查看；其他亲属需等申请人同意。"),
      bindButton),
  );
  bindButton.addEventListener("click", () => busy(bindButton, async () => {
    try {
      const bound = await api("family", "POST", "/api/v1/scan/bind", { json: { token: scene } });
      sessionStorage.removeItem(SCENE_KEY);
      if (bound.membership === "pending") {
        box.replaceChildren(el("div", { class: "notice ok", role: "status" },
          "已向申请人发出加入请求。申请人同意后，您就能在“我的申请”里查看办理进度。"));
        return;
      }
      location.assign(`/mp/case?id=${encodeURIComponent(bound.case_id)}`);
    } catch (err) {
      showError($("#notice"), err);
    }
  }));
});
