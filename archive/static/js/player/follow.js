/*
 * Keeps the spoken line in view: scrolls the transcript (or the page, when the transcript does not scroll
 * by itself) so the line stays visible, unless "Keep the spoken line in view" is off or the reader has just
 * scrolled the transcript to look elsewhere. A forced call (the user asked for that line) always scrolls.
 */

const READER_LOOKS_ELSEWHERE_MS = 4000;

function isScrollable(element) {
  return element && element.scrollHeight > element.clientHeight + 1;
}

// keepInView(line, force) for the transcript list; followBox is the "keep in view" checkbox, if any.
export function createFollower(list, followBox) {
  const reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  let userScrolledAt = 0;
  let programmaticScrollAt = 0;

  if (list) {
    const noteUserScroll = () => { userScrolledAt = Date.now(); };
    list.addEventListener("wheel", noteUserScroll, { passive: true });
    list.addEventListener("touchmove", noteUserScroll, { passive: true });
    list.addEventListener("scroll", () => {
      if (Date.now() - programmaticScrollAt > 1000) {
        noteUserScroll();
      }
    }, { passive: true });
  }

  return function keepInView(line, force) {
    if (!line || !list) {
      return;
    }
    if (!force) {
      if (followBox && !followBox.checked) {
        return;
      }
      if (Date.now() - userScrolledAt < READER_LOOKS_ELSEWHERE_MS) {
        return; // the reader is looking elsewhere in the transcript
      }
    }
    programmaticScrollAt = Date.now();
    const behavior = reduceMotion ? "auto" : "smooth";
    if (isScrollable(list)) {
      const top = line.offsetTop - list.offsetTop;
      const bottom = top + line.offsetHeight;
      const margin = Math.min(list.clientHeight / 3, 120);
      if (force || top < list.scrollTop + margin || bottom > list.scrollTop + list.clientHeight - margin) {
        const target = top - (list.clientHeight - line.offsetHeight) / 2;
        list.scrollTo({ top: Math.max(0, target), behavior });
      }
    } else {
      const rect = line.getBoundingClientRect();
      if (force || rect.top < 0 || rect.bottom > window.innerHeight) {
        line.scrollIntoView({ block: "center", behavior });
      }
    }
  };
}
