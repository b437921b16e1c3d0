// While an export is being prepared, reload its status page every few seconds. Without
// JavaScript the page offers a "Refresh" link instead.
(function () {
  "use strict";
  var pending = document.querySelector("[data-export-pending]");
  if (pending) {
    window.setTimeout(function () { window.location.reload(); }, 2500);
  }
})();
