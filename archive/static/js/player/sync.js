/*
 * Following playback: which transcript line is being spoken and which chapter it is in (class "current",
 * aria-current), and seeking the media element to a moment with the highlight moved at once.
 */

const EPSILON = 0.05; // a line starting this close after the playhead counts as begun

// The start (data-start, in seconds) of a transcript line or chapter link.
export function startOf(element) {
  return parseFloat(element.getAttribute("data-start")) || 0;
}

// The index of the last value <= time (values ascending), or -1.
export function lastIndexAtOrBefore(values, time) {
  let low = 0;
  let high = values.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (values[mid] <= time + EPSILON) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

function mark(element, on, className) {
  element.classList.toggle(className, on);
  if (on) {
    element.setAttribute("aria-current", "true");
  } else {
    element.removeAttribute("aria-current");
  }
}

// player may be null (a transcript without a recording this reader may hear); lines and chapters are
// arrays of elements; keepInView(line, force) scrolls; announceChapter(index) speaks a chapter change.
export function createSync({ player, lines, chapters, announceBox, keepInView, announceChapter }) {
  const starts = lines.map(startOf);
  const chapterStarts = chapters.map(startOf);
  let currentLine = -1;
  let currentChapter = -1;
  let chapterKnown = false; // the first chapter shown is where the reader starts, not a change to announce

  const lineAt = (time) => lastIndexAtOrBefore(starts, time);
  const chapterAt = (time) => lastIndexAtOrBefore(chapterStarts, time);

  function setCurrentLine(index, scroll, force) {
    if (index === currentLine) {
      if (force && index >= 0) {
        keepInView(lines[index], true);
      }
      return;
    }
    if (currentLine >= 0 && lines[currentLine]) {
      mark(lines[currentLine], false, "current");
    }
    currentLine = index;
    if (index >= 0 && lines[index]) {
      mark(lines[index], true, "current");
      if (scroll) {
        keepInView(lines[index], force);
      }
    }
  }

  function setCurrentChapter(index, mayAnnounce) {
    if (index === currentChapter) {
      return;
    }
    if (currentChapter >= 0 && chapters[currentChapter]) {
      mark(chapters[currentChapter], false, "current-chapter");
    }
    currentChapter = index;
    if (index >= 0 && chapters[index]) {
      mark(chapters[index], true, "current-chapter");
      if (mayAnnounce && chapterKnown) {
        announceChapter(index);
      }
    }
    chapterKnown = true;
  }

  // Highlights the line and chapter at time and brings the line into view (the user asked for it).
  function show(time, mayAnnounce) {
    setCurrentLine(lineAt(time), true, true);
    setCurrentChapter(chapterAt(time), mayAnnounce);
  }

  // Follows the playhead; a chapter change is announced only while playing with the box ticked.
  function sync(force) {
    if (!player) {
      return;
    }
    const time = player.currentTime || 0;
    setCurrentLine(lineAt(time), true, force);
    setCurrentChapter(chapterAt(time), Boolean(announceBox && announceBox.checked && !player.paused));
  }

  function whenReady(callback) {
    if (player.readyState >= 1) {
      callback();
    } else {
      player.addEventListener("loadedmetadata", function once() {
        player.removeEventListener("loadedmetadata", once);
        callback();
      });
    }
  }

  function seekTo(time, play) {
    if (!player) {
      return;
    }
    const apply = () => {
      player.currentTime = time;
      if (play) {
        const started = player.play();
        if (started && started.catch) {
          started.catch(() => {});
        }
      }
    };
    if (player.readyState >= 1) {
      apply();
    } else {
      whenReady(apply);
      if (player.preload === "none" || player.networkState === 0) {
        player.load();
      }
    }
    show(time, true); // highlight at once; timeupdate confirms it
  }

  if (player) {
    for (const name of ["timeupdate", "seeked", "play"]) {
      player.addEventListener(name, () => sync(false));
    }
  }

  return { lineAt, chapterAt, show, sync, seekTo, whenReady };
}
