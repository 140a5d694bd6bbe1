"use strict";

const ruleForm = document.getElementById("rule-form");

async function loadRules() {
  const rules = await fl.api("GET", "/rules");
  const body = document.querySelector("#rule-list tbody");
  body.replaceChildren();
  for (const rule of rules.items) {
    const edit = fl.el("button", "Edit");
    edit.type = "button";
    edit.addEventListener("click", () => openRule(rule.id));
    body.append(fl.row([rule.position, rule.name, rule.ruleSet || "default", rule.condition || "(always)",
      Object.keys(rule.fields || {}).join(", "), edit]));
  }
}

async function loadHooks() {
  const hooks = await fl.api("GET", "/hooks");
  const select = document.getElementById("sim-hook");
  select.replaceChildren();
  for (const hook of hooks.items) {
    const option = fl.el("option", hook.name);
    option.value = hook.id;
    select.append(option);
  }
}

function fillRule(rule) {
  fl.set("ru-id", rule.id);
  fl.set("ru-name", rule.name);
  fl.set("ru-position", rule.position);
  fl.set("ru-ruleSet", rule.ruleSet);
  fl.set("ru-condition", rule.condition);
  fl.set("ru-fields", rule.fields ? fl.json(rule.fields) : "");
  fl.set("ru-addLabels", (rule.addLabels || []).join(" "));
  fl.set("ru-comment", rule.comment);
  document.getElementById("ru-commentInternal").checked = !!rule.commentInternal;
  fl.set("ru-requestParticipants", (rule.requestParticipants || []).join(" "));
}

function readRule() {
  const words = (id) => (fl.value(id) ? fl.value(id).split(/\s+/) : undefined);
  const fields = fl.value("ru-fields");
  return {
    id: fl.value("ru-id") || undefined,
    name: fl.value("ru-name"),
    position: Number(fl.value("ru-position") || 0),
    ruleSet: fl.value("ru-ruleSet") || undefined,
    condition: fl.value("ru-condition") || undefined,
    fields: fields ? JSON.parse(fields) : undefined,
    addLabels: words("ru-addLabels"),
    comment: fl.value("ru-comment") || undefined,
    commentInternal: document.getElementById("ru-commentInternal").checked,
    requestParticipants: words("ru-requestParticipants"),
  };
}

async function openRule(id) {
  fl.flash("");
  let rule = {};
  if (id) {
    rule = await fl.api("GET", "/rules/" + encodeURIComponent(id));
  }
  document.getElementById("rule-title").textContent = id ? "Edit " + rule.name : "New rule";
  document.getElementById("delete-rule").hidden = !id;
  fillRule(rule);
  ruleForm.hidden = false;
  document.getElementById("ru-name").focus();
}

ruleForm.addEventListener("submit", async function (event) {
  event.preventDefault();
  try {
    const rule = readRule();
    const saved = rule.id
      ? await fl.api("PUT", "/rules/" + encodeURIComponent(rule.id), rule)
      : await fl.api("POST", "/rules", rule);
    fillRule(saved);
    document.getElementById("delete-rule").hidden = false;
    fl.flash("Saved " + saved.name + ".", "ok");
    await loadRules();
  } catch (err) {
    fl.flash(err instanceof SyntaxError ? "Fields is not valid JSON: " + err.message : err.message);
  }
});

document.getElementById("delete-rule").addEventListener("click", async function () {
  const id = fl.value("ru-id");
  if (!id || !confirm("Delete rule " + fl.value("ru-name") + "?")) {
    return;
  }
  try {
    await fl.api("DELETE", "/rules/" + encodeURIComponent(id));
    ruleForm.hidden = true;
    await loadRules();
  } catch (err) {
    fl.flash(err.message);
  }
});

document.getElementById("simulate-form").addEventListener("submit", async function (event) {
  event.preventDefault();
  fl.flash("");
  const body = document.querySelector("#simulation tbody");
  try {
    const result = await fl.api("POST", "/rules/simulate", { hook: fl.value("sim-hook"), recent: Number(fl.value("sim-recent")) });
    body.replaceChildren();
    for (const row of result.items) {
      const items = fl.el("pre", fl.unlines(row.items, " = "));
      const fields = fl.el("pre", row.fields ? fl.json(row.fields) : "");
      body.append(fl.row([row.event || "", row.issueKey, row.reporter, items, row.rule || "(no rule)", fields]));
    }
    if (!result.items.length) {
      fl.flash("No recent events for this hook.", "warn");
    }
  } catch (err) {
    fl.flash(err.message);
  }
});

document.getElementById("new-rule").addEventListener("click", () => openRule(""));
document.getElementById("cancel-rule").addEventListener("click", () => { ruleForm.hidden = true; });
Promise.all([loadRules(), loadHooks()]).catch((err) => fl.flash(err.message));
