/*
 * Finding words in the transcript (#transcript-search): matches are marked as the reader types (case- and
 * Unicode-normalisation-insensitive, withheld passages never searched), Enter and Shift+Enter (or Previous)
 * go to the next and previous match, seeking the player there, and Escape clears. The count is spoken once
 * the reader pauses typing, not at every keystroke.
 */

import { clock } from "./timecode.js";
import { startOf } from "./sync.js";

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// Marks every match of pattern in span (its text taken as NFC); returns the new <mark> elements.
function markMatches(span, pattern) {
  const text = span.textContent.normalize("NFC");
  const marks = [];
  const fragment = document.createDocumentFragment();
  let last = 0;
  let found;
  pattern.lastIndex = 0;
  while ((found = pattern.exec(text)) !== null) {
    if (found[0] === "") {
      pattern.lastIndex += 1;
      continue;
    }
    fragment.appendChild(document.createTextNode(text.slice(last, found.index)));
    const mark = document.createElement("mark");
    mark.textContent = found[0];
    fragment.appendChild(mark);
    marks.push(mark);
    last = found.index + found[0].length;
  }
  fragment.appendChild(document.createTextNode(text.slice(last)));
  span.textContent = "";
  span.appendChild(fragment);
  return marks;
}

// page: {lines, player, sync, keepInView, messages, speech} (see main.js).
export function setupSearch(page) {
  const form = document.getElementById("transcript-search");
  const input = document.getElementById("transcript-query");
  const countOut = document.getElementById("search-count");
  if (!form || !input || !countOut) {
    return;
  }
  const { lines, player, sync, keepInView, messages, speech } = page;
  let matches = [];
  let matchAt = -1;
  let searched = null;
  const originals = new Map();

  function clearMarks() {
    originals.forEach((text, span) => { span.textContent = text; });
    originals.clear();
    matches = [];
    matchAt = -1;
  }

  function runSearch(query) {
    clearMarks();
    searched = query;
    if (!query) {
      countOut.textContent = "";
      return;
    }
    const pattern = new RegExp(escapeRegExp(query.normalize("NFC")), "giu");
    let lineCount = 0;
    for (const line of lines) {
      const span = line.querySelector(".text");
      if (!span || line.classList.contains("withheld")) {
        continue;
      }
      pattern.lastIndex = 0;
      if (!pattern.test(span.textContent.normalize("NFC"))) {
        continue;
      }
      originals.set(span, span.textContent);
      lineCount += 1;
      for (const mark of markMatches(span, pattern)) {
        matches.push({ line, mark });
      }
    }
    if (!matches.length) {
      messages.say(countOut, "no_matches", "No matches");
    } else {
      messages.say(countOut, "match_count", "{matches} " + (matches.length === 1 ? "match" : "matches") + " in {lines} " +
                   (lineCount === 1 ? "line" : "lines"), { matches: matches.length, lines: lineCount });
    }
  }

  function jump(step) {
    const query = input.value.trim();
    if (query !== searched) {
      runSearch(query);
    }
    if (!matches.length) {
      if (query) {
        speech.announceMsg("no_matches_for", "No matches for {query}.", { query });
      } else {
        speech.announceMsg("type_to_find", "Type words to find.");
      }
      return;
    }
    if (matchAt >= 0 && matches[matchAt]) {
      matches[matchAt].mark.classList.remove("match-current");
    }
    matchAt = matchAt < 0 ? (step > 0 ? 0 : matches.length - 1) : (matchAt + step + matches.length) % matches.length;
    const match = matches[matchAt];
    match.mark.classList.add("match-current");
    const time = startOf(match.line);
    messages.say(countOut, "match_n", "Match {n} of {total}", { n: matchAt + 1, total: matches.length });
    if (player) {
      sync.seekTo(time, false);
    } else {
      keepInView(match.line, true);
    }
    speech.announceMsg("match_n_at", "Match {n} of {total}, at {time}.",
                       { n: matchAt + 1, total: matches.length, time: clock(time) });
  }

  form.hidden = false;
  let timer = null;
  let spoken = null;
  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    window.clearTimeout(spoken);
    timer = window.setTimeout(() => runSearch(input.value.trim()), 150);
    spoken = window.setTimeout(() => {
      if (countOut.textContent) {
        speech.announce(countOut.textContent + ".", countOut.getAttribute("lang") === "en");
      }
    }, 900);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      input.value = "";
      runSearch("");
    } else if (event.key === "Enter" && event.shiftKey) {
      event.preventDefault();
      jump(-1);
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    window.clearTimeout(timer);
    window.clearTimeout(spoken);
    jump(1);
  });
  const previous = document.getElementById("search-prev");
  if (previous) {
    previous.addEventListener("click", () => jump(-1));
  }
}
