// Show only the value control that fits what each rule condition looks at (all of them show without JavaScript).
function setUpConditionRows(root) {
  root.querySelectorAll(".condition-row").forEach((row) => {
    const field = row.querySelector("select[name=condition_field]");
    if (!field || field.dataset.ready) return;
    field.dataset.ready = "1";
    const update = () => {
      const kind = field.value === "org_unit" || field.value === "group" ? field.value : "text";
      row.querySelectorAll("[data-for]").forEach((box) => { box.hidden = box.dataset.for !== kind; });
      const name = row.querySelector("input[name=condition_name]");
      if (name) name.closest(".field").hidden = field.value !== "attribute";
    };
    field.addEventListener("change", update);
    update();
  });
}

document.addEventListener("DOMContentLoaded", () => setUpConditionRows(document));
// A preview swaps the form in again (with every problem marked): set up its new rows too.
document.addEventListener("htmx:afterSwap", (event) => setUpConditionRows(event.detail.target));
