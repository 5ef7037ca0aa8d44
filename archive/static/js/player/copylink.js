/*
 * "Copy link" and "Copy passage link" on a transcript line: put the page's address at that moment (?t=seconds,
 * playing on from there) or for that passage (?t=START,END, played by the clip player) on the clipboard,
 * or, where the clipboard cannot be used (e.g. plain http), offers the link selected in a field to copy by hand.
 */

import { clock, secondsParam } from "./timecode.js";
import { startOf } from "./sync.js";

// The button for a line: a visible "Copy link" and, for screen readers, " to 1:23".
export function copyButton(line, messages) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "copy-link";
  const label = document.createElement("span");
  label.className = "copy-label";
  messages.say(label, "copy_link", "Copy link");
  const context = document.createElement("span");
  context.className = "visually-hidden";
  messages.say(context, "copy_link_to", " to {time}", { time: clock(startOf(line)) });
  button.appendChild(label);
  button.appendChild(context);
  return button;
}

// The button copying the passage's link: a visible "Copy passage link" and, for screen readers, its times.
export function passageButton(line, messages) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "copy-passage";
  const label = document.createElement("span");
  label.className = "copy-label";
  messages.say(label, "copy_passage", "Copy passage link");
  const context = document.createElement("span");
  context.className = "visually-hidden";
  messages.say(context, "copy_passage_to", " for {start} to {end}",
               { start: clock(startOf(line)), end: clock(endOf(line)) });
  button.appendChild(label);
  button.appendChild(context);
  return button;
}

function endOf(line) {
  return parseFloat(line.getAttribute("data-end")) || startOf(line);
}

function offerByHand(line, button, url, { messages, speech }) {
  const existing = line.querySelector("input.copy-fallback");
  if (existing) {
    existing.remove();
  }
  const field = document.createElement("input");
  field.type = "text";
  field.readOnly = true;
  field.className = "copy-fallback";
  field.value = url;
  field.setAttribute("aria-label", messages.msg("copy_fallback_label", "Link to this moment; copy it with your keyboard or menu"));
  button.insertAdjacentElement("afterend", field);
  field.focus();
  field.select();
  field.addEventListener("blur", () => field.remove());
  speech.announceMsg("copy_unavailable", "Copying is not available here. The link is selected: copy it with your keyboard or menu.");
}

// page: {pageUrl, messages, speech} (see main.js).
// A passage link when the button is a "Copy passage link" one (?t=START,END), else a link from the line's start.
export function copyLink(line, button, page) {
  const { pageUrl, messages, speech } = page;
  const passage = button.classList.contains("copy-passage");
  const at = secondsParam(startOf(line)) + (passage ? "," + secondsParam(endOf(line)) : "");
  const url = new URL(pageUrl + "?t=" + at, window.location.href).href;
  const label = button.querySelector(".copy-label");
  const done = () => {
    if (label) {
      messages.say(label, "copied", "Copied");
      window.setTimeout(() => (passage ? messages.say(label, "copy_passage", "Copy passage link")
        : messages.say(label, "copy_link", "Copy link")), 2000);
    }
    speech.announceMsg("link_copied", "Link copied.");
  };
  const fallback = () => offerByHand(line, button, url, page);
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(url).then(done, fallback);
  } else {
    fallback();
  }
}
