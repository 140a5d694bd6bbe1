"use strict";

function outcomeText(outcome) {
  if (!outcome) {
    return "";
  }
  const parts = [];
  if (outcome.rule) {
    parts.push("rule " + outcome.rule);
  }
  if (outcome.fieldsWritten && outcome.fieldsWritten.length) {
    parts.push("wrote " + outcome.fieldsWritten.join(", "));
  }
  if (outcome.reason) {
    parts.push(outcome.reason);
  }
  return parts.join("; ");
}

async function loadEvents() {
  const query = document.getElementById("failed-only").checked ? "?status=failed" : "";
  const events = await fl.api("GET", "/events" + query);
  const body = document.querySelector("#event-list tbody");
  body.replaceChildren();
  for (const event of events.items) {
    const replay = fl.el("button", "Replay");
    replay.type = "button";
    replay.addEventListener("click", async function () {
      if (!window.confirm("Replay event " + event.id + " (" + event.issueKey + ")? fieldlink processes it again and may write to Jira.")) {
        return;
      }
      try {
        await fl.api("POST", "/events/" + event.id + "/replay");
        fl.flash("Event " + event.id + " queued again.", "ok");
        await loadEvents();
      } catch (err) {
        fl.flash(err.message);
      }
    });
    const status = fl.el("span", event.status);
    status.className = "badge " + (event.status === "failed" ? "bad" : event.status === "processed" ? "good" : "");
    body.append(fl.row([event.id, fl.time(event.receivedAt), event.hook, event.kind, event.issueKey, status,
      outcomeText(event.outcome), replay]));
  }
}

const reload = () => loadEvents().catch((err) => fl.flash(err.message));
document.getElementById("failed-only").addEventListener("change", reload);
document.getElementById("reload-events").addEventListener("click", reload);
reload();
