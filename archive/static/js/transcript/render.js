/*
 * Drawing the transcript editor: the list of passages (one fieldset each) and the timeline beside the
 * recording (the passages as blocks over the waveform, the playhead as a line). The timeline is for the
 * mouse (aria-hidden); everything it does is also in the list and the toolbar.
 */

import { envelope } from "../timeline.js";
import { preciseClock } from "./model.js";

function element(tag, attributes, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== null && value !== undefined && value !== false) {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

export const fieldId = (index, field) => `te-p-${index}-${field}`;

function labelled(index, field, text) {
  return element("label", { for: fieldId(index, field) }, text);
}

// One passage as a fieldset: times, speaker, restricted flag, play button and text.
function passageItem(p, index, speakers, msg) {
  const number = index + 1;
  const item = element("li", { class: "te-passage", id: `te-p-${index}`, "data-index": index });
  item.classList.toggle("te-restricted", p.restricted);
  const set = element("fieldset");
  const legend = element("legend");
  legend.append(element("span", { class: "te-number" }, msg("passage", "Passage {n}", { n: number })),
                element("span", { class: "te-range" }, ` ${preciseClock(p.start)}–${preciseClock(p.end)}`));
  if (p.restricted) {
    legend.append(element("span", { class: "badge te-badge" }, msg("restricted_badge", "restricted: never shown to the public")));
  }
  set.append(legend);

  const row = element("div", { class: "te-row" });
  for (const field of ["start", "end"]) {
    const wrap = element("span", { class: "te-field" });
    wrap.append(labelled(index, field, msg(field, field === "start" ? "Start" : "End")),
                element("input", { id: fieldId(index, field), class: "te-time", type: "text", inputmode: "decimal",
                                   autocomplete: "off", size: 9, value: preciseClock(p[field]), "data-field": field,
                                   "aria-keyshortcuts": "ArrowUp ArrowDown Shift+ArrowUp Shift+ArrowDown" }));
    row.append(wrap);
  }
  const speakerWrap = element("span", { class: "te-field" });
  const select = element("select", { id: fieldId(index, "speaker"), "data-field": "speaker" });
  const names = speakers.includes(p.speaker) || !p.speaker ? speakers : [...speakers, p.speaker];
  select.append(element("option", { value: "" }, msg("no_speaker", "(no speaker)")));
  for (const name of names) {
    const option = element("option", { value: name }, name);
    option.selected = name === p.speaker;
    select.append(option);
  }
  speakerWrap.append(labelled(index, "speaker", msg("speaker", "Speaker")), select);
  row.append(speakerWrap);

  const flagWrap = element("span", { class: "te-field te-flag" });
  const box = element("input", { id: fieldId(index, "restricted"), type: "checkbox", "data-field": "restricted",
                                 "aria-keyshortcuts": "Alt+R" });
  box.checked = p.restricted;
  flagWrap.append(box, labelled(index, "restricted", msg("restricted", "Restricted")));
  row.append(flagWrap);

  const play = element("button", { type: "button", class: "te-play", "data-action": "play-passage",
                                   "aria-keyshortcuts": "Alt+P" });
  play.append(document.createTextNode(msg("play", "Play from its start")),
              element("span", { class: "visually-hidden" }, ` (${msg("passage", "Passage {n}", { n: number })})`));
  row.append(play);
  set.append(row);

  const text = element("textarea", { id: fieldId(index, "text"), "data-field": "text", rows: 2,
                                     lang: p.language || null });
  text.value = p.text;
  set.append(labelled(index, "text", msg("text", "Text")), text);
  item.append(set);
  return item;
}

export function renderList(list, state, msg, problems) {
  const items = state.passages.map((p, index) => passageItem(p, index, state.speakers, msg));
  if (!items.length) {
    items.push(element("li", { class: "te-empty" }, msg("empty", "No passages yet. Add one at the playhead to begin.")));
  }
  list.replaceChildren(...items);
  markProblems(list, problems);
}

// Marks the fields a refused save named (aria-invalid) and links them to their message.
export function markProblems(list, problems) {
  for (const field of list.querySelectorAll("[aria-invalid]")) {
    field.removeAttribute("aria-invalid");
    field.removeAttribute("aria-describedby");
  }
  for (const note of list.querySelectorAll(".te-error")) {
    note.remove();
  }
  (problems || []).forEach((problem, position) => {
    if (!problem.passage) {
      return;
    }
    const target = list.querySelector(`#${fieldId(problem.passage - 1, problem.field || "text")}`);
    if (!target) {
      return;
    }
    const id = `te-error-${position}`;
    target.setAttribute("aria-invalid", "true");
    target.setAttribute("aria-describedby", [target.getAttribute("aria-describedby"), id].filter(Boolean).join(" "));
    const note = element("p", { class: "te-error", id }, problem.message);
    target.closest("fieldset").append(note);
  });
}

export function renderSpeakers(list, speakers) {
  list.replaceChildren(...speakers.map((name) => element("li", {}, name)));
}

// Updates one passage's legend (its times) without redrawing its fields.
export function renderRange(list, state, index) {
  const p = state.passages[index];
  const range = list.querySelector(`#te-p-${index} .te-range`);
  if (p && range) {
    range.textContent = ` ${preciseClock(p.start)}–${preciseClock(p.end)}`;
  }
}

function percent(value) {
  return `${Math.min(100, Math.max(0, value * 100)).toFixed(3)}%`;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function renderTimeline(track, state, duration, current, wave) {
  track.replaceChildren();
  if (!(duration > 0)) {
    return;
  }
  if (wave) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("class", "te-wave");
    svg.setAttribute("viewBox", `0 0 ${duration} 2`);
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", envelope(wave.peaks, wave.seconds_per_peak, duration, []));
    svg.append(path);
    track.append(svg);
  }
  state.passages.forEach((p, index) => {
    const block = element("span", { class: "te-block", "data-index": index });
    block.classList.toggle("te-block-restricted", p.restricted);
    block.classList.toggle("te-block-current", index === current);
    block.style.left = percent(p.start / duration);
    block.style.width = percent(Math.max(0, p.end - p.start) / duration);
    block.textContent = String(index + 1);
    track.append(block);
  });
  track.append(element("span", { class: "te-head" }));
}

export function moveHead(track, time, duration) {
  const head = track.querySelector(".te-head");
  if (head && duration > 0) {
    head.style.left = percent(time / duration);
  }
}
