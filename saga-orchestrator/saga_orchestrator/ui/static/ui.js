// The dashboard's only script: asks before an action, and refreshes a page that shows something running.
"use strict";

document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// A block marked data-live="<ms>" is fetched again at that period and swapped in, until the page
// served no longer marks it live (the saga finished or parked).
async function refresh(block) {
  const response = await fetch(window.location.href, { credentials: "same-origin" });
  if (!response.ok) return null;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.querySelector("main").firstElementChild;
  if (!fresh) return null;
  block.replaceWith(fresh);
  return fresh.dataset.live ? fresh : null;
}

function keepLive(block) {
  const period = Number(block.dataset.live);
  window.setTimeout(async () => {
    const next = await refresh(block).catch(() => block);
    if (next) keepLive(next);
  }, period);
}

document.addEventListener("DOMContentLoaded", () => {
  const block = document.querySelector("main > [data-live]");
  if (block) keepLive(block);
});
