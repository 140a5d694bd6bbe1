"use strict";

const form = document.getElementById("datasource-form");
const secretFields = ["password", "token", "apiKeyValue", "clientSecret", "clientPrivateKey", "tlsClientKey"];
const textFields = ["name", "baseUrl", "apiDocumentationUrl", "testPath", "caBundle"];
const authTextFields = ["username", "apiKeyName", "apiKeyIn", "tokenUrl", "clientId", "clientAuthentication",
  "clientCertificate", "tlsClientCertificate"];

function badge(text, kind) {
  const span = fl.el("span", text);
  span.className = "badge " + kind;
  return span;
}

function expiryBadges(ds) {
  const cell = fl.el("span");
  for (const expiry of ds.expiry || []) {
    if (expiry.status === "expired") {
      cell.append(badge(expiry.secret + " expired", "bad"));
    } else if (expiry.status === "expiring") {
      cell.append(badge(expiry.secret + " expires in " + expiry.daysLeft + " days", "warn"));
    } else {
      cell.append(fl.el("span", expiry.secret + " until " + new Date(expiry.expiresAt).toLocaleDateString()));
    }
  }
  return cell;
}

async function loadList() {
  const body = document.querySelector("#datasource-list tbody");
  const list = await fl.api("GET", "/datasources");
  body.replaceChildren();
  for (const ds of list.items) {
    const health = ds.health || {};
    const edit = fl.el("button", "Edit");
    edit.type = "button";
    edit.addEventListener("click", () => openForm(ds.id));
    const warnings = fl.el("ul", null, (ds.warnings || []).map((w) => fl.el("li", w)));
    warnings.className = "warnings";
    const status = badge(health.status || "untested", health.status === "healthy" ? "good" : health.status === "failing" ? "bad" : "");
    body.append(fl.row([ds.name, ds.baseUrl, ds.auth.mode, status, fl.time(health.lastTestAt),
      fl.time(health.lastSuccessAt), health.lastError || "", expiryBadges(ds), warnings, edit]));
  }
}

function showMode() {
  const mode = fl.value("ds-mode");
  for (const section of form.querySelectorAll("[data-mode]")) {
    section.hidden = section.dataset.mode !== mode;
  }
  const usesKey = fl.value("ds-clientAuthentication") === "private_key_jwt";
  form.querySelector('[data-client-auth="secret"]').hidden = usesKey;
  form.querySelector('[data-client-auth="private_key_jwt"]').hidden = !usesKey;
}

function fillForm(ds) {
  const auth = ds.auth || { mode: "none" };
  fl.set("ds-id", ds.id);
  for (const name of textFields) {
    fl.set("ds-" + name, ds[name]);
  }
  fl.set("ds-timeoutSeconds", ds.timeoutSeconds || "");
  fl.set("ds-connectTimeoutSeconds", ds.connectTimeoutSeconds || "");
  fl.set("ds-headers", fl.unlines(ds.headers, ": "));
  document.getElementById("ds-allowLoopback").checked = !!ds.allowLoopback;
  document.getElementById("ds-allowPrivateNetworks").checked = !!ds.allowPrivateNetworks;

  fl.set("ds-mode", auth.mode || "none");
  for (const name of authTextFields) {
    fl.set("ds-" + name, auth[name]);
  }
  fl.set("ds-apiKeyIn", auth.apiKeyIn || "header");
  fl.set("ds-clientAuthentication", auth.clientAuthentication || "body");
  fl.set("ds-scopes", (auth.scopes || []).join(" "));
  fl.set("ds-tokenParams", fl.unlines(auth.tokenParams, "="));
  document.getElementById("ds-sendX5t").checked = !!auth.sendX5t;
  fl.set("ds-secretExpiresAt", (auth.secretExpiresAt || "").slice(0, 10));

  // Secrets are write-only: the API only says whether one is stored.
  for (const name of secretFields) {
    const input = document.getElementById("ds-" + name);
    input.value = "";
    input.nextElementSibling.hidden = !auth[input.dataset.secret];
  }
  showMode();
}

function readForm() {
  const number = (id) => (fl.value(id) === "" ? undefined : Number(fl.value(id)));
  const ds = {
    id: fl.value("ds-id") || undefined,
    headers: fl.lines(document.getElementById("ds-headers").value, ":"),
    timeoutSeconds: number("ds-timeoutSeconds"),
    connectTimeoutSeconds: number("ds-connectTimeoutSeconds"),
    allowLoopback: document.getElementById("ds-allowLoopback").checked,
    allowPrivateNetworks: document.getElementById("ds-allowPrivateNetworks").checked,
    auth: { mode: fl.value("ds-mode") },
  };
  for (const name of textFields) {
    ds[name] = fl.value("ds-" + name) || undefined;
  }
  ds.name = fl.value("ds-name");
  ds.baseUrl = fl.value("ds-baseUrl");

  const auth = ds.auth;
  for (const name of authTextFields.concat(secretFields)) {
    auth[name] = fl.value("ds-" + name) || undefined;
  }
  const scopes = fl.value("ds-scopes");
  auth.scopes = scopes ? scopes.split(/\s+/) : undefined;
  auth.tokenParams = fl.lines(document.getElementById("ds-tokenParams").value, "=");
  auth.sendX5t = document.getElementById("ds-sendX5t").checked;
  auth.secretExpiresAt = fl.value("ds-secretExpiresAt") || undefined;
  if (auth.mode !== "api-key") {
    auth.apiKeyIn = undefined;
  }
  if (auth.mode !== "oauth2-client-credentials") {
    auth.clientAuthentication = undefined;
  }
  return ds;
}

async function openForm(id) {
  fl.flash("");
  document.getElementById("test-result").hidden = true;
  let ds = { auth: { mode: "none" } };
  if (id) {
    ds = await fl.api("GET", "/datasources/" + encodeURIComponent(id));
  }
  document.getElementById("form-title").textContent = id ? "Edit " + ds.name : "New datasource";
  document.getElementById("delete-datasource").hidden = !id;
  fillForm(ds);
  form.hidden = false;
  document.getElementById("ds-name").focus();
}

function showTest(result) {
  const section = document.getElementById("test-result");
  document.getElementById("test-status").textContent = result.status;
  section.className = result.ok ? "good" : "bad";

  const steps = document.getElementById("test-steps");
  steps.replaceChildren();
  for (const step of result.steps || []) {
    const item = fl.el("li", null, [
      badge(step.ok ? "ok" : "failed", step.ok ? "good" : "bad"),
      fl.el("strong", " " + step.name + " "),
      fl.el("span", "(" + step.durationMs + " ms) "),
      fl.el("span", step.message),
    ]);
    if (step.hint) {
      const hint = fl.el("p", step.hint);
      hint.className = "hint";
      item.append(hint);
    }
    steps.append(item);
  }

  document.getElementById("test-warnings").replaceChildren(...(result.warnings || []).map((w) => fl.el("li", w)));

  const token = document.getElementById("test-token");
  token.replaceChildren();
  if (result.token) {
    const t = result.token;
    const pairs = [["Token type", t.type], ["Expires", fl.time(t.expiresAt)], ["Audience", (t.audience || []).join(", ")],
      ["Roles", (t.roles || []).join(", ")], ["Scopes", (t.scopes || []).join(", ")], ["App ID", t.appId], ["Tenant ID", t.tenantId]];
    for (const [name, value] of pairs) {
      if (value) {
        token.append(fl.el("dt", name), fl.el("dd", value));
      }
    }
  }
  section.hidden = false;
}

form.addEventListener("submit", async function (event) {
  event.preventDefault();
  const ds = readForm();
  try {
    const saved = ds.id
      ? await fl.api("PUT", "/datasources/" + encodeURIComponent(ds.id), ds)
      : await fl.api("POST", "/datasources", ds);
    fillForm(saved);
    document.getElementById("form-title").textContent = "Edit " + saved.name;
    document.getElementById("delete-datasource").hidden = false;
    fl.flash("Saved " + saved.name + ".", "ok");
    await loadList();
  } catch (err) {
    fl.flash(err.message);
  }
});

document.getElementById("test-connection").addEventListener("click", async function () {
  fl.flash("");
  document.getElementById("test-status").textContent = "testing…";
  try {
    showTest(await fl.api("POST", "/datasources/test", readForm()));
  } catch (err) {
    fl.flash(err.message);
  }
});

document.getElementById("delete-datasource").addEventListener("click", async function () {
  const id = fl.value("ds-id");
  if (!id || !confirm("Delete datasource " + fl.value("ds-name") + "?")) {
    return;
  }
  try {
    await fl.api("DELETE", "/datasources/" + encodeURIComponent(id));
    form.hidden = true;
    await loadList();
  } catch (err) {
    fl.flash(err.message);
  }
});

document.getElementById("new-datasource").addEventListener("click", () => openForm(""));
document.getElementById("cancel-edit").addEventListener("click", () => { form.hidden = true; });
document.getElementById("ds-mode").addEventListener("change", showMode);
document.getElementById("ds-clientAuthentication").addEventListener("change", showMode);
loadList().catch((err) => fl.flash(err.message));
