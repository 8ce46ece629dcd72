// Drag-and-drop reordering of lessons (SortableJS); the Move up / Move down buttons do the same without a mouse.
document.addEventListener("DOMContentLoaded", () => {
  const list = document.getElementById("lesson-list");
  if (!list || typeof Sortable === "undefined") return;
  const token = document.querySelector("meta[name=csrf-token]")?.content || "";
  const announcer = document.getElementById("announcer");
  Sortable.create(list, {
    handle: ".drag-handle",
    animation: 150,
    onEnd: async () => {
      const body = new URLSearchParams();
      list.querySelectorAll("li[data-id]").forEach((item) => body.append("lesson", item.dataset.id));
      const response = await fetch(list.dataset.reorderUrl, {
        method: "POST", body, credentials: "same-origin",
        headers: { "X-CSRFToken": token, Accept: "application/json" },
      });
      const result = await response.json().catch(() => ({}));
      if (announcer) announcer.textContent = result.message || result.error || "";
      if (response.ok) window.location.reload();
    },
  });
});
