/*
 * The transcript editor's model: the passages and speakers, the edits made on them and their history.
 *
 * No DOM here. Every edit goes through `change(label, mutate)`, which keeps a snapshot for undo; typing
 * in one field is one step until the curator moves to another field or does something else.
 */

import { clock } from "../player/timecode.js";

export const STEP = 0.1; // seconds per arrow press; Shift makes it 1 s
const SHORTEST = 0.1; // the shortest passage a split or a nudge leaves

export const round = (value) => Math.round(value * 1000) / 1000;

// A moment with its fraction of a second: 0:04, 0:04.5, 1:02:03.25.
export function preciseClock(seconds) {
  const value = Math.max(0, round(seconds || 0));
  const whole = Math.floor(value);
  const thousandths = Math.round((value - whole) * 1000);
  const fraction = thousandths ? `.${String(thousandths).padStart(3, "0").replace(/0+$/, "")}` : "";
  return clock(whole) + fraction;
}

// Seconds from "83", "83.4", "1:23.4" or "1:02:03", or null.
export function readTime(raw) {
  const text = String(raw || "").trim().replace(",", ".");
  if (!text) {
    return null;
  }
  let value = 0;
  const parts = text.split(":");
  for (const [index, part] of parts.entries()) {
    const decimal = index === parts.length - 1 ? /^\d+(\.\d+)?$/ : /^\d+$/;
    if (!decimal.test(part)) {
      return null;
    }
    value = value * 60 + parseFloat(part);
  }
  return isFinite(value) ? round(value) : null;
}

function copy(value) {
  return JSON.parse(JSON.stringify(value));
}

function blank(start, end, speaker) {
  return { start: round(start), end: round(end), speaker: speaker || "", text: "", language: "", restricted: false };
}

// Where to cut a passage's text: at the caret when it is inside, else at the word nearest the share of time.
export function cutAt(text, caret, share) {
  if (Number.isInteger(caret) && caret > 0 && caret < text.length) {
    return caret;
  }
  const target = Math.round(text.length * Math.min(1, Math.max(0, share)));
  let best = -1;
  for (let i = 0; i < text.length; i += 1) {
    if (/\s/.test(text[i]) && (best < 0 || Math.abs(i - target) < Math.abs(best - target))) {
      best = i;
    }
  }
  return best < 0 ? target : best;
}

export function createModel(initial) {
  const state = { passages: copy(initial.passages || []), speakers: copy(initial.speakers || []) };
  const undoStack = [];
  const redoStack = [];
  let typing = null; // the field being typed into, while its typing is one undo step
  const listeners = [];

  function snapshot(label) {
    return { label, passages: copy(state.passages), speakers: copy(state.speakers) };
  }

  function notify() {
    for (const listener of listeners) {
      listener();
    }
  }

  // Applies mutate() as one undoable step named label.
  function change(label, mutate) {
    const before = snapshot(label);
    const result = mutate();
    if (result === false) {
      return false;
    }
    undoStack.push(before);
    redoStack.length = 0;
    typing = null;
    notify();
    return result === undefined ? true : result;
  }

  // Typing in one field: the first keystroke opens a step, the next ones join it.
  function type(index, field, value, label) {
    const key = `${index}:${field}`;
    if (typing !== key) {
      undoStack.push(snapshot(label));
      redoStack.length = 0;
      typing = key;
    }
    state.passages[index][field] = value;
    notify();
  }

  function endTyping() {
    typing = null;
  }

  function travel(from, to) {
    if (!from.length) {
      return null;
    }
    const step = from.pop();
    to.push(snapshot(step.label));
    state.passages = step.passages;
    state.speakers = step.speakers;
    typing = null;
    notify();
    return step.label;
  }

  const undo = () => travel(undoStack, redoStack);
  const redo = () => travel(redoStack, undoStack);

  // The passage (index) that contains a moment, preferring `hint` when it does.
  function at(time, hint) {
    const inside = (p) => p && time >= p.start && time < p.end;
    if (inside(state.passages[hint])) {
      return hint;
    }
    return state.passages.findIndex(inside);
  }

  // Splits the passage at `time`; the text is cut at `caret` (or at the nearest word). Returns the index.
  function split(index, time, caret, label) {
    const p = state.passages[index];
    if (!p || time - p.start < SHORTEST || p.end - time < SHORTEST) {
      return false;
    }
    return change(label, () => {
      const cut = cutAt(p.text, caret, (time - p.start) / (p.end - p.start));
      const second = { ...copy(p), start: round(time), text: p.text.slice(cut).trim() };
      p.text = p.text.slice(0, cut).trim();
      p.end = round(time);
      state.passages.splice(index + 1, 0, second);
      return index;
    });
  }

  function merge(index, label) {
    const p = state.passages[index];
    const next = state.passages[index + 1];
    if (!p || !next) {
      return false;
    }
    return change(label, () => {
      p.end = Math.max(p.end, next.end);
      p.text = [p.text.trim(), next.text.trim()].filter(Boolean).join(" ");
      p.restricted = p.restricted || next.restricted; // merging never makes a withheld passage public
      p.speaker = p.speaker || next.speaker;
      state.passages.splice(index + 1, 1);
    });
  }

  function setTime(index, field, value, label) {
    const p = state.passages[index];
    if (!p || value === null || value < 0 || round(value) === p[field]) {
      return false;
    }
    return change(label, () => {
      p[field] = round(value);
    });
  }

  function nudge(index, field, delta, label) {
    const p = state.passages[index];
    if (!p) {
      return false;
    }
    return setTime(index, field, Math.max(0, p[field] + delta), label);
  }

  function set(index, field, value, label) {
    const p = state.passages[index];
    if (!p || p[field] === value) {
      return false;
    }
    return change(label, () => {
      p[field] = value;
    });
  }

  // Adds an empty passage at `time` (after one that is still running then); label(number) names the step.
  function add(time, label) {
    let index = state.passages.findIndex((p) => p.start > time);
    index = index < 0 ? state.passages.length : index;
    label = typeof label === "function" ? label(index + 1) : label;
    const previous = state.passages[index - 1];
    const next = state.passages[index];
    const start = previous && previous.end > time ? previous.end : time;
    const end = next ? Math.min(next.start, start + 5) : start + 5;
    return change(label, () => {
      state.passages.splice(index, 0, blank(start, end > start ? end : start + 1, previous ? previous.speaker : ""));
      return index;
    });
  }

  function remove(index, label) {
    if (!state.passages[index]) {
      return false;
    }
    return change(label, () => {
      state.passages.splice(index, 1);
    });
  }

  function addSpeaker(name, label) {
    const clean = name.trim();
    if (!clean || state.speakers.includes(clean)) {
      return false;
    }
    return change(label, () => {
      state.speakers.push(clean);
    });
  }

  function count(needle) {
    if (!needle) {
      return { count: 0, passages: 0 };
    }
    let total = 0;
    let passages = 0;
    for (const p of state.passages) {
      const found = p.text.split(needle).length - 1;
      total += found;
      passages += found ? 1 : 0;
    }
    return { count: total, passages };
  }

  function replaceAll(needle, replacement, label) {
    const found = count(needle);
    if (!found.count) {
      return found;
    }
    change(label, () => {
      for (const p of state.passages) {
        p.text = p.text.split(needle).join(replacement);
      }
    });
    return found;
  }

  return {
    state, change, type, endTyping, undo, redo, at, split, merge, setTime, nudge, set, add, remove, addSpeaker,
    count, replaceAll,
    onChange: (listener) => listeners.push(listener),
    canUndo: () => undoStack.length > 0,
    canRedo: () => redoStack.length > 0,
    data: () => copy(state),
  };
}
