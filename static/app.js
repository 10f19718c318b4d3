// Small enhancements; every page works without them. No inline scripts: the CSP forbids them.
"use strict";

document.documentElement.classList.add("js");

function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A fresh text node after a tick makes screen readers announce a repeated message too.
  setTimeout(() => { region.textContent = text; }, 50);
}

function textOf(element) {
  return element.tagName === "INPUT" || element.tagName === "TEXTAREA"
    ? element.value : element.textContent;
}

async function copy(button, text, done) {
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
    announce(done);
  } catch {
    button.textContent = "Press Ctrl+C";
    announce("Copying failed: select the text and copy it yourself.");
  }
  setTimeout(() => { button.textContent = label; }, 2000);
}

document.addEventListener("click", (event) => {
  const one = event.target.closest("button[data-copy-target]");
  if (one) {
    const source = document.getElementById(one.dataset.copyTarget);
    if (!source) return;
    if (source.select) source.select();
    copy(one, textOf(source), one.dataset.copied || "Link copied.");
    return;
  }
  const all = event.target.closest("button[data-copy-all]");
  if (all) {
    // One line a link, after its recipient's name when it has one: "bob: https://…".
    const rows = all.form.querySelectorAll(".link-row");
    const lines = Array.from(rows, (row) => {
      const name = row.querySelector(".link-recipient");
      const link = row.querySelector("input[name=link]").value;
      return name ? `${name.textContent}: ${link}` : link;
    });
    copy(all, lines.join("\n") + "\n", `${lines.length} links copied.`);
  }
});

// Times come from the server in UTC; show them in the reader's own time zone as well.
const localFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "short", day: "numeric",
  hour: "2-digit", minute: "2-digit", timeZoneName: "short",
});

function localizeTimes(root) {
  for (const time of root.querySelectorAll("time[data-local]")) {
    if (time.dataset.utc) continue;
    const when = new Date(time.getAttribute("datetime"));
    if (Number.isNaN(when.getTime())) continue;
    time.dataset.utc = time.textContent;
    time.title = time.textContent;
    time.textContent = localFormat.format(when);
  }
}

// After htmx swaps in new content: localize it, and move focus where the content asks.
function settle(root) {
  localizeTimes(root);
  const target = document.querySelector("[data-focus]");
  if (target) {
    target.removeAttribute("data-focus");
    target.focus();
  }
}

document.addEventListener("DOMContentLoaded", () => {
  localizeTimes(document);
  // A page that was rendered after a plain form post: nothing moved, focus stays put.
  for (const element of document.querySelectorAll("[data-focus]")) {
    element.removeAttribute("data-focus");
  }
});
document.addEventListener("htmx:after:swap", (event) => settle(event.target.isConnected
  ? event.target : document));
document.addEventListener("htmx:sse:after:message", () => localizeTimes(document));

// Show that a form is working while its request is on the way (Pico styles aria-busy).
document.addEventListener("htmx:before:request", (event) => {
  const button = event.target.querySelector?.("button[type=submit]");
  if (button) button.setAttribute("aria-busy", "true");
});
document.addEventListener("htmx:finally:request", (event) => {
  const button = event.target.querySelector?.("button[type=submit]");
  if (button) button.removeAttribute("aria-busy");
});
