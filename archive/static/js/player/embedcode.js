/*
 * "Copy embed code" on the listening page: puts the <iframe> of the embeddable player on the clipboard.
 * Without JavaScript (or a clipboard) the code stays in its read-only field, selected for copying by hand.
 */

function main() {
  const field = document.getElementById("embed-code");
  const button = document.getElementById("copy-embed-code");
  const status = document.getElementById("embed-code-status");
  if (!field || !button || !status) {
    return;
  }
  button.hidden = false;
  const say = (key) => {
    status.textContent = status.getAttribute(key) || "";
  };
  const byHand = () => {
    field.focus();
    field.select();
    say("data-by-hand");
  };
  button.addEventListener("click", () => {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(() => say("data-copied"), byHand);
    } else {
      byHand();
    }
  });
}

main();
