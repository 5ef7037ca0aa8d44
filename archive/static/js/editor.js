// The curator's forms (testimony editor, narrator, new testimony): the page knows which sections hold edits
// that are not saved, asks before a save of another section or leaving the page would lose them, marks them
// in the section list, and filters the home-place list by the chosen province. Without JavaScript every form
// still works as a plain form (the place list is then complete).

const forms = [...document.querySelectorAll("form[data-section]")];
const words = document.getElementById("unsaved-messages")?.dataset ?? {};
let leaving = false; // a save the curator confirmed: the unload guard stays quiet

function snapshot(form) {
  const parts = [];
  for (const el of form.elements) {
    if (!el.name || ["hidden", "submit", "button", "reset"].includes(el.type)) continue;
    if (el.type === "checkbox" || el.type === "radio") parts.push(`${el.name}=${el.checked ? el.value : ""}`);
    else if (el.type === "file") parts.push(`${el.name}=${el.files.length}`);
    else if (el.tagName === "SELECT") parts.push(`${el.name}=${[...el.selectedOptions].map((o) => o.value)}`);
    else parts.push(`${el.name}=${el.value}`);
  }
  return parts.join("\n");
}

const saved = new Map();
const edited = new Map(); // each form's last edited control, where a question sends the curator back
// Input the server refused (invalid or conflicting) was never saved: it counts as unsaved from the start.
const refused = new Set(forms.filter((form) => form.hasAttribute("data-unsaved")));

function isDirty(form) {
  return refused.has(form) || snapshot(form) !== saved.get(form);
}

function sectionLink(form) {
  const section = form.closest("section[id]");
  return section ? document.querySelector(`.section-nav a[href="#${section.id}"]`) : null;
}

function mark(form) {
  const dirty = isDirty(form);
  let note = form.querySelector(":scope > .unsaved-note");
  if (!note) {
    note = document.createElement("p");
    note.className = "unsaved-note";
    note.setAttribute("role", "status");
    form.append(note);
  }
  note.textContent = dirty ? words.note || "Unsaved changes" : "";
  const link = sectionLink(form);
  if (link) {
    let flag = link.querySelector(".unsaved-mark");
    if (dirty && !flag) {
      flag = document.createElement("span");
      flag.className = "unsaved-mark";
      flag.textContent = ` (${words.mark || "unsaved"})`;
      link.append(flag);
    } else if (!dirty && flag) {
      flag.remove();
    }
  }
}

function confirmSave(form) {
  const others = forms.filter((other) => other !== form && isDirty(other));
  if (!others.length) return true;
  const names = others.map((other) => `“${other.dataset.sectionName}”`).join(", ");
  const question = (words.confirm || "You have unsaved changes in {sections}. Saving {section} reloads the page "
    + "and they would be lost. Save {section} anyway?")
    .replaceAll("{sections}", names).replaceAll("{section}", `“${form.dataset.sectionName}”`);
  if (window.confirm(question)) return true;
  const first = others[0];
  const heading = first.closest("section")?.querySelector("h2") ?? first;
  first.scrollIntoView({ block: "start" });
  (edited.get(first) ?? first.querySelector("[aria-invalid='true'], input:not([type=hidden]), select, textarea")
    ?? heading).focus();
  return false;
}

for (const form of forms) {
  saved.set(form, snapshot(form));
  for (const type of ["input", "change"]) {
    form.addEventListener(type, (event) => {
      edited.set(form, event.target);
      mark(form);
    });
  }
  form.addEventListener("submit", (event) => {
    if (!confirmSave(form)) {
      event.preventDefault();
      return;
    }
    leaving = true;
  });
  mark(form);
}
// Buttons outside the tracked sections (Publish, Remove the recording…) also reload the page.
for (const other of document.querySelectorAll("form:not([data-section])")) {
  other.addEventListener("submit", (event) => {
    if (forms.some(isDirty) && !window.confirm(words.leave || "Leave this page? Your unsaved changes will be lost.")) {
      event.preventDefault();
      return;
    }
    leaving = true;
  });
}

window.addEventListener("beforeunload", (event) => {
  if (leaving || !forms.some(isDirty)) return;
  event.preventDefault();
  event.returnValue = ""; // older Chromium needs it set to show the question
});
window.addEventListener("pageshow", () => { leaving = false; });

// GOV.UK: the summary of a refused form takes the focus, so it is read first and its links lead on.
// After the load: the scroll to the form's #fragment would otherwise take the focus back to the page.
const summary = document.querySelector("[data-error-summary]");
if (summary) {
  const focusSummary = () => requestAnimationFrame(() => summary.focus());
  if (document.readyState === "complete") focusSummary();
  else window.addEventListener("load", focusSummary, { once: true });
}

// ---------------------------------------------------------------- home place follows the province

for (const provinceSelect of document.querySelectorAll("select[data-filters]")) {
  const placeSelect = document.getElementById(provinceSelect.dataset.filters);
  if (!placeSelect) continue;
  const pristine = [...placeSelect.children].map((node) => node.cloneNode(true));
  const filter = () => {
    const province = provinceSelect.value;
    const chosen = placeSelect.value;
    const fits = (option) => !province || option.value === "" || option.value === chosen
      || option.dataset.province === province;
    placeSelect.replaceChildren();
    for (const node of pristine) {
      if (node.tagName === "OPTGROUP") {
        const group = node.cloneNode(false);
        group.append(...[...node.children].filter(fits).map((o) => o.cloneNode(true)));
        if (group.children.length) placeSelect.append(group);
      } else if (fits(node)) {
        placeSelect.append(node.cloneNode(true));
      }
    }
    placeSelect.value = chosen; // the chosen place is always kept, even from another province
  };
  provinceSelect.addEventListener("change", filter);
  filter();
}
