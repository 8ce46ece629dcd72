// Report lesson progress: a page read to its end, the share of a video actually watched.
(() => {
  const lesson = document.querySelector("article.lesson[data-progress-url]");
  if (!lesson || lesson.dataset.completed === "true") return;
  const url = lesson.dataset.progressUrl;
  const token = document.querySelector("meta[name=csrf-token]")?.content || "";
  const status = document.getElementById("lesson-status");
  let done = false;

  async function report(event, value) {
    if (done) return;
    const body = new URLSearchParams({ event });
    if (value !== undefined) body.set("value", String(value));
    const response = await fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": token, Accept: "application/json" },
      body,
      credentials: "same-origin",
    });
    if (!response.ok) return;
    const result = await response.json();
    if (result.completed) {
      done = true;
      if (status) status.textContent = result.course_completed ? status.dataset.courseDone || "" : status.dataset.lessonDone || "";
      const endForm = document.querySelector("#lesson-end form");
      if (endForm) endForm.hidden = true;
    }
  }

  if (lesson.dataset.kind === "page") {
    const end = document.getElementById("lesson-end");
    if (end && "IntersectionObserver" in window) {
      const observer = new IntersectionObserver((entries) => {
        if (entries.some((entry) => entry.isIntersecting)) {
          observer.disconnect();
          report("viewed_to_end");
        }
      });
      observer.observe(end);
    }
  }

  const video = document.getElementById("lesson-video");
  if (video) {
    let lastSent = 0;
    const watchedPercent = () => {
      if (!video.duration || !isFinite(video.duration)) return 0;
      let seconds = 0;
      for (let i = 0; i < video.played.length; i += 1) seconds += video.played.end(i) - video.played.start(i);
      return Math.min(100, Math.floor((100 * seconds) / video.duration));
    };
    const send = () => {
      const percent = watchedPercent();
      if (percent > lastSent) {
        lastSent = percent;
        report("watched", percent);
      }
    };
    video.addEventListener("timeupdate", () => {
      if (watchedPercent() - lastSent >= 10 || watchedPercent() >= 90) send();
    });
    video.addEventListener("pause", send);
    video.addEventListener("ended", send);
  }
})();
