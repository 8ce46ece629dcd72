// Shared devices: sign the crew member out after the portal's idle minutes (the server ends the session
// at the same limit whatever this script does), and the Print button of the badge cards.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-print]").forEach((button) => {
      button.addEventListener("click", () => window.print());
    });
    const form = document.getElementById("shared-device-sign-out");
    if (!form) return;
    const idleMs = Number(form.dataset.idleSeconds || "180") * 1000;
    let timer = null;
    const restart = () => {
      if (timer) window.clearTimeout(timer);
      timer = window.setTimeout(() => form.submit(), idleMs);
    };
    ["pointerdown", "keydown", "scroll", "touchstart"].forEach((name) => {
      document.addEventListener(name, restart, { passive: true });
    });
    restart();
  });
})();
