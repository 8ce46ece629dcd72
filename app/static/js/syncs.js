// The HR source form: show only the settings (and the secret) the chosen kind of source asks for.
// Without JavaScript every setting shows, each saying which kinds use it.
function setUpSourceKind(root) {
  const kind = root.querySelector("select[data-sync-kind]");
  if (!kind || kind.dataset.ready) return;
  kind.dataset.ready = "1";
  const update = () => {
    root.querySelectorAll("[data-sync-kinds]").forEach((box) => {
      box.hidden = !box.dataset.syncKinds.split(" ").includes(kind.value);
    });
  };
  kind.addEventListener("change", update);
  update();
}

document.addEventListener("DOMContentLoaded", () => setUpSourceKind(document));
