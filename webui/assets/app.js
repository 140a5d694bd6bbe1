// Shared helpers for the admin pages. Data from the API is only ever put
// into the page with textContent, never parsed as HTML.
"use strict";

const fl = {};

// fl.api calls the REST API from this origin with the session cookie and
// returns the parsed JSON body. It sends the browser to the sign-in page on
// 401 and throws an Error with the API's message on any other failure.
fl.api = async function (method, path, body) {
  const init = { method: method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch("/api/v1" + path, init);
  if (response.status === 401 && document.body.dataset.page !== "login") {
    location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
    throw new Error("sign-in required");
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const message = data && data.error ? data.error.message : response.status + " " + response.statusText;
    throw new Error(message);
  }
  return data;
};

// fl.el creates an element with text content and children.
fl.el = function (tag, text, children) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) {
    node.textContent = String(text);
  }
  for (const child of children || []) {
    node.append(child);
  }
  return node;
};

// fl.row builds a table row from cell values or nodes.
fl.row = function (cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = document.createElement("td");
    if (cell instanceof Node) {
      td.append(cell);
    } else {
      td.textContent = cell === undefined || cell === null ? "" : String(cell);
    }
    tr.append(td);
  }
  return tr;
};

// fl.time formats an API timestamp for reading, or returns "never".
fl.time = function (value) {
  if (!value) {
    return "never";
  }
  return new Date(value).toLocaleString();
};

// fl.flash shows a message above the page content, or hides it when empty.
fl.flash = function (message, kind) {
  const box = document.getElementById("flash");
  box.textContent = message || "";
  box.className = kind || "error";
  box.hidden = !message;
};

fl.value = function (id) {
  return document.getElementById(id).value.trim();
};

fl.set = function (id, value) {
  document.getElementById(id).value = value === undefined || value === null ? "" : value;
};

// fl.lines parses "name<sep>value" lines into an object.
fl.lines = function (text, separator) {
  const out = {};
  for (const line of text.split("\n")) {
    const at = line.indexOf(separator);
    if (at > 0) {
      out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
  }
  return Object.keys(out).length ? out : undefined;
};

// fl.unlines formats an object as "name<sep>value" lines.
fl.unlines = function (object, separator) {
  return Object.entries(object || {}).map(([k, v]) => k + separator + v).join("\n");
};

// fl.json formats a value as indented JSON for a <pre>.
fl.json = function (value) {
  return JSON.stringify(value, null, 2);
};

document.addEventListener("DOMContentLoaded", function () {
  const signOut = document.getElementById("sign-out");
  if (signOut) {
    signOut.addEventListener("click", async function () {
      try {
        await fl.api("DELETE", "/session");
      } finally {
        location.assign("/login");
      }
    });
  }
});
