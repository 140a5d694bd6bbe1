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
