"use strict";

// nextPage returns the page the sign-in was requested for, when it is a
// path on this site, so a crafted link cannot send the user elsewhere.
function nextPage() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  if (!next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) {
    return "/";
  }
  return next;
}

document.getElementById("login-form").addEventListener("submit", async function (event) {
  event.preventDefault();
  fl.flash("");
  try {
    await fl.api("POST", "/session", { username: fl.value("username"), password: document.getElementById("password").value });
    location.assign(nextPage());
  } catch (err) {
    fl.flash(err.message);
  }
});

// showSingleSignOn shows the single sign-on link when the server has it,
// and the message for a failed single sign-on that sent the user back here.
// A server without single sign-on returns 404, and the page keeps the
// password form only.
async function showSingleSignOn() {
  const code = new URLSearchParams(location.search).get("sso_error");
  const query = code ? "?error=" + encodeURIComponent(code) : "";
  let status;
  try {
    const response = await fetch("/api/v1/sso" + query, { credentials: "same-origin" });
    if (!response.ok) {
      return;
    }
    status = await response.json();
  } catch (err) {
    return;
  }

  const link = document.getElementById("sso-login");
  link.textContent = "Sign in with " + status.displayName;
  link.href = status.loginUrl + "?next=" + encodeURIComponent(nextPage());
  document.getElementById("sso").hidden = false;
  if (status.error) {
    fl.flash(status.error);
  }
}

showSingleSignOn();
