/*
 * The transcript editor's conversation with the server: the draft autosaved two seconds after the last
 * change, "Save transcript" (apply), and what a refused save shows: the problems at the top, linked to the
 * fields they name, or the conflict with its two ways out. Posts are JSON with the CSRF token in the
 * X-CSRFToken header (Flask-WTF reads it there).
 */

import { markProblems, fieldId } from "./render.js";

const AUTOSAVE_DELAY = 2000;

async function send(url, body, csrf) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(body),
  });
  let data = {};
  try {
    data = await response.json();
  } catch (error) {
    data = {}; // an error page, not JSON: the status says enough
  }
  return { status: response.status, ok: response.ok, data };
}

// root: #transcript-editor (its data-*-url and data-csrf); data(): the passages and speakers to send.
export function createSaver({ root, msg, data, announce, list }) {
  const saveStatus = document.getElementById("te-save-status");
  const notices = document.getElementById("te-notices");
  const problemsBox = document.getElementById("te-problems");
  let version = "";
  let dirty = false;
  let timer = null;
  let inflight = null;
  let problems = [];

  const setStatus = (text) => {
    saveStatus.textContent = text;
  };
  const payload = () => ({ version, ...data() });
  const settled = () => {
    root.dataset.pending = "false";
  };

  function changed() {
    dirty = true;
    root.dataset.pending = "true"; // until a draft with this change is stored (tests wait on it too)
    window.clearTimeout(timer);
    timer = window.setTimeout(saveDraft, AUTOSAVE_DELAY);
  }

  async function saveDraft() {
    window.clearTimeout(timer);
    if (inflight) {
      await inflight;
    }
    if (!dirty) {
      return true;
    }
    dirty = false;
    setStatus(msg("draft_saving", "Saving draft…"));
    let result = null;
    inflight = send(root.dataset.draftUrl, payload(), root.dataset.csrf).catch((error) => ({ ok: false, status: 0, data: {}, error }));
    result = await inflight;
    inflight = null;
    if (!result.ok) {
      dirty = true;
      setStatus(msg("draft_failed", "The draft could not be saved ({reason}). Your changes are still on this page; it will try again.",
                    { reason: result.status || "offline" }));
      timer = window.setTimeout(saveDraft, AUTOSAVE_DELAY * 3);
      return false;
    }
    if (!dirty) {
      setStatus(msg("draft_saved", "Draft saved at {time}. Press “Save transcript” to apply it.",
                    { time: new Date().toLocaleTimeString(document.documentElement.lang || undefined) }));
      settled();
    }
    return true;
  }

  function showProblems(found) {
    problems = found;
    problemsBox.replaceChildren();
    if (!problems.length) {
      problemsBox.hidden = true;
      markProblems(list, []);
      return;
    }
    const heading = document.createElement("p");
    heading.className = "te-problems-heading";
    heading.textContent = msg("problems_heading", "The transcript was not saved. Correct these problems; your draft is kept:");
    const items = document.createElement("ul");
    for (const problem of problems) {
      const item = document.createElement("li");
      if (problem.passage) {
        const link = document.createElement("a");
        link.href = `#${fieldId(problem.passage - 1, problem.field || "text")}`;
        link.textContent = problem.message;
        link.addEventListener("click", (event) => {
          event.preventDefault();
          const target = document.getElementById(fieldId(problem.passage - 1, problem.field || "text"));
          if (target) {
            target.focus();
          }
        });
        item.append(link);
      } else {
        item.textContent = problem.message;
      }
      items.append(item);
    }
    problemsBox.append(heading, items);
    problemsBox.hidden = false;
    markProblems(list, problems);
    problemsBox.focus();
  }

  function notice(className, text, buttons) {
    const box = document.createElement("div");
    box.className = className;
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", text.slice(0, 60));
    const paragraph = document.createElement("p");
    paragraph.textContent = text;
    box.append(paragraph);
    for (const [label, handler] of buttons) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.addEventListener("click", handler);
      box.append(button, document.createTextNode(" "));
    }
    notices.append(box);
    return box;
  }

  async function discardAndReload() {
    window.clearTimeout(timer);
    dirty = false;
    await send(root.dataset.discardUrl, {}, root.dataset.csrf);
    window.location.reload();
  }

  function showConflict(text, currentVersion) {
    notices.replaceChildren();
    const box = notice("conflict te-conflict", text, [
      [msg("load_saved", "Load the saved transcript (discard my draft)"), discardAndReload],
      [msg("keep_mine", "Keep my draft and replace their version when I save"), () => {
        version = currentVersion;
        box.remove();
        changed();
        announce(msg("kept_mine", "Your draft will replace the saved transcript when you press “Save transcript”."));
      }],
    ]);
    box.setAttribute("tabindex", "-1");
    box.focus();
  }

  async function saveTranscript() {
    window.clearTimeout(timer);
    if (inflight) {
      await inflight;
    }
    setStatus(msg("saving", "Saving the transcript…"));
    const wasDirty = dirty;
    dirty = false;
    let result;
    try {
      result = await send(root.dataset.applyUrl, payload(), root.dataset.csrf);
    } catch (error) {
      result = { ok: false, status: 0, data: {} };
    }
    if (!dirty && [200, 400, 409].includes(result.status)) {
      settled(); // applied, or refused with the draft stored first
    }
    if (result.ok) {
      version = result.data.version;
      showProblems([]);
      notices.replaceChildren();
      setStatus(result.data.message || msg("saved", "Transcript saved."));
      announce(result.data.message || msg("saved", "Transcript saved."));
      return;
    }
    if (result.status === 409) {
      showProblems([]);
      setStatus(msg("save_failed", "The transcript was not saved ({reason}). Your draft is kept.",
                    { reason: msg("conflict_heading", "Not saved: the transcript changed") }));
      announce(result.data.conflict || "");
      showConflict(result.data.conflict || "", result.data.current_version);
      return;
    }
    if (result.status === 400 && Array.isArray(result.data.problems)) {
      setStatus(msg("problems_heading", "The transcript was not saved. Correct these problems; your draft is kept:"));
      announce(`${msg("problems_heading", "The transcript was not saved.")} ${result.data.problems.map((p) => p.message).join(" ")}`);
      showProblems(result.data.problems);
      return;
    }
    dirty = wasDirty;
    const text = msg("save_failed", "The transcript was not saved ({reason}). Your draft is kept.",
                     { reason: result.status || "offline" });
    setStatus(text);
    announce(text);
  }

  return {
    setVersion: (value) => {
      version = value;
    },
    changed, saveTranscript, discardAndReload, notice, setStatus,
    problems: () => problems,
    busy: () => dirty || inflight !== null,
  };
}
