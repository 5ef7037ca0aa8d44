/*
 * The search page on a phone: the facets fold behind their "Filters" button (details#filters), above the
 * results, so the results come first; on a wide screen they are always open beside the results.
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
