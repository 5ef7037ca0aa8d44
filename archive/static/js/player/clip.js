/*
 * Clips: ?t=START,END (seconds or time codes, "83,95.5", "1:23,1:35.5") on a listening page or an embedded
 * player plays that stretch and stops at its end. Runs by itself when loaded (a <script type="module">
 * beside main.js); ?t=START alone is main.js's business and left to it.
 *
 * The clip seeks to its start once the media knows its duration, and pauses at its end: a timer set from the
 * time left (timeupdate alone comes only about four times a second) and timeupdate as the backstop. After it
 * stopped, or once the listener seeks past its end, the player is an ordinary player again.
 */

import { parseTime } from "./timecode.js";

// {start, end} from a query string whose t is "START,END" with END after START, else null.
export function clipFrom(search) {
  const raw = new URLSearchParams(search).get("t");
  if (!raw || raw.indexOf(",") < 0) {
    return null;
  }
  const [first, last] = raw.split(",", 2);
  const start = parseTime(first.trim());
  const end = parseTime(last.trim());
  if (start === null || end === null || end <= start) {
    return null;
  }
  return { start, end };
}

// Play `clip` on `player`: start there, stop at the end (once). Returns a function that cancels the clip.
export function playClip(player, clip) {
  let active = true;
  let timer = null;
  const clear = () => {
    if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
  };
  const stop = () => {
    active = false;
    clear();
    player.pause();
    player.currentTime = clip.end;
    player.dispatchEvent(new CustomEvent("listen:clip-ended", { bubbles: true, detail: clip }));
  };
  const check = () => {
    clear();
    if (!active) {
      return;
    }
    const left = clip.end - player.currentTime;
    if (left <= 0.02) {
      stop();
    } else if (!player.paused) {
      timer = window.setTimeout(check, Math.min(250, (left * 1000) / (player.playbackRate || 1)));
    }
  };
  const seeked = () => {
    if (active && player.currentTime > clip.end + 0.05) {
      active = false; // the listener went on past the clip: an ordinary player from now on
      clear();
    }
  };
  const seekToStart = () => {
    if (Math.abs(player.currentTime - clip.start) > 0.25) {
      player.currentTime = clip.start;
    }
  };
  player.addEventListener("timeupdate", check);
  player.addEventListener("playing", check);
  player.addEventListener("pause", clear);
  player.addEventListener("seeked", seeked);
  if (player.readyState >= 1) {
    seekToStart();
  } else {
    player.addEventListener("loadedmetadata", seekToStart, { once: true });
  }
  return () => {
    active = false;
    clear();
  };
}

function main() {
  const player = document.getElementById("player");
  const clip = clipFrom(window.location.search);
  if (player && clip) {
    player.setAttribute("data-clip", `${clip.start},${clip.end}`);
    playClip(player, clip);
  }
}

main();
