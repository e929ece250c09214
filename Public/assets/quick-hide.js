// Quick-hide by keyboard: Escape pressed twice within a second follows the page's "Hide this page" link, as a click
// on it does. The link works without this script; this is the only script the pages load. location.replace keeps
// the hidden page out of the browser's history.
(function () {
  "use strict";
  var last = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") { return; }
    var now = Date.now();
    if (now - last < 1000) {
      var link = document.querySelector("a.quick-hide");
      if (link) { window.location.replace(link.href); }
    }
    last = now;
  });
}());
