// Atrium's own script: small enhancements on top of pages that work without it.
document.documentElement.classList.add("js");

function announce(text) {
  const announcer = document.getElementById("announcer");
  if (!announcer || !text) return;
  announcer.textContent = "";
  window.setTimeout(() => { announcer.textContent = text.trim(); }, 50);
}

// After an htmx swap, move focus to the new content's heading (or the content) and announce it.
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  // Autosave status: its own live region speaks; focus stays where the person is typing.
  if (target.closest("[data-keep-focus]")) return;
  const summary = target.querySelector("[data-announce], #result-count, #preview-verdicts, h1, h2");
  announce(summary ? summary.textContent : target.textContent.slice(0, 200));
  if (target.id === "preview") return; // the person is still typing in the form
  const heading = target.querySelector("h1, h2, [data-announce]") || target;
  if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
  if (!target.contains(document.activeElement) && !event.detail.requestConfig?.elt?.closest("form[role=search]")) {
    heading.focus({ preventScroll: false });
  }
});

document.addEventListener("DOMContentLoaded", () => {
  // An error summary takes focus so screen readers hear what went wrong.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  // On narrow screens the main menu collapses behind a button.
  const header = document.getElementById("site-header");
  const toggle = header && header.querySelector(".menu-toggle");
  const menu = document.getElementById("site-menu");
  if (header && toggle && menu) {
    header.classList.add("js-menu", "menu-closed");
    toggle.hidden = false;
    toggle.setAttribute("aria-expanded", "false");
    toggle.addEventListener("click", () => {
      const open = header.classList.toggle("menu-closed") === false;
      toggle.setAttribute("aria-expanded", String(open));
      if (open) {
        const first = menu.querySelector("a, button, select");
        if (first) first.focus();
      }
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !header.classList.contains("menu-closed") && window.innerWidth < 768) {
        header.classList.add("menu-closed");
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      }
    });
  }

  // Confirmation dialogs: without JavaScript they are plain forms; with it, modal dialogs.
  document.querySelectorAll("dialog.dialog").forEach((dialog) => {
    dialog.removeAttribute("open");
    const opener = document.querySelector(`[data-dialog-open="${dialog.id}"]`);
    const closer = dialog.querySelector(`[data-dialog-close="${dialog.id}"]`);
    if (opener) {
      opener.hidden = false;
      opener.addEventListener("click", () => dialog.showModal());
    }
    if (closer) {
      closer.hidden = false;
      closer.addEventListener("click", () => { dialog.close(); if (opener) opener.focus(); });
    }
  });
});

// The admin area's section navigation folds away on phones and stays open on wider screens.
document.addEventListener("DOMContentLoaded", () => {
  const adminNav = document.getElementById("admin-nav");
  if (!adminNav) return;
  const wide = window.matchMedia("(min-width: 48rem)");
  const fit = () => { adminNav.open = wide.matches; };
  fit();
  wide.addEventListener("change", fit);
});

// Copy buttons (a certificate's verify link): hidden without JavaScript, where the field can be copied by hand.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    const field = document.getElementById(button.dataset.copy);
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(field.value);
      } catch {
        field.select();
        document.execCommand("copy");
      }
      announce(button.dataset.copied);
    });
  });
});
