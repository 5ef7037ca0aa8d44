/*
 * The transcript editor (templates/curation/transcript_editor.html): passages edited beside the recording.
 *
 * Loads the editor's state (this curator's draft, or the saved transcript) as JSON, keeps every edit in
 * the model (model.js, with undo and redo), autosaves the whole transcript as a draft two seconds after
 * the last change, and "Save transcript" asks the server to apply the draft (409: someone changed the
 * transcript since; 400: problems naming passage and field). Every action has a button and a shortcut,
 * and says what it did in the polite live region (#te-announcer).
 */

import { readMessages } from "../player/messages.js";
import { createModel, preciseClock, readTime, STEP } from "./model.js";
import { fieldId, markProblems, moveHead, renderList, renderRange, renderSpeakers, renderTimeline } from "./render.js";

const AUTOSAVE_DELAY = 2000;

const root = document.getElementById("transcript-editor");
const messages = readMessages(root, document.documentElement.lang);
const msg = messages.msg;
const list = document.getElementById("te-list");
const audio = document.getElementById("te-audio");
const track = document.querySelector("#te-timeline .te-track");
const playheadField = document.getElementById("te-playhead");
const saveStatus = document.getElementById("te-save-status");
const notices = document.getElementById("te-notices");
const problemsBox = document.getElementById("te-problems");
const findField = document.getElementById("te-find");
const replaceField = document.getElementById("te-replace");
const findCount = document.getElementById("te-find-count");
const announcer = document.getElementById("te-announcer");

let model = null;
let version = "";
let current = 0;
let virtualTime = 0; // the playhead without a recording
let wave = null;
let problems = [];
let dirty = false;
let timer = null;
let inflight = null;
let caret = { index: -1, position: null };

function announce(text) {
  announcer.textContent = "";
  window.setTimeout(() => {
    announcer.textContent = text;
  }, 60);
}

function say(key, english, values) {
  const text = msg(key, english, values);
  announce(text);
  return text;
}

function playhead() {
  return audio ? audio.currentTime || 0 : virtualTime;
}

// The playhead as a passage time: to the hundredth of a second, like a curator would type it.
function playheadTime() {
  return Math.round(playhead() * 100) / 100;
}

function duration() {
  const passages = model ? model.state.passages : [];
  const last = passages.reduce((end, p) => Math.max(end, p.end || 0), 0);
  if (audio && isFinite(audio.duration) && audio.duration > 0) {
    return Math.max(audio.duration, last);
  }
  return Math.max(parseFloat(root.dataset.duration) || 0, last);
}

async function send(url, body) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": root.dataset.csrf },
    body: JSON.stringify(body),
  });
  let data = {};
  try {
    data = await response.json();
  } catch (error) {
    data = {};
  }
  return { status: response.status, ok: response.ok, data };
}

function payload() {
  return { version, ...model.data() };
}

// ---------------------------------------------------------------- drawing

function drawTimeline() {
  renderTimeline(track, model.state, duration(), current, wave);
  moveHead(track, playhead(), duration());
}

function markCurrent(index) {
  current = Math.max(0, Math.min(index, model.state.passages.length - 1));
  for (const item of list.querySelectorAll(".te-passage")) {
    const mine = Number(item.dataset.index) === current;
    item.classList.toggle("te-current", mine);
    if (mine) {
      item.setAttribute("aria-current", "true");
    } else {
      item.removeAttribute("aria-current");
    }
  }
  for (const block of track.querySelectorAll(".te-block")) {
    block.classList.toggle("te-block-current", Number(block.dataset.index) === current);
  }
}

// Redraws everything; focus goes back to the same field of passage `focusIndex` when it was in the list.
function redraw(focusIndex, focusField) {
  const active = document.activeElement;
  const inList = active && list.contains(active);
  const field = focusField || (inList ? active.dataset.field : null);
  renderList(list, model.state, msg, problems);
  renderSpeakers(document.getElementById("te-speakers"), model.state.speakers);
  document.getElementById("te-count").textContent = `(${model.state.passages.length})`;
  const index = focusIndex === undefined ? current : focusIndex;
  markCurrent(index);
  drawTimeline();
  if ((inList || focusField) && model.state.passages.length) {
    const target = document.getElementById(fieldId(current, field || "text"));
    if (target) {
      target.focus();
    }
  }
  updateCount();
}

function setStatus(text) {
  saveStatus.textContent = text;
}

// ---------------------------------------------------------------- autosave and save

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
  inflight = send(root.dataset.draftUrl, payload()).catch((error) => ({ ok: false, status: 0, data: {}, error }));
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
    root.dataset.pending = "false";
  }
  return true;
}

function showProblems(list_) {
  problems = list_;
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
  await send(root.dataset.discardUrl, {});
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
      say("kept_mine", "Your draft will replace the saved transcript when you press “Save transcript”.");
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
    result = await send(root.dataset.applyUrl, payload());
  } catch (error) {
    result = { ok: false, status: 0, data: {} };
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

// ---------------------------------------------------------------- actions

function label(key, english, values) {
  return msg(key, english, values);
}

function seek(time) {
  const value = Math.max(0, Math.min(time, duration() || time));
  if (audio) {
    audio.currentTime = value;
  } else {
    virtualTime = value;
  }
  showPlayhead();
}

function showPlayhead() {
  if (document.activeElement !== playheadField) {
    playheadField.value = preciseClock(playheadTime());
  }
  moveHead(track, playhead(), duration());
  const inside = model ? model.at(playhead(), current) : -1;
  for (const item of list.querySelectorAll(".te-passage")) {
    item.classList.toggle("te-playing", Number(item.dataset.index) === inside);
  }
}

function caretFor(index) {
  const text = document.getElementById(fieldId(index, "text"));
  if (text && document.activeElement === text) {
    return text.selectionStart;
  }
  return caret.index === index ? caret.position : null;
}

const actions = {
  play() {
    if (!audio) {
      return;
    }
    if (audio.paused) {
      audio.play().catch(() => {});
    } else {
      audio.pause();
    }
  },
  "play-passage"(index) {
    const p = model.state.passages[index];
    if (!p) {
      return;
    }
    markCurrent(index);
    seek(p.start);
    if (audio) {
      audio.play().catch(() => {});
    }
  },
  split() {
    const time = playheadTime();
    const index = model.at(time, current);
    const n = index + 1;
    if (index < 0) {
      say("split_outside", "The playhead ({time}) is not inside a passage: move it into the passage to split.",
          { time: preciseClock(time) });
      return;
    }
    const done = model.split(index, time, caretFor(index), label("act_split", "split passage {n}", { n }));
    if (done === false) {
      say("split_edge", "The playhead ({time}) is too close to the edge of passage {n} to split it there.",
          { time: preciseClock(time), n });
      return;
    }
    redraw(index + 1);
    say("split_done", "Passage {n} split at {time}: passages {n} and {next}.", { n, next: n + 1, time: preciseClock(time) });
  },
  merge() {
    const n = current + 1;
    if (model.merge(current, label("act_merge", "merge passages {n} and {next}", { n, next: n + 1 })) === false) {
      say("merge_last", "Passage {n} is the last one: there is no next passage to merge it with.", { n });
      return;
    }
    redraw(current);
    say("merge_done", "Passages {n} and {next} merged into passage {n}.", { n, next: n + 1 });
  },
  "set-start"() {
    timeFromPlayhead("start");
  },
  "set-end"() {
    timeFromPlayhead("end");
  },
  restrict() {
    const p = model.state.passages[current];
    if (!p) {
      return;
    }
    model.set(current, "restricted", !p.restricted, label("act_restrict", "restriction of passage {n}", { n: current + 1 }));
    redraw(current);
    say(p.restricted ? "restricted_on" : "restricted_off", p.restricted
      ? "Passage {n} is restricted: it will never be shown to the public." : "Passage {n} is no longer restricted.",
    { n: current + 1 });
  },
  add() {
    const time = playheadTime();
    const index = model.add(time, (n) => label("act_add", "add passage {n}", { n }));
    redraw(index, "text");
    say("added", "Passage {n} added at {time}.", { n: index + 1, time: preciseClock(model.state.passages[index].start) });
  },
  remove() {
    const n = current + 1;
    if (model.remove(current, label("act_remove", "remove passage {n}", { n })) === false) {
      return;
    }
    redraw(Math.min(current, model.state.passages.length - 1));
    say("removed", "Passage {n} removed.", { n });
  },
  undo() {
    const done = model.undo();
    if (done === null) {
      say("nothing_undo", "Nothing to undo.");
      return;
    }
    redraw(current);
    say("undone", "Undone: {action}.", { action: done });
  },
  redo() {
    const done = model.redo();
    if (done === null) {
      say("nothing_redo", "Nothing to redo.");
      return;
    }
    redraw(current);
    say("redone", "Redone: {action}.", { action: done });
  },
  save() {
    saveTranscript();
  },
  "replace-all"() {
    const found = model.replaceAll(findField.value, replaceField.value, label("act_replace", "replace all"));
    if (found.count) {
      redraw(current);
    }
    const text = found.count
      ? msg("replaced", "Occurrences replaced: {count}. Passages changed: {passages}.", found)
      : msg("no_matches", "No matches");
    findCount.textContent = text;
  },
  "add-speaker"() {
    const field = document.getElementById("te-new-speaker");
    const name = field.value.trim();
    if (!name) {
      field.focus();
      return;
    }
    if (model.addSpeaker(name, label("speaker_added", "Speaker {speaker} added to the list.", { speaker: name })) === false) {
      say("speaker_exists", "{speaker} is already in the list.", { speaker: name });
      return;
    }
    field.value = "";
    redraw(current);
    say("speaker_added", "Speaker {speaker} added to the list.", { speaker: name });
  },
};

function timeFromPlayhead(field) {
  const n = current + 1;
  const time = playheadTime();
  const key = field === "start" ? "act_start" : "act_end";
  model.setTime(current, field, time, label(key, field === "start" ? "start of passage {n}" : "end of passage {n}", { n }));
  redraw(current);
  const p = model.state.passages[current];
  if (p) {
    say(field === "start" ? "start_set" : "end_set", field === "start" ? "Passage {n} now starts at {time}." : "Passage {n} now ends at {time}.",
        { n, time: preciseClock(p[field]) });
  }
}

function updateCount() {
  if (!findField.value) {
    findCount.textContent = "";
    return;
  }
  const found = model.count(findField.value);
  findCount.textContent = found.count ? msg("matches", "Matches: {count}", found) : msg("no_matches", "No matches");
}

// ---------------------------------------------------------------- events

function indexOf(node) {
  const item = node && node.closest ? node.closest(".te-passage") : null;
  return item ? Number(item.dataset.index) : -1;
}

function commitTime(field) {
  const index = indexOf(field);
  const name = field.dataset.field;
  const value = readTime(field.value);
  const p = model.state.passages[index];
  if (!p) {
    return;
  }
  if (value === null) {
    say("bad_time", "Passage {n} {field}: enter a time such as 1:23.4 or 83.4 seconds.",
        { n: index + 1, field: msg(name, name) });
    field.value = preciseClock(p[name]);
    return;
  }
  if (model.setTime(index, name, value, label(name === "start" ? "act_start" : "act_end", name, { n: index + 1 })) !== false) {
    field.value = preciseClock(model.state.passages[index][name]);
    renderRange(list, model.state, index);
    drawTimeline();
    say(name === "start" ? "start_set" : "end_set", name === "start" ? "Passage {n} now starts at {time}." : "Passage {n} now ends at {time}.",
        { n: index + 1, time: preciseClock(value) });
  }
}

function wire() {
  root.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button || !actions[button.dataset.action]) {
      return;
    }
    event.preventDefault();
    actions[button.dataset.action](indexOf(button));
  });

  list.addEventListener("focusin", (event) => {
    const index = indexOf(event.target);
    if (index >= 0 && index !== current) {
      model.endTyping();
      markCurrent(index);
    }
  });
  list.addEventListener("input", (event) => {
    const field = event.target;
    if (field.dataset.field === "text") {
      const index = indexOf(field);
      model.type(index, "text", field.value, label("act_text", "text of passage {n}", { n: index + 1 }));
      updateCount();
    }
  });
  const rememberCaret = (event) => {
    if (event.target.dataset && event.target.dataset.field === "text") {
      caret = { index: indexOf(event.target), position: event.target.selectionStart };
    }
  };
  for (const name of ["keyup", "click", "select", "focusout"]) {
    list.addEventListener(name, rememberCaret);
  }
  list.addEventListener("change", (event) => {
    const field = event.target;
    const index = indexOf(field);
    const name = field.dataset.field;
    if (name === "start" || name === "end") {
      commitTime(field);
    } else if (name === "speaker") {
      if (model.set(index, "speaker", field.value, label("act_speaker", "speaker of passage {n}", { n: index + 1 })) !== false) {
        say("speaker_set", "Passage {n}: speaker {speaker}.", { n: index + 1, speaker: field.value || msg("no_speaker", "(no speaker)") });
      }
    } else if (name === "restricted") {
      markCurrent(index);
      actions.restrict();
    } else if (name === "text") {
      model.endTyping();
    }
  });

  list.addEventListener("keydown", (event) => {
    const field = event.target;
    const name = field.dataset ? field.dataset.field : "";
    if ((name === "start" || name === "end") && (event.key === "ArrowUp" || event.key === "ArrowDown") && !event.ctrlKey) {
      event.preventDefault();
      const index = indexOf(field);
      const delta = (event.key === "ArrowUp" ? 1 : -1) * (event.shiftKey ? 1 : STEP);
      if (model.nudge(index, name, delta, label(name === "start" ? "act_start" : "act_end", name, { n: index + 1 })) !== false) {
        const value = model.state.passages[index][name];
        field.value = preciseClock(value);
        renderRange(list, model.state, index);
        drawTimeline();
        say(name === "start" ? "start_set" : "end_set", name === "start" ? "Passage {n} now starts at {time}." : "Passage {n} now ends at {time}.",
            { n: index + 1, time: preciseClock(value) });
      }
    } else if ((name === "start" || name === "end") && event.key === "Enter") {
      event.preventDefault();
      commitTime(field);
    }
  });

  document.addEventListener("keydown", (event) => {
    const ctrl = event.ctrlKey || event.metaKey;
    let action = null;
    if (ctrl && !event.altKey) {
      if (event.code === "KeyZ") {
        action = event.shiftKey ? "redo" : "undo";
      } else if (event.code === "KeyY") {
        action = "redo";
      } else if (event.code === "KeyS") {
        action = "save";
      }
    } else if (event.altKey && !ctrl) {
      action = { KeyK: "play", KeyP: "play-passage", Enter: "split", NumpadEnter: "split", KeyM: "merge",
                 BracketLeft: "set-start", BracketRight: "set-end", KeyR: "restrict", KeyN: "add" }[event.code] || null;
    }
    if (!action) {
      return;
    }
    event.preventDefault();
    const active = document.activeElement;
    if (active && active.dataset && active.dataset.field === "text" && (action === "undo" || action === "redo")) {
      model.endTyping();
    }
    if (active && active.classList && active.classList.contains("te-time") && action !== "undo" && action !== "redo") {
      commitTime(active); // a typed time counts before the shortcut acts
    }
    actions[action](current);
  });

  playheadField.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      const time = readTime(playheadField.value);
      if (time !== null) {
        seek(time);
        say("seeked", "Playhead at {time}.", { time: preciseClock(time) });
      }
    }
  });
  playheadField.addEventListener("blur", () => {
    playheadField.value = preciseClock(playheadTime());
  });
  findField.addEventListener("input", updateCount);
  document.getElementById("te-new-speaker").addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      actions["add-speaker"]();
    }
  });

  track.addEventListener("click", (event) => {
    const rect = track.getBoundingClientRect();
    if (rect.width > 0 && duration() > 0) {
      const time = Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width)) * duration();
      seek(time);
      const index = model.at(time, current);
      if (index >= 0) {
        markCurrent(index);
      }
    }
  });
  if (audio) {
    for (const name of ["timeupdate", "seeked", "loadedmetadata", "pause"]) {
      audio.addEventListener(name, showPlayhead);
    }
    audio.addEventListener("loadedmetadata", drawTimeline);
  }
  window.addEventListener("beforeunload", (event) => {
    if (dirty || inflight) {
      event.preventDefault();
      event.returnValue = msg("unsaved_leave", "Your latest changes are not saved yet.");
    }
  });
}

async function loadWave() {
  if (!root.dataset.waveformUrl) {
    return;
  }
  try {
    const response = await fetch(root.dataset.waveformUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const data = response.ok ? await response.json() : null;
    if (data && data.ready && Array.isArray(data.peaks) && data.peaks.length) {
      wave = data;
      drawTimeline();
    }
  } catch (error) {
    wave = null; // no waveform: the passages still show on the timeline
  }
}

async function start() {
  let initial = null;
  try {
    const response = await fetch(root.dataset.stateUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
    initial = response.ok ? await response.json() : null;
  } catch (error) {
    initial = null;
  }
  if (!initial) {
    setStatus(msg("load_failed", "The transcript could not be loaded. Reload the page to try again."));
    return;
  }
  version = initial.version;
  model = createModel(initial);
  model.onChange(changed);
  wire();
  redraw(0);
  if (initial.draft) {
    const when = new Date(initial.draft.saved_at).toLocaleString(document.documentElement.lang || undefined);
    const text = msg("draft_restored", "Your unsaved draft from {time} was restored.", { time: when })
      + (initial.draft.stale ? ` ${msg("draft_stale", "The saved transcript has changed since you started this draft.")}` : "");
    notice("te-draft-notice", text, [[msg("load_saved", "Load the saved transcript (discard my draft)"), discardAndReload]]);
    setStatus(text);
  } else {
    setStatus(msg("no_changes", "No unsaved changes."));
  }
  root.dataset.ready = "true";
  loadWave();
}

start();
