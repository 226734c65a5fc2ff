// Progressive enhancement only: every page reads the same without it.
(function () {
  "use strict";
  // Citations carry the page's address; without a configured base URL it is relative: complete it here.
  document.querySelectorAll("[data-path]").forEach(function (el) {
    var path = el.getAttribute("data-path");
    if (path && path.charAt(0) === "/") {
      el.textContent = el.textContent.split(path).join(window.location.origin + path);
    }
  });
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent.trim()).then(
        function () { button.textContent = "Copied"; },
        function () {
          var range = document.createRange();
          range.selectNodeContents(target);
          var selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
          button.textContent = "Selected: press Ctrl+C";
        }
      );
    });
  });
})();
