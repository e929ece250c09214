// The pages' one script, from our own origin (script-src 'self'). Every page works without it; it adds three things
// for those whose browser runs it.
//
// 1. On a page refused for mistakes, focus goes to the list of them (the GOV.UK error summary), so that keyboard and
//    screen reader users start from it; each mistake links to its field, where the error is read again.
// 2. Quick-hide by keyboard: Escape pressed twice within a second follows the page's "Hide this page" link, as a
//    click on it does. location.replace keeps the hidden page out of the browser's history.
// 3. A live character count under every text box with a limit of 200 characters or more. The limit itself is in the
//    page's own hint ("Up to 2,000 characters."), so it is there without this script. The count shown is for the
//    eye; screen readers hear it only once typing pauses, and only when few characters are left, so that it does
//    not speak over every key.
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
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

  function grouped(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function words(used, limit) {
    var left = limit - used;
    if (left <= 0) { return "You have reached the limit of " + grouped(limit) + " characters."; }
    return grouped(used) + " of " + grouped(limit) + " characters used, " + grouped(left) + " left.";
  }

  function count(box) {
    var limit = parseInt(box.getAttribute("maxlength"), 10);
    if (!(limit >= 200)) { return; }
    var shown = document.createElement("p");
    shown.className = "hint character-count";
    shown.id = box.id ? box.id + "-count" : "";
    shown.setAttribute("aria-hidden", "true");
    var heard = document.createElement("p");
    heard.className = "visually-hidden";
    heard.setAttribute("aria-live", "polite");
    box.insertAdjacentElement("afterend", shown);
    shown.insertAdjacentElement("afterend", heard);
    var pause = null;
    function update() {
      var used = box.value.length;
      shown.textContent = words(used, limit);
      shown.classList.toggle("character-count-near", limit - used <= limit / 10);
      if (pause) { clearTimeout(pause); }
      pause = setTimeout(function () {
        heard.textContent = (limit - used <= limit / 10) ? words(used, limit) : "";
      }, 1000);
    }
    box.addEventListener("input", update);
    shown.textContent = words(box.value.length, limit);
  }

  function start() {
    var boxes = document.querySelectorAll("textarea[maxlength], input[type=text][maxlength]");
    for (var i = 0; i < boxes.length; i += 1) { count(boxes[i]); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
