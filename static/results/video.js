/*
 * Click-to-load video: the placeholder names the service and what loading
 * it shares; only a click on its button puts the player (an iframe from the
 * service's privacy-friendly host) on the page, and focus moves into it so
 * that a keyboard user is in the player. Without JavaScript the placeholder
 * keeps its link to the film on the service's own site.
 */
const placeholders = document.querySelectorAll("[data-video-src]");

for (const placeholder of placeholders) {
  const button = placeholder.querySelector("[data-load-video]");
  if (!button || placeholder.dataset.ready) {
    continue;
  }
  placeholder.dataset.ready = "1";
  button.hidden = false;
  button.addEventListener("click", () => {
    const frame = document.createElement("iframe");
    frame.src = placeholder.dataset.videoSrc;
    frame.title = placeholder.dataset.videoTitle;
    frame.className = "video-frame";
    frame.allow = "autoplay; fullscreen; picture-in-picture";
    frame.allowFullscreen = true;
    frame.referrerPolicy = "strict-origin-when-cross-origin";
    placeholder.replaceWith(frame);
    frame.focus();
  });
}
