// Send the CSRF token with every htmx request (Flask-WTF reads X-CSRFToken).
document.body.addEventListener("htmx:configRequest", function (event) {
  var holder = document.getElementById("csrf");
  if (holder) {
    event.detail.headers["X-CSRFToken"] = holder.dataset.token;
  }
});
