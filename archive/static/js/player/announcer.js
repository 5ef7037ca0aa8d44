/*
 * The polite live region (#announcer). It speaks only when the user acts (seeks to a line or chapter, asks
 * "Where am I?", searches, copies a link) and, unless "Announce each new chapter" is off, once per chapter
 * change during playback; never on timeupdate otherwise, so it does not talk over the recording.
 */

import { langOf } from "./messages.js";

// announce(message, english): message is a string, or parts [{text, lang}] from messages.parts (each spoken
// in its own language); english marks a plain string that fell back to English. announceMsg says a message.
export function createAnnouncer(region, messages) {
  function announce(message, english) {
    if (!region) {
      return;
    }
    const parts = typeof message === "string"
      ? [{ text: message, lang: english && !messages.pageIsEnglish ? "en" : "" }] : message;
    // Clearing first makes a repeated message be spoken again.
    region.textContent = "";
    window.setTimeout(() => {
      region.textContent = "";
      for (const part of parts) {
        if (!part.text) {
          continue;
        }
        if (part.lang) {
          const span = document.createElement("span");
          span.setAttribute("lang", part.lang);
          span.textContent = part.text;
          region.appendChild(span);
        } else {
          region.appendChild(document.createTextNode(part.text));
        }
      }
    }, 60);
  }

  function announceMsg(key, english, values) {
    announce(messages.parts(key, english, values));
  }

  // "Chapter 2: Title" for chapter link number index (from 0), the title in its own language.
  function chapterParts(link, index) {
    const title = link.querySelector(".chapter-title");
    return messages.parts("chapter", "Chapter {n}: {title}", { n: index + 1, title: title ? title.textContent : "" },
                          { title: langOf(title) });
  }

  // What a transcript line says (speaker and text), each in its own language.
  function lineParts(line) {
    if (line.classList.contains("withheld")) {
      return messages.parts("withheld", "Withheld passage.");
    }
    const speaker = line.querySelector(".speaker");
    const text = line.querySelector(".text");
    // A role the server said in the interface language (speaker_role) keeps that language.
    const parts = speaker ? [{ text: speaker.textContent + " ", lang: langOf(speaker) }] : [];
    return parts.concat([{ text: text ? text.textContent : "", lang: langOf(line) }]);
  }

  return { announce, announceMsg, chapterParts, lineParts };
}
