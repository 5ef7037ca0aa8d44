/*
 * The player's wording in the interface language.
 *
 * The page may provide it as JSON in <div id="player-messages" hidden data-messages='{"copy_link": "...", ...}'>
 * (templates/public/testimony.html; an English page provides none). Any message it lacks is said in English,
 * and is then marked lang="en" on a page in another language so screen readers pronounce it correctly.
 */

// Fills {name} placeholders from values; an unknown placeholder stays as it is.
export function fill(template, values) {
  return String(template || "").replace(/\{(\w+)\}/g, (whole, name) =>
    values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole);
}

// The language of an element's text (its own or inherited lang), or "".
export function langOf(element) {
  const holder = element && element.closest ? element.closest("[lang]") : null;
  return holder ? holder.getAttribute("lang") : "";
}

// The translations in a data-messages attribute (or a JSON script element's text), or {}.
function read(node) {
  if (!node) {
    return {};
  }
  try {
    return JSON.parse(node.getAttribute("data-messages") || node.textContent) || {};
  } catch (error) {
    return {};
  }
}

// The messages of node (#player-messages) for a page whose <html lang> is pageLang.
export function readMessages(node, pageLang) {
  const messages = read(node);
  const pageIsEnglish = /^en\b/i.test(pageLang || "en");
  const has = (key) => typeof messages[key] === "string" && messages[key];

  // The wording of key with values filled in, in English when the page gives no translation.
  function msg(key, english, values) {
    return fill(has(key) ? messages[key] : english, values);
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

  // A message as parts [{text, lang}]: values keep their own language (langs[name]), the wording is in
  // the page language, or marked English when it fell back to English.
  function parts(key, english, values, langs) {
    const translated = !pageIsEnglish && has(key);
    const template = translated ? messages[key] : english;
    const wordingLang = translated || pageIsEnglish ? "" : "en";
    const result = [];
    let last = 0;
    template.replace(/\{(\w+)\}/g, (whole, name, offset) => {
      result.push({ text: template.slice(last, offset), lang: wordingLang });
      const known = values && Object.prototype.hasOwnProperty.call(values, name);
      result.push({ text: known ? String(values[name]) : whole, lang: (langs && langs[name]) || wordingLang });
      last = offset + whole.length;
      return whole;
    });
    result.push({ text: template.slice(last), lang: wordingLang });
    return result;
  }

  return { msg, say, parts, pageIsEnglish };
}
