/*
 * The searched words on a listening page (?q=, marked by the server in li.line.match): "Previous match" and
 * "Next match" (#match-nav) seek in place instead of reloading, counting from the line being heard, and keep
 * their links (and the address bar) pointing at the neighbouring matches, so opening one in a new tab or
 * sharing the address still lands on a match.
 */

import { secondsParam } from "./timecode.js";
import { startOf } from "./sync.js";

const isModified = (event) => event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0;

// page: {lines, player, sync, keepInView, messages, speech, pageUrl} (see main.js).
export function setupMoments(page) {
  const nav = document.getElementById("match-nav");
  const status = document.getElementById("match-status");
  const links = nav ? Array.from(nav.querySelectorAll("a.match-step")) : [];
  const matches = page.lines.filter((line) => line.classList.contains("match"));
  if (!nav || !links.length || !matches.length) {
    return;
  }
  const { player, sync, keepInView, messages, speech } = page;
  const query = new URL(window.location.href).searchParams.get("q") || "";
  let at = Math.max(0, matches.findIndex((line) => line.getAttribute("aria-current") === "true"));

  // The match being heard (the last one starting at or before the player's time), or the last one chosen.
  function heard() {
    if (!player) {
      return at;
    }
    const time = player.currentTime + 0.01;
    let found = -1;
    matches.forEach((line, index) => {
      if (startOf(line) <= time) {
        found = index;
      }
    });
    return found;
  }

  function urlFor(line) {
    const params = new URLSearchParams({ t: secondsParam(startOf(line)), q: query });
    return page.pageUrl + "?" + params.toString() + "#" + line.id;
  }

  function refresh() {
    for (const link of links) {
      const step = parseInt(link.getAttribute("data-step"), 10);
      link.href = urlFor(matches[(at + step + matches.length) % matches.length]);
    }
  }

  function go(step) {
    const from = heard();
    at = from < 0 ? (step > 0 ? 0 : matches.length - 1) : (from + step + matches.length) % matches.length;
    const line = matches[at];
    if (status) {
      messages.say(status, "match_n_of", "Match {n} of {total}.", { n: at + 1, total: matches.length });
    }
    for (const other of matches) {
      other.classList.toggle("match-current", other === line);
    }
    if (player) {
      sync.seekTo(startOf(line), false);
    } else {
      keepInView(line, true);
    }
    window.history.replaceState(null, "", urlFor(line));
    refresh();
    speech.announceMsg("match_n_of", "Match {n} of {total}.", { n: at + 1, total: matches.length });
  }

  for (const link of links) {
    link.addEventListener("click", (event) => {
      if (isModified(event)) {
        return;
      }
      event.preventDefault();
      go(parseInt(link.getAttribute("data-step"), 10));
    });
  }
  matches[at].classList.add("match-current");
}
