// Bulk work on the dashboard: "Select all shown" ticks or clears every testimony's box in the table.
// Without JavaScript the boxes are ticked one by one, or "All testimonies matching the filters" is chosen.
(function () {
  "use strict";
  const all = document.getElementById("select-shown");
  const form = document.getElementById("bulk-form");
  if (!all || !form) return;
  const boxes = () => Array.from(form.querySelectorAll('input[type=checkbox][name=ids]'));
  const sync = () => {
    const ticked = boxes().filter((box) => box.checked).length;
    all.checked = ticked > 0 && ticked === boxes().length;
    all.indeterminate = ticked > 0 && ticked < boxes().length;
  };
  all.hidden = false;
  document.querySelector('label[for="select-shown"]').hidden = false;
  const placeholder = form.querySelector("[data-no-js]");
  if (placeholder) placeholder.remove();
  all.addEventListener("change", () => {
    boxes().forEach((box) => { box.checked = all.checked; });
  });
  form.addEventListener("change", (event) => {
    if (event.target !== all && event.target.name === "ids") sync();
  });
  sync();
})();
