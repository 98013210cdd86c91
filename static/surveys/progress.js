/*
 * The lead's progress bar: while a send is running, ask the server every two
 * seconds how far it has come and update the bar and the counts, without
 * reloading the page. Without JavaScript the page shows the counts as they
 * were when it loaded, with a link to update it.
 */
(function () {
  "use strict";

  function init() {
    var section = document.querySelector("[data-progress-url]");
    if (!section || section.dataset.pending === "0") {
      return;
    }
    var bar = section.querySelector("[data-progress-bar]");
    var text = section.querySelector("[data-progress-text]");
    var done = section.querySelector("[data-progress-done]");
    var template = section.dataset.textTemplate;
    var finished = section.dataset.finishedText;
    var waitingBox = section.querySelector("[data-progress-waiting]");
    var waitingText = section.querySelector("[data-progress-waiting-text]");
    var wasWaiting = Boolean(waitingBox && !waitingBox.hidden);
    var heldBox = section.querySelector("[data-progress-held]");
    var heldText = section.querySelector("[data-progress-held-text]");

    function update() {
      fetch(section.dataset.progressUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.json();
        })
        .then(function (data) {
          var progress = data.progress;
          if (!progress) {
            return;
          }
          bar.max = progress.total;
          bar.value = progress.done;
          bar.textContent = progress.percent + " %";
          text.textContent = template
            .replace("{done}", progress.done)
            .replace("{total}", progress.total)
            .replace("{sent}", progress.sent)
            .replace("{failed}", progress.failed);
          if (waitingBox) {
            if (progress.waiting > 0) {
              waitingText.textContent = waitingBox.dataset.waitingTemplate
                .replace("{waiting}", progress.waiting)
                .replace("{problem}", progress.problem)
                .replace("{time}", progress.next_try_time);
              waitingBox.hidden = false;
              wasWaiting = true;
            } else {
              waitingBox.hidden = true;
              if (wasWaiting && progress.pending > 0) {
                done.textContent = done.dataset.recoveredText;
              }
              wasWaiting = false;
            }
          }
          if (heldBox) {
            // Why the emails wait (a sending limit, a pause the server asked
            // for): changed only when the sentence changes, so that screen
            // readers hear it once, politely.
            var held = progress.held_text || "";
            if (heldText.textContent.replace(/\s+/g, " ").trim() !== held) {
              heldText.textContent = held;
            }
            heldBox.hidden = !held;
          }
          Object.keys(data.counts).forEach(function (name) {
            var cell = document.querySelector("[data-count='" + name + "']");
            if (cell) {
              cell.textContent = data.counts[name];
            }
          });
          if (progress.pending > 0) {
            window.setTimeout(update, 2000);
          } else {
            // One announcement when the send is over, not one per update.
            done.textContent = finished;
          }
        })
        .catch(function () {
          window.setTimeout(update, 10000);
        });
    }

    window.setTimeout(update, 1000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
