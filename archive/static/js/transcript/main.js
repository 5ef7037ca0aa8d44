/*
 * The transcript editor (templates/curation/transcript_editor.html): passages edited beside the recording.
 *
 * Loads the editor's state (this curator's draft, or the saved transcript) as JSON, keeps every edit in
 * the model (model.js, with undo and redo), draws it (render.js) and leaves the draft's autosave and
 * "Save transcript" to saving.js. Every action has a button and a shortcut, and says what it did in the
 * polite live region (#te-announcer).
 */

import { readMessages } from "../player/messages.js";
import { createModel, preciseClock, readTime, STEP } from "./model.js";
import { fieldId, moveHead, renderList, renderRange, renderSpeakers, renderTimeline } from "./render.js";
import { createSaver } from "./saving.js";

const root = document.getElementById("transcript-editor");
const messages = readMessages(root, document.documentElement.lang);
const msg = messages.msg;
const list = document.getElementById("te-list");
const audio = document.getElementById("te-audio");
const track = document.querySelector("#te-timeline .te-track");
const playheadField = document.getElementById("te-playhead");
const findField = document.getElementById("te-find");
const replaceField = document.getElementById("te-replace");
const findCount = document.getElementById("te-find-count");
const announcer = document.getElementById("te-announcer");

let model = null;
let saver = null;
let current = 0;
let virtualTime = 0; // the playhead without a recording
let wave = null;
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
  renderList(list, model.state, msg, saver.problems());
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
    saver.saveTranscript();
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
    if (saver && saver.busy()) {
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
    document.getElementById("te-save-status").textContent = msg("load_failed", "The transcript could not be loaded. Reload the page to try again.");
    return;
  }
  model = createModel(initial);
  saver = createSaver({ root, msg, data: () => model.data(), announce, list });
  saver.setVersion(initial.version);
  model.onChange(saver.changed);
  wire();
  redraw(0);
  if (initial.draft) {
    const when = new Date(initial.draft.saved_at).toLocaleString(document.documentElement.lang || undefined);
    const text = msg("draft_restored", "Your unsaved draft from {time} was restored.", { time: when })
      + (initial.draft.stale ? ` ${msg("draft_stale", "The saved transcript has changed since you started this draft.")}` : "");
    saver.notice("te-draft-notice", text, [[msg("load_saved", "Load the saved transcript (discard my draft)"),
                                             saver.discardAndReload]]);
    saver.setStatus(text);
  } else {
    saver.setStatus(msg("no_changes", "No unsaved changes."));
  }
  root.dataset.ready = "true";
  loadWave();
}

start();
