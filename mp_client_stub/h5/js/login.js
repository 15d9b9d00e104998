// The family's login through the (sandbox) platform: the platform checks who you are and gives
// a one-time login code; our API exchanges the code for tokens (SPEC §10). In the real
// mini-program the platform does the first step itself.

import { api, ApiError, saveSession, session } from "./api.js";
import { busy, el, say, showError } from "./ui.js";

export function loggedIn() {
  const s = session("family");
  return Boolean(s && s.access_token);
}

export function userName() {
  return (session("family") || {}).name || "";
}

/** Draw the login form into `box`; `onDone()` runs once the family member is logged in. */
export function renderLogin(box, onDone) {
  const notice = el("div", { class: "notice", id: "login-notice" });
  const form = el("form", { id: "login-form", novalidate: true, autocomplete: "off" },
    el("p", {}, "请用本人身份登录。沙箱平台会核验您的姓名、身份证号和手机号。"),
    el("label", { for: "login-name" }, "姓名"),
    el("input", { id: "login-name", name: "name", type: "text", required: true, maxlength: 50 }),
    el("label", { for: "login-id" }, "身份证号", el("span", { class: "hint" }, "18 位，最后一位可能是 X")),
    el("input", { id: "login-id", name: "id_number", type: "text", required: true, maxlength: 18, inputmode: "text",
      autocapitalize: "characters", spellcheck: "false" }),
    el("label", { for: "login-phone" }, "手机号"),
    el("input", { id: "login-phone", name: "phone", type: "tel", required: true, maxlength: 11, inputmode: "numeric" }),
    el("button", { type: "submit", class: "block", id: "login-code-button" }, "下一步：获取登录码"),
  );
  const confirm = el("div", { id: "login-confirm", hidden: true },
    el("p", {}, "平台已核验您的身份，并发来一次性登录码（5 分钟内有效）。"),
    el("button", { type: "button", class: "block", id: "login-button" }, "用登录码登录"),
  );
  box.replaceChildren(el("h2", {}, "登录"), notice, form, confirm);

  let code = null;
  let name = "";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    data.id_number = String(data.id_number || "").trim().toUpperCase();
    data.name = String(data.name || "").trim();
    data.phone = String(data.phone || "").trim();
    await busy(form.querySelector("button"), async () => {
      try {
        code = (await api("family", "POST", "/sandbox/platform/login-codes", { json: data })).code;
        name = data.name;
        form.hidden = true;
        confirm.hidden = false;
        say(notice, "身份核验通过", "ok");
        confirm.querySelector("button").focus();
      } catch (err) {
        showError(notice, err, form);
      }
    });
  });
  confirm.querySelector("button").addEventListener("click", async (event) => {
    await busy(event.currentTarget, async () => {
      try {
        const answer = await api("family", "POST", "/api/v1/auth/platform-login", { json: { code } });
        saveSession("family", answer, { name: (answer.user && answer.user.name) || name });
        box.replaceChildren();
        await onDone();
      } catch (err) {
        if (err instanceof ApiError && err.status < 500) {
          form.hidden = false;
          confirm.hidden = true;
        }
        showError(notice, err);
      }
    });
  });
}

export async function logout() {
  try {
    await api("family", "POST", "/api/v1/auth/logout", { json: {} });
  } catch {
    /* the session is forgotten here either way */
  }
  sessionStorage.removeItem("mp.family");
}
