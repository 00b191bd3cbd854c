// Move focus to an error summary so screen-reader and keyboard users hear what is wrong.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-autofocus]");
  if (summary) { summary.focus(); }
});
