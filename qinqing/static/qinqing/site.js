// Move focus to an error summary so screen-reader and keyboard users hear what is wrong.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-autofocus]");
  if (summary) { summary.focus(); }
});

// Buttons marked data-print print the page (no inline onclick: the Content-Security-Policy
// forbids inline handlers).
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-print]") : null;
  if (button) { window.print(); }
});
