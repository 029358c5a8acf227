/* Aftershock: keyboard access to the article's highlights, and limits on article input that
 * dcc.Upload and the paste box cannot express.
 *
 * - Enter or Space on a highlighted company or date (role="button") clicks it.
 * - A chosen or dropped file over the limit (data-max-bytes on the upload's wrapper) is reported
 *   through the store named by data-rejected-store; dcc.Upload alone drops it without a word.
 * - The paste box keeps at most data-max-chars characters: an enormous paste still ends in the
 *   inline "too long" message instead of a request the server refuses.
 */
(function () {
  "use strict";

  function reportTooLarge(files, wrapper) {
    var limit = Number(wrapper.dataset.maxBytes);
    for (var i = 0; i < files.length; i++) {
      if (files[i].size > limit) {
        window.dash_clientside.set_props(wrapper.dataset.rejectedStore, {
          data: { name: files[i].name, size: files[i].size, at: Date.now() },
        });
        return;
      }
    }
  }

  function within(target, selector) {
    return target instanceof Element ? target.closest(selector) : null;
  }

  document.addEventListener("keydown", function (event) {
    var mark = within(event.target, "mark[role=button]");
    if (mark && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      mark.click();
    }
  });

  // Capture phase: seen before the upload component handles (and swallows) the event.
  document.addEventListener(
    "change",
    function (event) {
      var wrapper = within(event.target, "[data-max-bytes]");
      if (wrapper && event.target.files) reportTooLarge(event.target.files, wrapper);
    },
    true
  );
  document.addEventListener(
    "drop",
    function (event) {
      var wrapper = within(event.target, "[data-max-bytes]");
      if (wrapper && event.dataTransfer) reportTooLarge(event.dataTransfer.files, wrapper);
    },
    true
  );

  document.addEventListener("focusin", function (event) {
    var box = event.target;
    var limit = within(box, "[data-max-chars]");
    if (limit && box.tagName === "TEXTAREA") box.maxLength = Number(limit.dataset.maxChars);
  });
})();
