/*
 * The player's bar (#player-bar, under the native controls): "Back 15 s" and "Forward 15 s" seek with the
 * transcript following, and the current chapter's number and title are shown (for the eye: screen readers
 * have the chapter list, which marks the current chapter, and the chapter announcements). On a phone the
 * dock holding the player and this bar stays on screen while the transcript scrolls (player.css).
 */

// page: {player, chapters, sync} (see main.js).
export function setupDock({ player, chapters, sync }) {
  const bar = document.getElementById("player-bar");
  if (!bar || !player) {
    return;
  }
  bar.hidden = false;
  for (const button of bar.querySelectorAll("button[data-step]")) {
    button.addEventListener("click", () => {
      const duration = isFinite(player.duration) ? player.duration : Infinity;
      const step = parseFloat(button.getAttribute("data-step")) || 0;
      sync.seekTo(Math.min(duration, Math.max(0, (player.currentTime || 0) + step)), false);
    });
  }
  const label = document.getElementById("dock-chapter");
  if (!label || !chapters.length) {
    return;
  }
  let shown = null;
  const update = () => {
    const index = sync.chapterAt(player.currentTime || 0);
    if (index === shown) {
      return;
    }
    shown = index;
    const title = index >= 0 ? chapters[index].querySelector(".chapter-title") : null;
    label.textContent = title ? `${index + 1}. ${title.textContent}` : "";
    label.lang = title ? (title.closest("[lang]") || document.documentElement).getAttribute("lang") || "" : "";
  };
  for (const name of ["timeupdate", "seeked", "loadedmetadata"]) {
    player.addEventListener(name, update);
  }
  update();
}
