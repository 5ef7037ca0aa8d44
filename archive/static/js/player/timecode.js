/*
 * Time codes on the listening page: the one JavaScript place that shows a moment of a recording
 * (M:SS, or H:MM:SS from an hour on) and reads one back ("83", "83.5", "1:23", "1:02:03", "83s").
 * The same rules as the server's clock, seconds_param and parse_start (archive/formats/timecode.py).
 */

const pad = (n) => String(n).padStart(2, "0");

// A moment as M:SS or H:MM:SS, whole seconds rounded down ("0:00" for nothing or a negative time).
export function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds || 0));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = whole % 60;
  return hours ? `${hours}:${pad(minutes)}:${pad(secs)}` : `${minutes}:${pad(secs)}`;
}

// Seconds for a ?t= link: at most two decimals, no trailing zeros ("83", "38.3").
export function secondsParam(seconds) {
  return (Math.round(Math.max(0, seconds) * 100) / 100).toString();
}

// Seconds from a time code, or null when it is not one.
export function parseTime(raw) {
  if (!raw) {
    return null;
  }
  let value = 0;
  for (const part of String(raw).replace(/s$/, "").split(":")) {
    if (!/^\d+(\.\d+)?$/.test(part)) {
      return null;
    }
    value = value * 60 + parseFloat(part);
  }
  return isFinite(value) && value >= 0 ? value : null;
}

// The moment a URL fragment asks for (#t=65, #t=1:05, #x=1&t=…), or null.
export function hashTime(hash) {
  const match = /(?:^#|&)t=([^&]+)/.exec(hash);
  return match ? parseTime(decodeURIComponent(match[1])) : null;
}
