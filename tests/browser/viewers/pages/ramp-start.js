// Load mime-db's JSON as the global Ramp expects, then Ramp itself, then render the player for ?manifest=URL.
const manifestUrl = new URLSearchParams(location.search).get("manifest");
fetch("../node_modules/mime-db/db.json").then((response) => response.json()).then((db) => {
  window.mimeDb = db;
  const script = document.createElement("script");
  script.src = "../node_modules/@samvera/ramp/dist/ramp.umd.js";
  script.onload = () => {
    const Ramp = window.nulibAdminUIComponents;
    const h = React.createElement;
    const app = h(Ramp.IIIFPlayer, { manifestUrl },
      h(Ramp.MediaPlayer, { enableFileDownload: false }),
      h(Ramp.StructuredNavigation, {}));
    // No Ramp.Transcript: its WebVTT check refuses any header line after "WEBVTT" (ours say "Language: ko"),
    // which WebVTT parsers are to skip; Ramp's own limit (tests/browser/test_iiif_viewers.py says so).
    ReactDOM.createRoot(document.getElementById("ramp")).render(app);
  };
  document.head.appendChild(script);
});
