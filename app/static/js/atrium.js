// Atrium's own script: after an htmx swap, move focus to the new content and announce it.
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  const announcer = document.getElementById("announcer");
  const summary = target.querySelector("[id$='result-count'], h1, h2");
  if (announcer && summary) {
    announcer.textContent = summary.textContent.trim();
  }
});
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});
