// Send the CSRF token with every htmx request (Flask-WTF reads X-CSRFToken).
document.body.addEventListener("htmx:configRequest", function (event) {
  var holder = document.getElementById("csrf");
  if (holder) {
    event.detail.headers["X-CSRFToken"] = holder.dataset.token;
  }
});

// After a row is added or removed (buttons marked data-refresh-preview), refresh the form's live preview.
document.body.addEventListener("htmx:afterRequest", function (event) {
  var button = event.detail.elt;
  if (button && button.hasAttribute && button.hasAttribute("data-refresh-preview")) {
    var form = button.closest("form");
    if (form) {
      htmx.trigger(form, "refreshPreview");
    }
  }
});
