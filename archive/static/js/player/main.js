/*
 * Listening pages: keeps the transcript in step with the native media player (start-up wiring).
 *
 * Progressive enhancement only. Without these modules (no JavaScript, or a module that fails to load) the
 * page is a readable transcript with a native player and plain ?t= links. With them: the spoken line is
 * highlighted (aria-current) and kept in view (sync.js, follow.js), lines seek on click/Enter/Space and
 * chapters and time links seek in place (lines.js), every line gets "Copy link" (from here) and "Copy passage link" (?t=START,END) buttons (copylink.js),
 * the player's bar seeks ±15 s and shows the current chapter (dock.js), words can be found in the transcript (search.js), a search's words (?q=, marked by the server) have
 * previous/next match controls (moments.js), the speed can be set and "Where am I?" asked
 * (controls.js), and the polite live region speaks only when the user acts or a chapter begins
 * (announcer.js). The wording comes in the interface language (messages.js); time codes are timecode.js.
 */

import { createAnnouncer } from "./announcer.js";
import { setupControls } from "./controls.js";
import { setupDock } from "./dock.js";
import { createFollower } from "./follow.js";
import { setupChapterLinks, setupLines } from "./lines.js";
import { readMessages } from "./messages.js";
import { setupMoments } from "./moments.js";
import { setupSearch } from "./search.js";
import { createSync } from "./sync.js";
import { hashTime } from "./timecode.js";

// Starts where ?t= (data-start on #listen, read by the server) or #t= asks, and plays when asked to
// (?autoplay=1); a refused autoplay shows a note and leaves the focus on the player.
function start(root, player, sync) {
  let at = hashTime(window.location.hash);
  if (at === null) {
    at = parseFloat(root.getAttribute("data-start")) || 0;
  }
  // A line the server marked current (a search's first match may be the line at 0:00) is one sync must know.
  if (at > 0 || root.querySelector("#transcript li.line.current")) {
    sync.whenReady(() => {
      if (Math.abs(player.currentTime - at) > 0.25) {
        player.currentTime = at;
      }
      sync.sync(true);
    });
    sync.show(at, false);
  }
  if (root.getAttribute("data-autoplay") === "1") {
    const note = document.getElementById("autoplay-note");
    const refused = () => {
      if (note) {
        note.hidden = false;
      }
      player.focus();
    };
    const attempt = player.play();
    if (attempt && attempt.then) {
      attempt.then(() => player.focus(), refused);
    }
  }
  window.addEventListener("hashchange", () => {
    const time = hashTime(window.location.hash);
    if (time !== null) {
      sync.seekTo(time, false);
    }
  });
}

function main() {
  const root = document.getElementById("listen");
  if (!root) {
    return;
  }
  const player = document.getElementById("player");
  const list = document.getElementById("transcript");
  const lines = list ? Array.from(list.querySelectorAll("li.line")) : [];
  const chapters = Array.from(document.querySelectorAll("a.chapter[data-start]"));
  const announceBox = document.getElementById("announce-chapters");
  const messages = readMessages(document.getElementById("player-messages"),
                                document.documentElement.getAttribute("lang"));
  const speech = createAnnouncer(document.getElementById("announcer"), messages);
  const keepInView = createFollower(list, document.getElementById("follow"));
  const sync = createSync({
    player, lines, chapters, announceBox, keepInView,
    announceChapter: (index) => speech.announce(speech.chapterParts(chapters[index], index)),
  });
  const page = {
    root, player, list, lines, chapters, announceBox, keepInView, sync, messages, speech,
    pageUrl: root.getAttribute("data-page-url") || window.location.pathname,
  };
  if (player) {
    setupControls(page);
    setupDock(page);
  }
  setupLines(page);
  setupChapterLinks(page);
  setupSearch(page);
  setupMoments(page);
  if (player) {
    start(root, player, sync);
  }
}

main();
