"use strict";

// The token and audit routes follow the shapes documented for
// /api/v1/tokens and /api/v1/audit.
// NOTE: those routes were not served yet when this page was written, so
// the tokens and audit sections show the API's error until they are.

function showOnce(boxId, valueId, value) {
  document.getElementById(valueId).textContent = value;
  document.getElementById(boxId).hidden = false;
}

async function loadHooks() {
  const [hooks, datasources] = await Promise.all([fl.api("GET", "/hooks"), fl.api("GET", "/datasources")]);
  const select = document.getElementById("hook-jira");
  select.replaceChildren();
  for (const ds of datasources.items) {
    const option = fl.el("option", ds.name);
    option.value = ds.id;
    select.append(option);
  }

  const body = document.querySelector("#hook-list tbody");
  body.replaceChildren();
  for (const hook of hooks.items) {
    const rotate = fl.el("button", "Rotate secret");
    rotate.type = "button";
    rotate.addEventListener("click", async function () {
      try {
        const rotated = await fl.api("POST", "/hooks/" + encodeURIComponent(hook.id) + "/secret");
        showOnce("hook-secret", "hook-secret-value", rotated.secret);
      } catch (err) {
        fl.flash(err.message);
      }
    });
    body.append(fl.row([hook.name, fl.el("code", hook.url), hook.ruleSet || "default", (hook.projectKeys || []).join(", "), rotate]));
  }
}

async function loadTokens() {
  const tokens = await fl.api("GET", "/tokens");
  const body = document.querySelector("#token-list tbody");
  body.replaceChildren();
  for (const token of tokens.items) {
    const revoke = fl.el("button", "Revoke");
    revoke.type = "button";
    revoke.className = "danger";
    revoke.addEventListener("click", async function () {
      if (!confirm("Revoke token " + token.name + "?")) {
        return;
      }
      try {
        await fl.api("DELETE", "/tokens/" + encodeURIComponent(token.id));
        await loadTokens();
      } catch (err) {
        fl.flash(err.message);
      }
    });
    body.append(fl.row([token.name, fl.time(token.createdAt), fl.time(token.lastUsedAt), revoke]));
  }
}

async function loadAudit() {
  const audit = await fl.api("GET", "/audit");
  const body = document.querySelector("#audit-list tbody");
  body.replaceChildren();
  for (const entry of audit.items) {
    body.append(fl.row([fl.time(entry.time || entry.at), entry.username || entry.user, entry.action, entry.target]));
  }
}

document.getElementById("hook-form").addEventListener("submit", async function (event) {
  event.preventDefault();
  try {
    const created = await fl.api("POST", "/hooks", {
      name: fl.value("hook-name"), jiraDatasource: fl.value("hook-jira"), ruleSet: fl.value("hook-ruleSet") || undefined,
    });
    showOnce("hook-secret", "hook-secret-value", created.secret);
    await loadHooks();
  } catch (err) {
    fl.flash(err.message);
  }
});

document.getElementById("token-form").addEventListener("submit", async function (event) {
  event.preventDefault();
  try {
    const created = await fl.api("POST", "/tokens", { name: fl.value("token-name") });
    showOnce("token-once", "token-value", created.token);
    await loadTokens();
  } catch (err) {
    fl.flash(err.message);
  }
});

for (const load of [loadHooks, loadTokens, loadAudit]) {
  load().catch((err) => fl.flash(err.message));
}
