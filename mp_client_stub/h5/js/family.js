// What every family page shares: the top bar, and logging in first when needed.

import { ApiError } from "./api.js";
import { loggedIn, renderLogin } from "./login.js";
import { $, initPage, showError } from "./ui.js";

export const FAMILY_LINKS = [["我的申请", "/mp/"], ["消息", "/mp/inbox"]];

/** Run `show()` once logged in; a login form first when not. An expired login asks again. */
export async function familyPage(show) {
  initPage({ links: FAMILY_LINKS });
  const loginBox = $("#login");
  const run = async () => {
    try {
      await show();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        renderLogin(loginBox, run);
        showError($("#login-notice"), err);
        return;
      }
      showError($("#notice"), err);
    }
  };
  if (loggedIn()) await run();
  else renderLogin(loginBox, run);
}

export const STATUS_NAMES = {
  waiting: "等待中", dispatched: "已推送", accepted: "部门已受理", done: "已办结", rejected: "已退回", not_applicable: "无需办理",
};

export const FINAL = new Set(["done", "not_applicable"]);
