// Saves a form's text on the server as people write (progressive enhancement: the form works
// without this script, and every submit also keeps a draft). Forms opt in with
// data-autosave-url; the server answers {"id", "edit_url", "saved_at"}.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave-url]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = document.getElementById(form.getAttribute("data-autosave-status"));
  var timer = null;
  var dirty = false;
  var saving = false;

  function save() {
    if (!dirty || saving) { return; }
    saving = true;
    dirty = false;
    var data = new FormData(form);
    data.delete("attachment");
    data.set("action", "autosave");
    fetch(form.getAttribute("data-autosave-url"), {
      method: "POST", body: data, credentials: "same-origin",
      headers: {"X-Requested-With": "fetch", "Accept": "application/json"}
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (answer) {
      if (answer.edit_url && form.getAttribute("action") !== answer.edit_url) {
        form.setAttribute("action", answer.edit_url);
        form.setAttribute("data-autosave-url", answer.autosave_url);
      }
      if (status) { status.textContent = answer.message; }
    }).catch(function () {
      dirty = true;  // try again at the next change
      if (status) { status.textContent = status.getAttribute("data-failed"); }
    }).then(function () { saving = false; });
  }

  form.addEventListener("input", function () {
    dirty = true;
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(save, 3000);
  });
  // The submit itself keeps a draft: nothing more to send as the page goes.
  form.addEventListener("submit", function () {
    if (timer) { window.clearTimeout(timer); }
    dirty = false;
  });
  window.addEventListener("pagehide", save);
}());
