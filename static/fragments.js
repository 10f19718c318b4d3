// Answers to background (htmx) requests; every form works without this too.
"use strict";

// Only fragments are swapped in: a whole page never lands inside another one. A session that
// ended (401) takes the whole window to the login page (htmx follows HX-Redirect), and what
// was typed waits in this tab until the user is back. Any other error is shown next to the
// form, which keeps what was typed; 422 answers are the form again, with its problems.

const DRAFT_PREFIX = "oncelink.draft.";
const DRAFT_LIFETIME_MS = 30 * 60 * 1000;

function saveDrafts() {
  for (const form of document.querySelectorAll("form[data-draft]")) {
    const fields = {};
    for (const field of form.elements) {
      if (field.name && !["hidden", "password", "submit"].includes(field.type)) {
        fields[field.name] = field.value;
      }
    }
    const draft = JSON.stringify({ saved: Date.now(), fields });
    try { sessionStorage.setItem(DRAFT_PREFIX + form.dataset.draft, draft); } catch { /* full */ }
  }
}

function freshDraft(key) {
  const draft = JSON.parse(sessionStorage.getItem(key) || "null");
  if (draft && Date.now() - draft.saved <= DRAFT_LIFETIME_MS) return draft;
  sessionStorage.removeItem(key);
  return null;
}

// Each draft fills its own form (named per user) once, and only while it is fresh.
function restoreDrafts() {
  for (const key of Object.keys(sessionStorage)) {
    if (key.startsWith(DRAFT_PREFIX)) freshDraft(key);  // drops the stale ones
  }
  for (const form of document.querySelectorAll("form[data-draft]")) {
    const key = DRAFT_PREFIX + form.dataset.draft;
    const draft = freshDraft(key);
    sessionStorage.removeItem(key);
    for (const [name, value] of Object.entries(draft?.fields || {})) {
      const field = form.elements.namedItem(name);
      if (field && "value" in field) field.value = value;
    }
  }
}

function problemBox(source, create) {
  const home = source?.closest?.("form") || source?.parentElement;
  if (!home) return null;
  let box = home.querySelector(":scope > .request-problem");
  if (!box && create) {
    box = document.createElement("p");
    box.className = "notice warn request-problem";
    box.setAttribute("role", "alert");
    home.prepend(box);
  }
  return box;
}

function showProblem(source, text) {
  const box = problemBox(source, true);
  if (box) box.textContent = text;
  else announce(text);
}

// The server's message, from the fragment it answers errors with; a generic one otherwise
// (an answer from a proxy, say).
function problemIn(text) {
  const answer = new DOMParser().parseFromString(text || "", "text/html");
  const message = answer.querySelector("[data-problem]")?.textContent.trim();
  return message || "Something went wrong. Nothing you typed was lost: try again.";
}

document.addEventListener("DOMContentLoaded", restoreDrafts);
document.addEventListener("htmx:before:request", (event) => {
  problemBox(event.detail.ctx?.sourceElement, false)?.remove();
});
document.addEventListener("htmx:after:request", (event) => {
  if (event.detail.ctx?.response?.status === 401) saveDrafts();
});
document.addEventListener("htmx:before:swap", (event) => {
  const ctx = event.detail.ctx;
  const status = ctx?.response?.status ?? 200;
  const wholePage = /^\s*<!doctype html/i.test(ctx?.text || "");
  if ((status >= 400 && status !== 422) || wholePage) {
    event.preventDefault();
    showProblem(ctx.sourceElement, problemIn(ctx.text));
  }
});
document.addEventListener("htmx:error", (event) => {
  const ctx = event.detail.ctx;
  if (ctx && !ctx.response) {
    showProblem(ctx.sourceElement, "oncelink could not be reached. Nothing you typed was lost: try again.");
  }
});
