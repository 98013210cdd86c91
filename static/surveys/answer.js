/*
 * The answer page: move focus to the error summary when the server found
 * problems, and send the form once however often the button is pressed
 * (the server also stores at most one answer per link).
 */
(function () {
  "use strict";

  function init() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
    var form = document.querySelector("[data-answer-form]");
    if (!form) {
      return;
    }
    form.addEventListener("submit", function (event) {
      if (form.dataset.submitted) {
        event.preventDefault();
        return;
      }
      form.dataset.submitted = "true";
      var button = form.querySelector("[type=submit]");
      if (button) {
        button.setAttribute("aria-disabled", "true");
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
