// Shared page furniture: the top bar with the 大字 switch, safe DOM building, Chinese formats.

const LARGE_KEY = "mp.largeText"; // a display preference, not a secret: localStorage is fine

/** el("p", {class: "x"}, "text", child…) — text is always text, never parsed as HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** box.replaceChildren(...) that skips null/false children (DOM would print them as "null"). */
export function fill(box, ...children) {
  box.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function largeText() {
  return localStorage.getItem(LARGE_KEY) === "1";
}

function applyLargeText(on) {
  document.documentElement.classList.toggle("large", on);
  for (const button of document.querySelectorAll("[data-large-toggle]")) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "标准字" : "大字";
    button.setAttribute("aria-label", on ? "改回标准字号" : "放大字号");
  }
}

/**
 * The top bar of every page: the service name, 大字 (large text, remembered on this phone),
 * and plain buttons to the main screens. `links` = [[text, href], …].
 */
export function initPage({ links = [] } = {}) {
  applyLargeText(largeText());
  const toggle = el("button", { type: "button", class: "button", "data-large-toggle": "", id: "large-toggle" });
  toggle.addEventListener("click", () => {
    const on = !largeText();
    localStorage.setItem(LARGE_KEY, on ? "1" : "0");
    applyLargeText(on);
  });
  const nav = el("nav", { "aria-label": "页面导航" },
    links.map(([text, href]) => el("a", { class: "button", href }, text)), toggle);
  const bar = el("header", { class: "topbar" }, el("a", { class: "brand", href: links.length ? links[0][1] : "#" }, "身后一件事一次办"), nav);
  document.body.prepend(bar);
  applyLargeText(largeText());
}

/** 405672 → "4,056.72 元" (integer arithmetic: no float rounding). */
export function yuan(fen) {
  const n = Number(fen);
  if (!Number.isInteger(n)) return "—";
  const sign = n < 0 ? "-" : "";
  const abs = Math.abs(n);
  const whole = Math.floor(abs / 100).toLocaleString("en-US");
  return `${sign}${whole}.${String(abs % 100).padStart(2, "0")} 元`;
}

const TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false,
});
const DATE = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "long", day: "numeric" });

/** An ISO 8601 time → "2026年11月30日 23:59" (Asia/Shanghai, whatever the phone's zone). */
export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : TIME.format(d);
}

/** "2026-02-01" → "2026年2月1日". */
export function day(isoDate) {
  if (!isoDate) return "—";
  const d = new Date(`${isoDate}T12:00:00+08:00`);
  return Number.isNaN(d.getTime()) ? String(isoDate) : DATE.format(d);
}

/**
 * A last guard against private numbers in text from elsewhere: any run of 11 or more digits
 * (an ID, a card or a phone number) keeps only its first 3 and last 4 digits.
 */
export function maskDigits(text) {
  return String(text ?? "").replace(/\d[\d ]{9,}[\dXx]/g, (run) => {
    const digits = run.replace(/ /g, "");
    if (digits.length < 11) return run;
    return `${digits.slice(0, 3)}${"*".repeat(digits.length - 7)}${digits.slice(-4)}`;
  });
}

/** Show an ApiError: its message, and each field's problems next to the field (name="a.b.c"). */
export function showError(box, err, form = null) {
  if (form) clearFieldErrors(form);
  box.className = "notice error";
  box.replaceChildren(err.message || "出错了，请稍后再试");
  box.setAttribute("role", "alert");
  const loose = [];
  for (const [field, problems] of Object.entries(err.errors || {})) {
    const input = form && findField(form, field);
    if (input) {
      input.setAttribute("aria-invalid", "true");
      const note = el("span", { class: "field-error", id: `err-${field.replace(/\W/g, "-")}` }, problems.join("；"));
      const anchor = input.closest(".choices") || input;
      anchor.after(note);
      input.setAttribute("aria-describedby", note.id);
    } else {
      loose.push(problems.join("；"));
    }
  }
  if (loose.length) box.append(el("ul", {}, loose.map((text) => el("li", {}, text))));
  box.scrollIntoView({ block: "nearest" });
  (form && form.querySelector("[aria-invalid='true']"))?.focus({ preventScroll: true });
}

function findField(form, field) {
  let name = field;
  while (name) {
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (input) return input;
    name = name.includes(".") ? name.slice(0, name.lastIndexOf(".")) : "";
  }
  return null;
}

export function clearFieldErrors(form) {
  for (const note of form.querySelectorAll(".field-error")) note.remove();
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }
}

export function say(box, text, kind = "ok") {
  box.className = `notice ${kind}`;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  box.replaceChildren(text);
}

/** Disable a button while `work` runs, so an impatient second tap does nothing twice. */
export async function busy(button, work, text = "请稍候…") {
  const old = button.textContent;
  button.disabled = true;
  button.textContent = text;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.textContent = old;
  }
}

export function param(name) {
  return new URLSearchParams(location.search).get(name);
}
