/*
 * Listening pages: keeps the transcript in step with the native media player.
 *
 * Progressive enhancement only. Without this script the page is a readable transcript with a
 * native player and plain ?t= links. With it: the spoken line is highlighted (aria-current) and
 * kept in view, lines seek on click/Enter/Space, chapters and time links seek in place, words can
 * be found in the transcript, every line gets a "Copy link" button, and the speed can be set.
 * Screen readers hear a polite announcement only on chapter changes or when the user asks.
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
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var EPSILON = 0.05;
  var currentLine = -1;
  var currentChapter = -1;
  var chapterKnown = false;
  var userScrolledAt = 0;
  var programmaticScrollAt = 0;

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

  function announce(message) {
    if (!announcer) {
      return;
    }
    // Clearing first makes a repeated message be spoken again.
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = message; }, 60);
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

  function lineText(line) {
    if (line.classList.contains("withheld")) {
      return "Withheld passage.";
    }
    var speaker = line.querySelector(".speaker");
    var text = line.querySelector(".text");
    return (speaker ? speaker.textContent + " " : "") + (text ? text.textContent : "");
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
        announce("Chapter " + (index + 1) + ": " + (title ? title.textContent : ""));
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
    setCurrentChapter(lastIndexAtOrBefore(chapterStarts, time), !player.paused || force === "user");
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

    var where = document.getElementById("where-am-i");
    if (where) {
      where.addEventListener("click", function () {
        var time = player.currentTime || 0;
        var parts = [(player.paused ? "Paused at " : "Playing at ") + clock(time) + "."];
        var chapterIndex = lastIndexAtOrBefore(chapterStarts, time);
        if (chapterIndex >= 0) {
          var title = chapters[chapterIndex].querySelector(".chapter-title");
          parts.push("Chapter " + (chapterIndex + 1) + ": " + (title ? title.textContent : "") + ".");
        }
        var lineIndex = lastIndexAtOrBefore(starts, time);
        if (lineIndex >= 0) {
          parts.push(lineText(lines[lineIndex]));
          keepInView(lines[lineIndex], true);
        }
        announce(parts.join(" "));
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
        label.textContent = "Copied";
        window.setTimeout(function () { label.textContent = "Copy link"; }, 2000);
      }
      announce("Link copied.");
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
      field.setAttribute("aria-label", "Link to this moment; copy it with your keyboard or menu");
      button.insertAdjacentElement("afterend", field);
      field.focus();
      field.select();
      field.addEventListener("blur", function () { field.remove(); });
      announce("Copying is not available here. The link is selected: copy it with your keyboard or menu.");
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
      label.textContent = "Copy link";
      var context = document.createElement("span");
      context.className = "visually-hidden";
      context.textContent = " to " + clock(time);
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
      countOut.textContent = "No matches";
    } else {
      countOut.textContent = matches.length + (matches.length === 1 ? " match" : " matches") +
        " in " + lineCount + (lineCount === 1 ? " line" : " lines");
    }
  }

  function jump(step) {
    var query = input.value.trim();
    if (query !== searched) {
      runSearch(query);
    }
    if (!matches.length) {
      announce(query ? "No matches for " + query + "." : "Type words to find.");
      return;
    }
    if (matchAt >= 0 && matches[matchAt]) {
      matches[matchAt].mark.classList.remove("match-current");
    }
    matchAt = matchAt < 0 ? (step > 0 ? 0 : matches.length - 1) : (matchAt + step + matches.length) % matches.length;
    var match = matches[matchAt];
    match.mark.classList.add("match-current");
    var time = parseFloat(match.line.getAttribute("data-start")) || 0;
    countOut.textContent = "Match " + (matchAt + 1) + " of " + matches.length;
    if (player) {
      seekTo(time, false);
    } else {
      keepInView(match.line, true);
    }
    announce("Match " + (matchAt + 1) + " of " + matches.length + ", at " + clock(time) + ".");
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
          announce(countOut.textContent + ".");
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
