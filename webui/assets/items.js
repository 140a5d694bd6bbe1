"use strict";

const itemForm = document.getElementById("item-form");
const pagingFields = ["cursorPath", "cursorParam", "offsetParam", "limitParam"];

async function loadItems() {
  const [items, datasources] = await Promise.all([fl.api("GET", "/items"), fl.api("GET", "/datasources")]);
  const names = {};
  const select = document.getElementById("it-datasource");
  select.replaceChildren();
  for (const ds of datasources.items) {
    names[ds.id] = ds.name;
    const option = fl.el("option", ds.name);
    option.value = ds.id;
    select.append(option);
  }

  const body = document.querySelector("#item-list tbody");
  body.replaceChildren();
  for (const it of items.items) {
    const edit = fl.el("button", "Edit");
    edit.type = "button";
    edit.addEventListener("click", () => openItem(it.id));
    const cache = it.cacheSeconds === undefined ? "default" : it.cacheSeconds + " s";
    body.append(fl.row([it.name, names[it.datasource] || it.datasource, it.type, it.request.path, cache, edit]));
  }
}

function fillItem(it) {
  const request = it.request || {};
  const paging = it.paging || {};
  fl.set("it-id", it.id);
  fl.set("it-name", it.name);
  if (it.datasource) {
    fl.set("it-datasource", it.datasource);
  }
  fl.set("it-type", it.type || "read-only");
  fl.set("it-method", request.method || "GET");
  fl.set("it-path", request.path);
  fl.set("it-headers", fl.unlines(request.headers, ": "));
  fl.set("it-body", request.body);
  fl.set("it-root", it.root);
  fl.set("it-template", it.template);
  fl.set("it-labelTemplate", it.labelTemplate);
  fl.set("it-cacheSeconds", it.cacheSeconds);
  fl.set("it-maxRows", it.maxRows || "");
  fl.set("it-pagingMode", paging.mode || "none");
  for (const name of pagingFields) {
    fl.set("it-" + name, paging[name]);
  }
  fl.set("it-pageSize", paging.pageSize || "");
}

function readItem() {
  const number = (id) => (fl.value(id) === "" ? undefined : Number(fl.value(id)));
  const it = {
    id: fl.value("it-id") || undefined,
    name: fl.value("it-name"),
    datasource: fl.value("it-datasource"),
    type: fl.value("it-type"),
    request: {
      method: fl.value("it-method"),
      path: fl.value("it-path"),
      headers: fl.lines(document.getElementById("it-headers").value, ":"),
      body: document.getElementById("it-body").value || undefined,
    },
    root: fl.value("it-root") || undefined,
    template: fl.value("it-template"),
    labelTemplate: fl.value("it-labelTemplate") || undefined,
    cacheSeconds: number("it-cacheSeconds"),
    maxRows: number("it-maxRows"),
  };
  const mode = fl.value("it-pagingMode");
  if (mode !== "none") {
    it.paging = { mode: mode, pageSize: number("it-pageSize") };
    for (const name of pagingFields) {
      it.paging[name] = fl.value("it-" + name) || undefined;
    }
  }
  return it;
}

// sampleContext builds a ticket context from the reporter of the newest
// stored event whose email Jira showed, so the tester starts with a real
// person. An outcome names its reporter as "Display Name <email>".
// NOTE: no browser test covers this prefill, the rules simulation or event
// replay yet.
async function sampleContext() {
  const context = { reporter: { emailAddress: "", displayName: "" } };
  try {
    const events = await fl.api("GET", "/events?limit=20");
    for (const event of events.items) {
      const reporter = event.outcome && event.outcome.reporter;
      const match = reporter && /^(.*) <([^<>]+@[^<>]+)>$/.exec(reporter);
      if (match) {
        context.reporter = { emailAddress: match[2], displayName: match[1] };
        break;
      }
    }
  } catch (err) {
    fl.flash("No sample from stored events: " + err.message, "warn");
  }
  return context;
}

async function openItem(id) {
  fl.flash("");
  document.getElementById("trace").hidden = true;
  let it = { type: "read-only", request: { method: "GET" } };
  if (id) {
    it = await fl.api("GET", "/items/" + encodeURIComponent(id));
  }
  document.getElementById("item-title").textContent = id ? "Edit " + it.name : "New item";
  document.getElementById("delete-item").hidden = !id;
  fillItem(it);
  if (!fl.value("it-context")) {
    fl.set("it-context", fl.json(await sampleContext()));
  }
  itemForm.hidden = false;
  document.getElementById("it-name").focus();
}

function showTrace(trace) {
  const error = document.getElementById("trace-error");
  error.textContent = trace.error || "";
  error.hidden = !trace.error;

  const result = trace.result || {};
  const values = document.getElementById("trace-values");
  values.replaceChildren(...(result.values || []).map((v) => fl.el("li", v)));
  if (!(result.values || []).length) {
    values.append(fl.el("li", "no value"));
  }

  const requests = document.getElementById("trace-requests");
  requests.replaceChildren();
  for (const request of trace.requests || []) {
    const t = request.timings || {};
    const summary = request.method + " " + request.url + " → " + (request.status || "no response") +
      " (sending " + t.sendingMs + " ms, waiting " + t.waitingMs + " ms, reading " + t.readingMs + " ms)";
    const details = fl.el("details", null, [fl.el("summary", summary)]);
    if (request.headers) {
      details.append(fl.el("pre", fl.unlines(request.headers, ": ")));
    }
    if (request.body) {
      details.append(fl.el("pre", request.body));
    }
    details.append(fl.el("h4", "Response" + (request.responseTruncated ? " (truncated)" : "")), fl.el("pre", request.response));
    requests.append(details);
  }

  document.getElementById("trace-row-count").textContent = trace.rowsTotal + " in total, processed in " + trace.processingMs + " ms";
  document.getElementById("trace-rows").textContent = fl.json(trace.rows || []);
  document.getElementById("trace").hidden = false;
}

itemForm.addEventListener("submit", async function (event) {
  event.preventDefault();
  const it = readItem();
  try {
    const saved = it.id
      ? await fl.api("PUT", "/items/" + encodeURIComponent(it.id), it)
      : await fl.api("POST", "/items", it);
    fillItem(saved);
    document.getElementById("item-title").textContent = "Edit " + saved.name;
    document.getElementById("delete-item").hidden = false;
    fl.flash("Saved " + saved.name + ".", "ok");
    await loadItems();
  } catch (err) {
    fl.flash(err.message);
  }
});

document.getElementById("test-item").addEventListener("click", async function () {
  fl.flash("");
  let context;
  try {
    context = JSON.parse(document.getElementById("it-context").value || "{}");
  } catch (err) {
    fl.flash("The sample ticket context is not valid JSON: " + err.message);
    return;
  }
  const body = readItem();
  body.context = context;
  try {
    showTrace(await fl.api("POST", "/items/test", body));
  } catch (err) {
    fl.flash(err.message);
  }
});

document.getElementById("delete-item").addEventListener("click", async function () {
  const id = fl.value("it-id");
  if (!id || !confirm("Delete item " + fl.value("it-name") + "?")) {
    return;
  }
  try {
    await fl.api("DELETE", "/items/" + encodeURIComponent(id));
    itemForm.hidden = true;
    await loadItems();
  } catch (err) {
    fl.flash(err.message);
  }
});

document.getElementById("new-item").addEventListener("click", () => openItem(""));
document.getElementById("cancel-item").addEventListener("click", () => { itemForm.hidden = true; });
loadItems().catch((err) => fl.flash(err.message));
