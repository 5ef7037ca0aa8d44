/*
 * The listening page's timeline (an ES module, loaded beside the player's, static/js/player/main.js).
 *
 * Draws under the player the waveform of the recording's public copy, a marker at each chapter start and
 * the withheld (restricted) passages as gaps, from /media/recordings/<id>/waveform: that answers only what
 * this reader may hear and see (withheld passages as times, never their text). Nothing shows until the
 * drawing arrives with ready: true, so while the public copy is being made (or without JavaScript) the box
 * stays hidden. The drawing is decorative (aria-hidden) and takes no keyboard focus: a click or tap on it
 * seeks, and everything it offers is also in the player's controls, the chapter list and the transcript.
 * Seeks go through the player's cancelable "listen:seek" event on #listen (so the transcript follows at
 * once), or straight to the media element when nothing handles it.
 */

import { fill } from "./player/messages.js";
import { clock } from "./player/timecode.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const QUIETEST = 0.03; // silence still draws a hairline, so the gaps stand out against it

// The stretches of [0, duration] outside every gap, in order.
export function audible(duration, gaps) {
  const cut = gaps.map((gap) => [Math.max(0, gap.start), Math.min(duration, gap.end)])
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  const stretches = [];
  let at = 0;
  for (const [start, end] of cut) {
    if (start > at) {
      stretches.push([at, start]);
    }
    at = Math.max(at, end);
  }
  if (at < duration) {
    stretches.push([at, duration]);
  }
  return stretches;
}

// Path data of the waveform's envelope in a viewBox `duration` wide and 2 high (the middle line at y = 1):
// one closed shape per audible stretch, so the gaps are left empty.
export function envelope(peaks, secondsPerPeak, duration, gaps) {
  let loudest = 1;
  for (const peak of peaks) {
    loudest = Math.max(loudest, peak);
  }
  const level = (index) => 0.95 * Math.max(QUIETEST, (peaks[Math.min(Math.max(index, 0), peaks.length - 1)] || 0) / loudest);
  const number = (value) => String(Math.round(value * 1000) / 1000);
  const shapes = [];
  for (const [start, end] of audible(duration, gaps)) {
    const points = [[start, level(Math.floor(start / secondsPerPeak))]];
    const first = Math.ceil(start / secondsPerPeak - 0.5);
    for (let i = Math.max(first, 0); i < peaks.length && (i + 0.5) * secondsPerPeak < end; i += 1) {
      if ((i + 0.5) * secondsPerPeak > start) {
        points.push([(i + 0.5) * secondsPerPeak, level(i)]);
      }
    }
    points.push([end, level(Math.ceil(end / secondsPerPeak) - 1)]);
    const top = points.map(([x, y]) => `${number(x)} ${number(1 - y)}`);
    const bottom = points.reverse().map(([x, y]) => `${number(x)} ${number(1 + y)}`);
    shapes.push(`M${top.join("L")}L${bottom.join("L")}Z`);
  }
  return shapes.join("");
}

function span(className, parent) {
  const node = document.createElement("span");
  node.className = className;
  parent.appendChild(node);
  return node;
}

function percent(value) {
  return `${Math.min(100, Math.max(0, value * 100)).toFixed(3)}%`;
}

export function draw(box, data, player) {
  const track = box.querySelector(".timeline-track");
  const duration = data.duration;
  track.textContent = "";

  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", "timeline-wave");
  svg.setAttribute("viewBox", `0 0 ${duration} 2`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", envelope(data.peaks, data.seconds_per_peak, duration, data.gaps || []));
  svg.appendChild(path);
  track.appendChild(svg);

  const played = span("timeline-played", track);
  for (const gap of data.gaps || []) {
    const start = Math.max(0, gap.start);
    const end = Math.min(duration, gap.end);
    if (end <= start) {
      continue;
    }
    const node = span("timeline-gap", track);
    node.style.left = percent(start / duration);
    node.style.width = percent((end - start) / duration);
    node.title = fill(box.dataset.gapLabel, { start: clock(start), end: clock(end) });
  }
  (data.chapters || []).forEach((chapter, index) => {
    if (!(chapter.start >= 0 && chapter.start < duration)) {
      return;
    }
    const node = span("timeline-chapter", track);
    node.style.left = percent(chapter.start / duration);
    node.title = `${fill(box.dataset.chapterLabel, { n: index + 1, title: chapter.title })} (${clock(chapter.start)})`;
    span("timeline-chapter-number", node).textContent = String(index + 1);
  });
  const head = span("timeline-head", track);

  const follow = () => {
    const at = percent((player.currentTime || 0) / duration);
    played.style.width = at;
    head.style.left = at;
  };
  for (const name of ["timeupdate", "seeking", "seeked", "loadedmetadata"]) {
    player.addEventListener(name, follow);
  }
  follow();
  box.hidden = false;
}

function seek(root, player, time) {
  const asked = new CustomEvent("listen:seek", { detail: { time }, cancelable: true });
  if (root.dispatchEvent(asked)) { // nobody took it: move the media element itself
    player.currentTime = time;
  }
}

async function start() {
  const box = document.getElementById("timeline");
  const player = document.getElementById("player");
  const root = document.getElementById("listen") || document.body;
  if (!box || !player || !box.dataset.waveformUrl) {
    return;
  }
  let data = null;
  try {
    const response = await fetch(box.dataset.waveformUrl, { credentials: "same-origin",
                                                             headers: { Accept: "application/json" } });
    data = response.ok ? await response.json() : null;
  } catch (error) {
    data = null; // offline or refused: no timeline, the page works without it
  }
  if (!data || !data.ready || !Array.isArray(data.peaks) || !data.peaks.length || !(data.duration > 0)) {
    return; // the public copy is not ready: show nothing
  }
  draw(box, data, player);
  const track = box.querySelector(".timeline-track");
  track.addEventListener("click", (event) => {
    const rect = track.getBoundingClientRect();
    if (rect.width > 0) {
      const share = Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
      seek(root, player, share * data.duration);
    }
  });
}

start();
