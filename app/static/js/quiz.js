// Autosave status: a save that fails says so and why, never "Answer saved."
(function () {
  function statusOf(event) {
    const target = event.detail.target;
    return target && target.classList.contains("saved") ? target : null;
  }

  function fail(status, message) {
    if (!status || !message) return;
    status.classList.add("saved-error");
    status.textContent = message;
  }

  function messages() {
    return document.getElementById("quiz-form")?.dataset || {};
  }

  // htmx swaps only 2xx and 422 responses (layout.html): a refused save (expired session, 4xx, 5xx)
  // brings its own status line with the reason, or else gets a general one.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const status = statusOf(event);
    if (!status || event.detail.xhr.status < 400) return;
    const reply = new DOMParser().parseFromString(event.detail.serverResponse || "", "text/html");
    const explained = reply.getElementById(status.id);
    if (explained && explained.classList.contains("saved-error")) {
      event.detail.isError = false;
      // The same refusal again (the field lost focus on the way to its "Sign in again" link): keep the
      // line as it is, so the link is not replaced between the press and the release of a click.
      const same = status.classList.contains("saved-error") && status.textContent.trim() === explained.textContent.trim();
      event.detail.shouldSwap = !same;
      return;
    }
    event.detail.shouldSwap = false;
    fail(status, messages().saveFailed);
  });

  document.addEventListener("htmx:sendError", (event) => fail(statusOf(event), messages().saveOffline));
})();

// The quiz timer: shows time left, tells screen readers at sensible moments, submits when time is up.
// The server enforces the limit whatever this script does; this only keeps the person informed.
(function () {
  const timer = document.getElementById("quiz-timer");
  if (!timer) return;
  const deadline = Date.parse(timer.dataset.deadline);
  // Use the server's clock: the difference between it and this device's clock is kept.
  const skew = Date.parse(timer.dataset.now) - Date.now();
  const shown = document.getElementById("time-left");
  const announcer = document.getElementById("timer-announcer");
  const spoken = new Set();
  const form = document.getElementById("quiz-form");
  let submitted = false;

  function say(text) {
    if (!announcer) return;
    announcer.textContent = "";
    window.setTimeout(() => { announcer.textContent = text; }, 50);
  }

  function label(seconds) {
    if (seconds >= 120) return timer.dataset.labelMinutes.replace("{minutes}", Math.round(seconds / 60));
    if (seconds >= 60) return timer.dataset.labelMinute;
    return timer.dataset.labelSeconds.replace("{seconds}", seconds);
  }

  // Announce every 5 minutes while there is plenty of time, then at 5, 2 and 1 minutes, 30 and 10 seconds.
  function shouldAnnounce(seconds) {
    const marks = [300, 120, 60, 30, 10];
    if (seconds > 300 && seconds % 300 === 0) return true;
    return marks.includes(seconds);
  }

  function tick() {
    const left = Math.max(0, Math.round((deadline - (Date.now() + skew)) / 1000));
    const minutes = Math.floor(left / 60);
    const seconds = String(left % 60).padStart(2, "0");
    shown.textContent = `${minutes}:${seconds}`;
    timer.classList.toggle("timer-low", left <= 60);
    if (shouldAnnounce(left) && !spoken.has(left)) {
      spoken.add(left);
      say(label(left));
    }
    if (left === 0 && !submitted) {
      submitted = true;
      say(timer.dataset.labelUp);
      if (form) {
        if (form.dataset.submitUrl) form.action = form.dataset.submitUrl;
        // Time is up: nothing is left to confirm, unanswered questions or not.
        const confirmed = document.createElement("input");
        confirmed.type = "hidden";
        confirmed.name = "unanswered";
        confirmed.value = "confirmed";
        form.appendChild(confirmed);
        form.submit();
      }
      return;
    }
    window.setTimeout(tick, 1000 - ((Date.now() + skew) % 1000));
  }
  // Say the time left once when the page opens.
  const start = Math.max(0, Math.round((deadline - (Date.now() + skew)) / 1000));
  say(label(start));
  tick();
})();
