"use strict";

function showOnce(boxId, valueId, value) {
  document.getElementById(valueId).textContent = value;
  document.getElementById(boxId).hidden = false;
}

async function loadHooks() {
  const [hooks, datasources] = await Promise.all([fl.api("GET", "/hooks"), fl.api("GET", "/datasources")]);
  // Datasources that look like a Jira site come first; nothing is chosen
  // for the admin, because a hook writes to the datasource picked here.
  const looksLikeJira = (ds) => /atlassian\.net|\/rest\/api\//.test((ds.baseUrl || "") + " " + (ds.testPath || ""));
  const sorted = [...datasources.items].sort((a, b) => Number(looksLikeJira(b)) - Number(looksLikeJira(a)));
  const names = {};
  const select = document.getElementById("hook-jira");
  select.replaceChildren();
  const placeholder = fl.el("option", "Choose the datasource of your Jira site");
  placeholder.value = "";
  select.append(placeholder);
  for (const ds of sorted) {
    names[ds.id] = ds.name;
    const option = fl.el("option", ds.name + " (" + ds.baseUrl + ")");
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
        await loadAudit();
      } catch (err) {
        fl.flash(err.message);
      }
    });
    body.append(fl.row([hook.name, fl.el("code", hook.url), names[hook.jiraDatasource] || hook.jiraDatasource,
      hook.ruleSet || "default", (hook.projectKeys || []).join(", "), rotate]));
  }
}

async function loadTokens() {
  const tokens = await fl.api("GET", "/tokens");
  const body = document.querySelector("#token-list tbody");
  body.replaceChildren();
  for (const token of tokens.tokens) {
    const revoke = fl.el("button", "Revoke");
    revoke.type = "button";
    revoke.className = "danger";
    revoke.addEventListener("click", async function () {
      if (!confirm("Revoke token " + token.name + "?")) {
        return;
      }
      try {
        await fl.api("DELETE", "/tokens/" + encodeURIComponent(token.id));
        await Promise.all([loadTokens(), loadAudit()]);
      } catch (err) {
        fl.flash(err.message);
      }
    });
    body.append(fl.row([token.name, token.scope, token.createdBy, fl.time(token.createdAt), fl.time(token.lastUsedAt), revoke]));
  }
}

async function loadAudit() {
  const audit = await fl.api("GET", "/audit");
  const body = document.querySelector("#audit-list tbody");
  body.replaceChildren();
  for (const entry of audit.entries) {
    body.append(fl.row([fl.time(entry.at), entry.actor, entry.detail || "", entry.action, entry.target]));
  }
}

document.getElementById("hook-form").addEventListener("submit", async function (event) {
  event.preventDefault();
  try {
    const created = await fl.api("POST", "/hooks", {
      name: fl.value("hook-name"), jiraDatasource: fl.value("hook-jira"), ruleSet: fl.value("hook-ruleSet") || undefined,
    });
    showOnce("hook-secret", "hook-secret-value", created.secret);
    await Promise.all([loadHooks(), loadAudit()]);
  } catch (err) {
    fl.flash(err.message);
  }
});

document.getElementById("token-form").addEventListener("submit", async function (event) {
  event.preventDefault();
  try {
    const created = await fl.api("POST", "/tokens", { name: fl.value("token-name"), scope: fl.value("token-scope") });
    showOnce("token-once", "token-value", created.token);
    await Promise.all([loadTokens(), loadAudit()]);
  } catch (err) {
    fl.flash(err.message);
  }
});

for (const load of [loadHooks, loadTokens, loadAudit]) {
  load().catch((err) => fl.flash(err.message));
}
