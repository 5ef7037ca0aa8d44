/*
 * What the script adds around the native player: arrow keys on the focused player, the tools row (speed,
 * remembered in localStorage; "Announce each new chapter"; "Where am I?"), and the "listen:seek" hook
 * through which other scripts (the timeline, timeline.js) seek with the transcript following at once.
 */

import { clock } from "./timecode.js";

// The "listen:seek" contract: a cancelable CustomEvent on #listen with detail.time in seconds. This
// script takes it (preventDefault) and seeks; when nobody takes it, the sender moves the media itself.
function takeSeeks(root, seekTo) {
  root.addEventListener("listen:seek", (event) => {
    const time = event.detail ? event.detail.time : NaN;
    if (typeof time === "number" && isFinite(time)) {
      event.preventDefault();
      seekTo(Math.max(0, time), false);
    }
  });
}

// The focused player seeks with the arrow keys (Space already plays and pauses natively).
function arrowKeys(player) {
  player.setAttribute("aria-keyshortcuts", "Space ArrowLeft ArrowRight Home");
  player.addEventListener("keydown", (event) => {
    if (event.target !== player || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    const step = event.shiftKey ? 15 : 5;
    const duration = isFinite(player.duration) ? player.duration : Infinity;
    let time = null;
    if (event.key === "ArrowRight") {
      time = Math.min(duration, (player.currentTime || 0) + step);
    } else if (event.key === "ArrowLeft") {
      time = Math.max(0, (player.currentTime || 0) - step);
    } else if (event.key === "Home") {
      time = 0;
    }
    if (time !== null) {
      event.preventDefault(); // the browser's own handling would seek a second time
      player.currentTime = time;
    }
  });
}

function remembered(key) {
  try {
    return window.localStorage.getItem(key);
  } catch (error) {
    return null;
  }
}

function remember(key, value) {
  try {
    window.localStorage.setItem(key, value);
  } catch (error) {
    /* private browsing: the choice lasts for this page only */
  }
}

function speedControl(player, speed) {
  const stored = remembered("listen.speed");
  const options = Array.from(speed.options, (option) => option.value);
  if (stored && options.indexOf(stored) >= 0) {
    speed.value = stored;
  }
  const applyRate = () => {
    const rate = parseFloat(speed.value) || 1;
    player.playbackRate = rate;
    player.defaultPlaybackRate = rate;
  };
  applyRate();
  speed.addEventListener("change", () => {
    applyRate();
    remember("listen.speed", speed.value);
  });
  player.addEventListener("ratechange", () => {
    const match = options.filter((value) => parseFloat(value) === player.playbackRate);
    if (match.length) {
      speed.value = match[0];
    }
  });
}

function announceChoice(box, chapters) {
  if (!chapters.length) {
    box.parentNode.hidden = true; // nothing to announce without chapters
    return;
  }
  const choice = remembered("listen.announceChapters");
  if (choice !== null) {
    box.checked = choice === "1";
  }
  box.addEventListener("change", () => remember("listen.announceChapters", box.checked ? "1" : "0"));
}

// "Where am I?": the time, chapter and line being played, said on request, written under the player (#where-out)
// and the line brought into view.
function whereAmI(button, { player, lines, chapters, sync, keepInView, messages, speech }) {
  button.addEventListener("click", () => {
    const time = player.currentTime || 0;
    let parts = player.paused ? messages.parts("paused_at", "Paused at {time}.", { time: clock(time) })
                              : messages.parts("playing_at", "Playing at {time}.", { time: clock(time) });
    const chapterIndex = sync.chapterAt(time);
    if (chapterIndex >= 0) {
      parts = parts.concat([{ text: " ", lang: "" }], speech.chapterParts(chapters[chapterIndex], chapterIndex),
                           [{ text: ".", lang: "" }]);
    }
    const lineIndex = sync.lineAt(time);
    if (lineIndex >= 0) {
      parts = parts.concat([{ text: " ", lang: "" }], speech.lineParts(lines[lineIndex]));
      keepInView(lines[lineIndex], true);
    }
    speech.announce(parts);
    const shown = document.getElementById("where-out");
    if (shown) {
      shown.textContent = parts.map((part) => part.text).join("");
      shown.hidden = false;
    }
  });
}

// page: {root, player, lines, chapters, announceBox, sync, keepInView, messages, speech} (see main.js).
export function setupControls(page) {
  const { root, player, chapters, announceBox } = page;
  takeSeeks(root, page.sync.seekTo);
  arrowKeys(player);
  const tools = document.getElementById("player-tools");
  if (tools) {
    tools.hidden = false;
  }
  const speed = document.getElementById("speed");
  if (speed) {
    speedControl(player, speed);
  }
  if (announceBox) {
    announceChoice(announceBox, chapters);
  }
  const where = document.getElementById("where-am-i");
  if (where) {
    whereAmI(where, page);
  }
}
