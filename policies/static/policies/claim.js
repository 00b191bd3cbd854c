// "Claim now" on the calculator: the claim's live status arrives in the policy's card
// (htmx); the focus moves to it so that a screen-reader user hears the outcome, and stays
// there while the status updates (the poll replaces the panel inside, never the region).
document.addEventListener("htmx:afterSettle", function (event) {
  var target = event.detail && event.detail.target;
  if (target && target.hasAttribute && target.hasAttribute("data-claim-result")) {
    var form = target.previousElementSibling;
    if (form && form.classList.contains("claim-form")) { form.remove(); }  // claimed: no second "Claim now"
    target.focus();
  }
});
