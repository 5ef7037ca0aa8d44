/*
 * Listening pages: keeps the transcript in step with the native media player.
 *
 * Progressive enhancement only. Without this script the page is a readable transcript with a
 * native player and plain ?t= links. With it: the spoken line is highlighted (aria-current) and
 * kept in view, lines seek on click/Enter/Space, chapters and time links seek in place, words can
 * be found in the transcript, every line gets a "Copy link" button, and the speed can be set.
 * The polite live region (#announcer) speaks only when the user acts (seeks to a line or chapter, asks
 * "Where am I?", searches) and, unless the user turns "Announce each new chapter" off, once per chapter
 * change during playback. It is never touched on timeupdate otherwise, so it does not talk over the
 * recording.
 */
(function () {
  "use strict";

  var root = document.getElementById("listen");
  if (!root) {
    return;
  }
  var player = document.getElementById("player");
  var list = document.getElementById("transcript");
  var announcer = document.getElementById("announcer");
  var pageUrl = root.getAttribute("data-page-url") || window.location.pathname;
  var lines = list ? Array.prototype.slice.call(list.querySelectorAll("li.line")) : [];
  var starts = lines.map(function (line) { return parseFloat(line.getAttribute("data-start")) || 0; });
  var chapters = Array.prototype.slice.call(document.querySelectorAll("a.chapter[data-start]"));
  var chapterStarts = chapters.map(function (link) { return parseFloat(link.getAttribute("data-start")) || 0; });
  var followBox = document.getElementById("follow");
  var announceBox = document.getElementById("announce-chapters");
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var EPSILON = 0.05;
  var currentLine = -1;
  var currentChapter = -1;
  var chapterKnown = false;
  var userScrolledAt = 0;
  var programmaticScrollAt = 0;

  // ------------------------------------------------------------------ messages
  //
  // The page may provide its interface language's wording as JSON in
  // <div id="player-messages" hidden data-messages='{"copy_link": "...", ...}'></div>. Any message it lacks is said in English, and is then
  // marked lang="en" on a page in another language so screen readers pronounce it correctly.

  var messages = {};
  var messageNode = document.getElementById("player-messages");
  if (messageNode) {
    try {
      // A data-messages attribute (no script element on the page), or a JSON script element's text.
      messages = JSON.parse(messageNode.getAttribute("data-messages") || messageNode.textContent) || {};
    } catch (error) {
      messages = {};
    }
  }
  var pageIsEnglish = /^en\b/i.test(document.documentElement.getAttribute("lang") || "en");

  function msg(key, english, values) {
    var text = typeof messages[key] === "string" && messages[key] ? messages[key] : english;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  // Writes a message into an element, marking its language when it fell back to English.
  function say(element, key, english, values) {
    element.textContent = msg(key, english, values);
    if (!pageIsEnglish && !messages[key]) {
      element.setAttribute("lang", "en");
    } else {
      element.removeAttribute("lang");
    }
  }

  // ------------------------------------------------------------------ helpers

  function clock(seconds) {
    var whole = Math.max(0, Math.floor(seconds || 0));
    var hours = Math.floor(whole / 3600);
    var minutes = Math.floor((whole % 3600) / 60);
    var secs = whole % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return hours ? hours + ":" + pad(minutes) + ":" + pad(secs) : minutes + ":" + pad(secs);
  }

  function secondsParam(seconds) {
    var text = (Math.round(Math.max(0, seconds) * 100) / 100).toString();
    return text;
  }

  // message is the text to speak; english says it fell back to English (so it is marked lang="en").
  // The language of an element's text (its own or inherited lang), or "".
  function langOf(element) {
    var holder = element && element.closest ? element.closest("[lang]") : null;
    return holder ? holder.getAttribute("lang") : "";
  }

  // A message as parts [{text, lang}]: values keep their own language (langs[name]), the wording is in
  // the page language, or marked English when it fell back to English.
  function msgParts(key, english, values, langs) {
    var translated = !pageIsEnglish && typeof messages[key] === "string" && messages[key];
    var template = translated ? messages[key] : english;
    var wordingLang = translated || pageIsEnglish ? "" : "en";
    var parts = [];
    var last = 0;
    template.replace(/\{(\w+)\}/g, function (whole, name, offset) {
      parts.push({ text: template.slice(last, offset), lang: wordingLang });
      var known = values && Object.prototype.hasOwnProperty.call(values, name);
      parts.push({ text: known ? String(values[name]) : whole, lang: (langs && langs[name]) || wordingLang });
      last = offset + whole.length;
      return whole;
    });
    parts.push({ text: template.slice(last), lang: wordingLang });
    return parts;
  }

  // message: a string, or parts from msgParts (each spoken in its own language); english marks a
  // plain string that fell back to English.
  function announce(message, english) {
    if (!announcer) {
      return;
    }
    var parts = typeof message === "string" ? [{ text: message, lang: english && !pageIsEnglish ? "en" : "" }] : message;
    // Clearing first makes a repeated message be spoken again.
    announcer.textContent = "";
    window.setTimeout(function () {
      announcer.textContent = "";
      parts.forEach(function (part) {
        if (!part.text) {
          return;
        }
        if (part.lang) {
          var span = document.createElement("span");
          span.setAttribute("lang", part.lang);
          span.textContent = part.text;
          announcer.appendChild(span);
        } else {
          announcer.appendChild(document.createTextNode(part.text));
        }
      });
    }, 60);
  }

  function announceMsg(key, english, values) {
    announce(msgParts(key, english, values));
  }

  function lastIndexAtOrBefore(values, time) {
    var low = 0;
    var high = values.length - 1;
    var found = -1;
    while (low <= high) {
      var mid = (low + high) >> 1;
      if (values[mid] <= time + EPSILON) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }

  function parseTime(raw) {
    if (!raw) {
      return null;
    }
    var value = 0;
    var parts = String(raw).replace(/s$/, "").split(":");
    for (var i = 0; i < parts.length; i += 1) {
      if (!/^\d+(\.\d+)?$/.test(parts[i])) {
        return null;
      }
      value = value * 60 + parseFloat(parts[i]);
    }
    return isFinite(value) && value >= 0 ? value : null;
  }

  function hashTime() {
    var match = /(?:^#|&)t=([^&]+)/.exec(window.location.hash);
    return match ? parseTime(decodeURIComponent(match[1])) : null;
  }

  // What a transcript line says, as announcement parts in the line's own language.
  function lineParts(line) {
    if (line.classList.contains("withheld")) {
      return msgParts("withheld", "Withheld passage.");
    }
    var speaker = line.querySelector(".speaker");
    var text = line.querySelector(".text");
    return [{ text: (speaker ? speaker.textContent + " " : "") + (text ? text.textContent : ""), lang: langOf(line) }];
  }

  function isScrollable(element) {
    return element && element.scrollHeight > element.clientHeight + 1;
  }

  function keepInView(line, force) {
    if (!line || !list) {
      return;
    }
    if (!force) {
      if (followBox && !followBox.checked) {
        return;
      }
      if (Date.now() - userScrolledAt < 4000) {
        return; // the reader is looking elsewhere in the transcript
      }
    }
    programmaticScrollAt = Date.now();
    var behavior = reduceMotion ? "auto" : "smooth";
    if (isScrollable(list)) {
      var top = line.offsetTop - list.offsetTop;
      var bottom = top + line.offsetHeight;
      var margin = Math.min(list.clientHeight / 3, 120);
      if (force || top < list.scrollTop + margin || bottom > list.scrollTop + list.clientHeight - margin) {
        var target = top - (list.clientHeight - line.offsetHeight) / 2;
        list.scrollTo({ top: Math.max(0, target), behavior: behavior });
      }
    } else {
      var rect = line.getBoundingClientRect();
      if (force || rect.top < 0 || rect.bottom > window.innerHeight) {
        line.scrollIntoView({ block: "center", behavior: behavior });
      }
    }
  }

  // ------------------------------------------------------------------ highlighting

  function setCurrentLine(index, scroll, force) {
    if (index === currentLine) {
      if (force && index >= 0) {
        keepInView(lines[index], true);
      }
      return;
    }
    if (currentLine >= 0 && lines[currentLine]) {
      lines[currentLine].classList.remove("current");
      lines[currentLine].removeAttribute("aria-current");
    }
    currentLine = index;
    if (index >= 0 && lines[index]) {
      lines[index].classList.add("current");
      lines[index].setAttribute("aria-current", "true");
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
      chapters[currentChapter].classList.remove("current-chapter");
      chapters[currentChapter].removeAttribute("aria-current");
    }
    currentChapter = index;
    if (index >= 0 && chapters[index]) {
      chapters[index].classList.add("current-chapter");
      chapters[index].setAttribute("aria-current", "true");
      if (mayAnnounce && chapterKnown) {
        var title = chapters[index].querySelector(".chapter-title");
        announce(msgParts("chapter", "Chapter {n}: {title}", { n: index + 1, title: title ? title.textContent : "" },
                          { title: langOf(title) }));
      }
    }
    chapterKnown = true;
  }

  function sync(force) {
    if (!player) {
      return;
    }
    var time = player.currentTime || 0;
    setCurrentLine(lastIndexAtOrBefore(starts, time), true, force);
    var announcing = announceBox && announceBox.checked && !player.paused;
    setCurrentChapter(lastIndexAtOrBefore(chapterStarts, time), announcing || force === "user");
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
    var apply = function () {
      player.currentTime = time;
      if (play) {
        var started = player.play();
        if (started && started.catch) {
          started.catch(function () {});
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
    // Highlight at once; timeupdate confirms it.
    setCurrentLine(lastIndexAtOrBefore(starts, time), true, true);
    setCurrentChapter(lastIndexAtOrBefore(chapterStarts, time), true);
  }

  // ------------------------------------------------------------------ player

  if (player) {
    player.addEventListener("timeupdate", function () { sync(false); });
    player.addEventListener("seeked", function () { sync(false); });
    player.addEventListener("play", function () { sync(false); });
    // Other scripts (the timeline, timeline.js) seek through a cancelable "listen:seek" event on #listen.
    root.addEventListener("listen:seek", function (event) {
      var time = event.detail ? event.detail.time : NaN;
      if (typeof time === "number" && isFinite(time)) {
        event.preventDefault();
        seekTo(Math.max(0, time), false);
      }
    });

    // The focused player seeks with the arrow keys (Space already plays and pauses natively).
    player.setAttribute("aria-keyshortcuts", "Space ArrowLeft ArrowRight Home");
    player.addEventListener("keydown", function (event) {
      if (event.target !== player || event.altKey || event.ctrlKey || event.metaKey) {
        return;
      }
      var step = event.shiftKey ? 15 : 5;
      var duration = isFinite(player.duration) ? player.duration : Infinity;
      var time = null;
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

    var tools = document.getElementById("player-tools");
    if (tools) {
      tools.hidden = false;
    }
    var speed = document.getElementById("speed");
    if (speed) {
      var stored = null;
      try {
        stored = window.localStorage.getItem("listen.speed");
      } catch (error) {
        stored = null;
      }
      var options = Array.prototype.map.call(speed.options, function (option) { return option.value; });
      if (stored && options.indexOf(stored) >= 0) {
        speed.value = stored;
      }
      var applyRate = function () {
        var rate = parseFloat(speed.value) || 1;
        player.playbackRate = rate;
        player.defaultPlaybackRate = rate;
      };
      applyRate();
      speed.addEventListener("change", function () {
        applyRate();
        try {
          window.localStorage.setItem("listen.speed", speed.value);
        } catch (error) {
          /* private browsing: the choice lasts for this page only */
        }
      });
      player.addEventListener("ratechange", function () {
        var match = options.filter(function (value) { return parseFloat(value) === player.playbackRate; });
        if (match.length) {
          speed.value = match[0];
        }
      });
    }

    if (announceBox) {
      if (!chapters.length) {
        announceBox.parentNode.hidden = true; // nothing to announce without chapters
      } else {
        try {
          var remembered = window.localStorage.getItem("listen.announceChapters");
          if (remembered !== null) {
            announceBox.checked = remembered === "1";
          }
        } catch (error) {
          /* the box keeps its default */
        }
        announceBox.addEventListener("change", function () {
          try {
            window.localStorage.setItem("listen.announceChapters", announceBox.checked ? "1" : "0");
          } catch (error) {
            /* private browsing: the choice lasts for this page only */
          }
        });
      }
    }

    var where = document.getElementById("where-am-i");
    if (where) {
      where.addEventListener("click", function () {
        var time = player.currentTime || 0;
        var parts = player.paused ? msgParts("paused_at", "Paused at {time}.", { time: clock(time) })
                                  : msgParts("playing_at", "Playing at {time}.", { time: clock(time) });
        var chapterIndex = lastIndexAtOrBefore(chapterStarts, time);
        if (chapterIndex >= 0) {
          var title = chapters[chapterIndex].querySelector(".chapter-title");
          parts = parts.concat([{ text: " ", lang: "" }],
                               msgParts("chapter", "Chapter {n}: {title}", { n: chapterIndex + 1, title: title ? title.textContent : "" },
                                        { title: langOf(title) }),
                               [{ text: ".", lang: "" }]);
        }
        var lineIndex = lastIndexAtOrBefore(starts, time);
        if (lineIndex >= 0) {
          parts = parts.concat([{ text: " ", lang: "" }], lineParts(lines[lineIndex]));
          keepInView(lines[lineIndex], true);
        }
        announce(parts);
      });
    }
  }

  // ------------------------------------------------------------------ lines

  function copyLink(line, button) {
    var url = new URL(pageUrl + "?t=" + secondsParam(parseFloat(line.getAttribute("data-start")) || 0),
                      window.location.href).href;
    var label = button.querySelector(".copy-label");
    var done = function () {
      if (label) {
        say(label, "copied", "Copied");
        window.setTimeout(function () { say(label, "copy_link", "Copy link"); }, 2000);
      }
      announceMsg("link_copied", "Link copied.");
    };
    var fallback = function () {
      // No clipboard access (e.g. plain http): offer the link selected, ready to copy by hand.
      var existing = line.querySelector("input.copy-fallback");
      if (existing) {
        existing.remove();
      }
      var field = document.createElement("input");
      field.type = "text";
      field.readOnly = true;
      field.className = "copy-fallback";
      field.value = url;
      field.setAttribute("aria-label", msg("copy_fallback_label", "Link to this moment; copy it with your keyboard or menu"));
      button.insertAdjacentElement("afterend", field);
      field.focus();
      field.select();
      field.addEventListener("blur", function () { field.remove(); });
      announceMsg("copy_unavailable", "Copying is not available here. The link is selected: copy it with your keyboard or menu.");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(done, fallback);
    } else {
      fallback();
    }
  }

  function focusableLines() {
    return lines.filter(function (line) { return line.hasAttribute("tabindex"); });
  }

  if (list) {
    var hint = document.getElementById("line-hint");
    lines.forEach(function (line) {
      if (line.classList.contains("withheld")) {
        return;
      }
      var time = parseFloat(line.getAttribute("data-start")) || 0;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy-link";
      var label = document.createElement("span");
      label.className = "copy-label";
      say(label, "copy_link", "Copy link");
      var context = document.createElement("span");
      context.className = "visually-hidden";
      say(context, "copy_link_to", " to {time}", { time: clock(time) });
      button.appendChild(label);
      button.appendChild(context);
      line.appendChild(button);
      if (player) {
        line.setAttribute("tabindex", "0");
        if (hint) {
          line.setAttribute("aria-describedby", "line-hint");
        }
        var link = line.querySelector("a.time");
        if (link) {
          // The line itself is the keyboard stop; the time link stays for mouse users and sharing.
          link.setAttribute("tabindex", "-1");
        }
      }
    });
    if (hint && player) {
      hint.hidden = false;
    }

    list.addEventListener("click", function (event) {
      var button = event.target.closest("button.copy-link");
      var line = event.target.closest("li.line");
      if (!line || !list.contains(line)) {
        return;
      }
      if (button) {
        copyLink(line, button);
        return;
      }
      if (event.target.closest("input.copy-fallback") || !player || line.classList.contains("withheld")) {
        return;
      }
      var link = event.target.closest("a.time");
      if (link) {
        if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) {
          return; // opening in a new tab keeps working
        }
        event.preventDefault();
      } else {
        var selection = window.getSelection ? window.getSelection().toString() : "";
        if (selection) {
          return; // the reader is selecting text to copy, not asking to seek
        }
      }
      seekTo(parseFloat(line.getAttribute("data-start")) || 0, true);
      line.focus({ preventScroll: true });
    });

    list.addEventListener("keydown", function (event) {
      var line = event.target;
      if (!line.matches || !line.matches("li.line[tabindex]")) {
        return;
      }
      if (event.key === "Enter" || event.key === " " || event.key === "Spacebar") {
        event.preventDefault();
        seekTo(parseFloat(line.getAttribute("data-start")) || 0, true);
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        var focusable = focusableLines();
        var at = focusable.indexOf(line) + (event.key === "ArrowDown" ? 1 : -1);
        if (at >= 0 && at < focusable.length) {
          event.preventDefault();
          focusable[at].focus();
        }
      }
    });

    var noteUserScroll = function () { userScrolledAt = Date.now(); };
    list.addEventListener("wheel", noteUserScroll, { passive: true });
    list.addEventListener("touchmove", noteUserScroll, { passive: true });
    list.addEventListener("scroll", function () {
      if (Date.now() - programmaticScrollAt > 1000) {
        noteUserScroll();
      }
    }, { passive: true });
  }

  chapters.forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!player || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) {
        return;
      }
      event.preventDefault();
      seekTo(parseFloat(link.getAttribute("data-start")) || 0, true);
    });
  });

  // ------------------------------------------------------------------ search

  var form = document.getElementById("transcript-search");
  var input = document.getElementById("transcript-query");
  var countOut = document.getElementById("search-count");
  var matches = [];
  var matchAt = -1;
  var searched = null;
  var originals = new Map();

  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  function clearMarks() {
    originals.forEach(function (text, span) { span.textContent = text; });
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
    var pattern = new RegExp(escapeRegExp(query.normalize("NFC")), "giu");
    var lineCount = 0;
    lines.forEach(function (line) {
      var span = line.querySelector(".text");
      if (!span || line.classList.contains("withheld")) {
        return;
      }
      var text = span.textContent;
      pattern.lastIndex = 0;
      if (!pattern.test(text.normalize("NFC"))) {
        return;
      }
      text = text.normalize("NFC");
      originals.set(span, span.textContent);
      lineCount += 1;
      var fragment = document.createDocumentFragment();
      var last = 0;
      pattern.lastIndex = 0;
      var found;
      while ((found = pattern.exec(text)) !== null) {
        if (found[0] === "") {
          pattern.lastIndex += 1;
          continue;
        }
        fragment.appendChild(document.createTextNode(text.slice(last, found.index)));
        var mark = document.createElement("mark");
        mark.textContent = found[0];
        fragment.appendChild(mark);
        matches.push({ line: line, mark: mark });
        last = found.index + found[0].length;
      }
      fragment.appendChild(document.createTextNode(text.slice(last)));
      span.textContent = "";
      span.appendChild(fragment);
    });
    if (!matches.length) {
      say(countOut, "no_matches", "No matches");
    } else {
      say(countOut, "match_count", "{matches} " + (matches.length === 1 ? "match" : "matches") + " in {lines} " +
          (lineCount === 1 ? "line" : "lines"), { matches: matches.length, lines: lineCount });
    }
  }

  function jump(step) {
    var query = input.value.trim();
    if (query !== searched) {
      runSearch(query);
    }
    if (!matches.length) {
      if (query) {
        announceMsg("no_matches_for", "No matches for {query}.", { query: query });
      } else {
        announceMsg("type_to_find", "Type words to find.");
      }
      return;
    }
    if (matchAt >= 0 && matches[matchAt]) {
      matches[matchAt].mark.classList.remove("match-current");
    }
    matchAt = matchAt < 0 ? (step > 0 ? 0 : matches.length - 1) : (matchAt + step + matches.length) % matches.length;
    var match = matches[matchAt];
    match.mark.classList.add("match-current");
    var time = parseFloat(match.line.getAttribute("data-start")) || 0;
    say(countOut, "match_n", "Match {n} of {total}", { n: matchAt + 1, total: matches.length });
    if (player) {
      seekTo(time, false);
    } else {
      keepInView(match.line, true);
    }
    announceMsg("match_n_at", "Match {n} of {total}, at {time}.", { n: matchAt + 1, total: matches.length, time: clock(time) });
  }

  if (form && input && countOut) {
    form.hidden = false;
    var timer = null;
    var spoken = null;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      window.clearTimeout(spoken);
      timer = window.setTimeout(function () { runSearch(input.value.trim()); }, 150);
      // The count is read out once the reader pauses typing, not at every keystroke.
      spoken = window.setTimeout(function () {
        if (countOut.textContent) {
          announce(countOut.textContent + ".", countOut.getAttribute("lang") === "en");
        }
      }, 900);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        input.value = "";
        runSearch("");
      } else if (event.key === "Enter" && event.shiftKey) {
        event.preventDefault();
        jump(-1);
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      window.clearTimeout(timer);
      window.clearTimeout(spoken);
      jump(1);
    });
    var previous = document.getElementById("search-prev");
    if (previous) {
      previous.addEventListener("click", function () { jump(-1); });
    }
  }

  // ------------------------------------------------------------------ start position and autoplay

  var start = hashTime();
  if (start === null) {
    start = parseFloat(root.getAttribute("data-start")) || 0;
  }
  if (player) {
    if (start > 0) {
      whenReady(function () {
        if (Math.abs(player.currentTime - start) > 0.25) {
          player.currentTime = start;
        }
        sync(true);
      });
      setCurrentLine(lastIndexAtOrBefore(starts, start), true, true);
      setCurrentChapter(lastIndexAtOrBefore(chapterStarts, start), false);
    }
    if (root.getAttribute("data-autoplay") === "1") {
      var note = document.getElementById("autoplay-note");
      var refused = function () {
        if (note) {
          note.hidden = false;
        }
        player.focus();
      };
      var attempt = player.play();
      if (attempt && attempt.then) {
        attempt.then(function () { player.focus(); }, refused);
      }
    }
    window.addEventListener("hashchange", function () {
      var time = hashTime();
      if (time !== null) {
        seekTo(time, false);
      }
    });
  }
}());
