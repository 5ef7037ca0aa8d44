/*
 * The search page. On a phone the facets fold behind their "Filters" button (details#filters), above the
 * results, so the results come first; on a wide screen they are always open beside the results.
 * "Play from 0:06" on a hit plays its recording in place from the first matching moment (one player for the
 * page, placed under that hit, native controls); pressed again it pauses. Without the script it is a link to
 * the listening page at that moment, playing.
 */

const wide = window.matchMedia("(min-width: 48.01rem)");
const filters = document.getElementById("filters");

function fit() {
  if (filters) {
    filters.open = wide.matches;
  }
}

fit();
wide.addEventListener("change", fit);

let audio = null;
let playing = null;

function label(link, pause) {
  const text = link.querySelector(".hit-play-label");
  if (text) {
    text.textContent = link.getAttribute(pause ? "data-pause" : "data-play");
  }
}

function play(link, event) {
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) {
    return; // a new tab or window keeps the listening page
  }
  event.preventDefault();
  if (playing === link && audio && !audio.paused) {
    audio.pause();
    return;
  }
  if (!audio) {
    audio = document.createElement("audio");
    audio.controls = true;
    audio.preload = "metadata";
    audio.className = "hit-audio";
    audio.addEventListener("pause", () => playing && label(playing, false));
    audio.addEventListener("play", () => playing && label(playing, true));
  }
  const start = parseFloat(link.getAttribute("data-start")) || 0;
  if (playing !== link) {
    if (playing) {
      label(playing, false);
    }
    playing = link;
    audio.src = link.getAttribute("data-src") + "#t=" + start;
    link.parentNode.insertAdjacentElement("afterend", audio);
  }
  const go = () => {
    if (Math.abs(audio.currentTime - start) > 0.5 && audio.currentTime < start) {
      audio.currentTime = start;
    }
    const started = audio.play();
    if (started && started.catch) {
      started.catch(() => {});
    }
  };
  if (audio.readyState >= 1) {
    go();
  } else {
    audio.addEventListener("loadedmetadata", go, { once: true });
    audio.load();
  }
}

for (const link of document.querySelectorAll("a.hit-play[data-src]")) {
  link.addEventListener("click", (event) => play(link, event));
}
