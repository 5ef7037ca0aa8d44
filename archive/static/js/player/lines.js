/*
 * Transcript lines and chapter links that drive the player. Each readable line gets "Copy link" and "Copy
 * passage link" buttons;
 * where the recording can be heard, a line is one keyboard stop (Tab) that seeks and plays on click, Enter
 * or Space, ArrowUp/ArrowDown move between lines, and its time link and the chapter links seek in place
 * (opening them in a new tab keeps working).
 */

import { copyButton, copyLink, passageButton } from "./copylink.js";
import { startOf } from "./sync.js";

const isModified = (event) => event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0;

function decorate(lines, player, messages) {
  const hint = document.getElementById("line-hint");
  for (const line of lines) {
    if (line.classList.contains("withheld")) {
      continue;
    }
    line.appendChild(copyButton(line, messages));
    line.appendChild(passageButton(line, messages));
    if (player) {
      line.setAttribute("tabindex", "0");
      if (hint) {
        line.setAttribute("aria-describedby", "line-hint");
      }
      const link = line.querySelector("a.time");
      if (link) {
        // The line itself is the keyboard stop; the time link stays for mouse users and sharing.
        link.setAttribute("tabindex", "-1");
      }
    }
  }
  if (hint && player) {
    hint.hidden = false;
  }
}

function onClick(event, page) {
  const { list, player, sync } = page;
  const button = event.target.closest("button.copy-link, button.copy-passage");
  const line = event.target.closest("li.line");
  if (!line || !list.contains(line)) {
    return;
  }
  if (button) {
    copyLink(line, button, page);
    return;
  }
  if (event.target.closest("input.copy-fallback") || !player || line.classList.contains("withheld")) {
    return;
  }
  if (event.target.closest("a.time")) {
    if (isModified(event)) {
      return; // opening in a new tab keeps working
    }
    event.preventDefault();
  } else {
    const selection = window.getSelection ? window.getSelection().toString() : "";
    if (selection) {
      return; // the reader is selecting text to copy, not asking to seek
    }
  }
  sync.seekTo(startOf(line), true);
  line.focus({ preventScroll: true });
}

function onKeydown(event, { lines, sync }) {
  const line = event.target;
  if (!line.matches || !line.matches("li.line[tabindex]")) {
    return;
  }
  if (event.key === "Enter" || event.key === " " || event.key === "Spacebar") {
    event.preventDefault();
    sync.seekTo(startOf(line), true);
  } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    const focusable = lines.filter((candidate) => candidate.hasAttribute("tabindex"));
    const at = focusable.indexOf(line) + (event.key === "ArrowDown" ? 1 : -1);
    if (at >= 0 && at < focusable.length) {
      event.preventDefault();
      focusable[at].focus();
    }
  }
}

// page: {list, lines, player, sync, pageUrl, messages, speech} (see main.js); list is the transcript or null.
export function setupLines(page) {
  const { list, lines, player, messages } = page;
  if (!list) {
    return;
  }
  decorate(lines, player, messages);
  list.addEventListener("click", (event) => onClick(event, page));
  list.addEventListener("keydown", (event) => onKeydown(event, page));
}

export function setupChapterLinks({ chapters, player, sync }) {
  for (const link of chapters) {
    link.addEventListener("click", (event) => {
      if (!player || isModified(event)) {
        return;
      }
      event.preventDefault();
      sync.seekTo(startOf(link), true);
    });
  }
}
