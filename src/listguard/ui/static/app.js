// listguard UI: keyboard navigation and the decision dialog. Vanilla JS, no dependencies.
(function () {
  "use strict";
  const page = document.body.dataset.page;
  const rows = () => Array.from(document.querySelectorAll("[data-row]"));
  let current = -1;

  function select(i, scroll) {
    const all = rows();
    if (!all.length) return;
    i = Math.max(0, Math.min(all.length - 1, i));
    all.forEach((r) => r.classList.remove("selected"));
    const row = all[i];
    row.classList.add("selected");
    row.setAttribute("aria-selected", "true");
    current = i;
    if (scroll !== false) row.scrollIntoView({ block: "nearest" });
    const status = document.getElementById("selected-id");
    if (status) status.textContent = row.dataset.id || "";
  }

  function typing(ev) {
    const t = ev.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  // Decision dialog (alert queue): f / t / e open it for the selected alert.
  const dialog = document.getElementById("decide-dialog");
  function openDecision(decision) {
    const all = rows();
    if (!dialog || current < 0 || !all[current]) return;
    const row = all[current];
    const form = dialog.querySelector("form");
    form.action = "/ui/alerts/" + row.dataset.id + "/decide";
    form.querySelector("[name=decision]").value = decision;
    form.querySelector("[name=cursor]").value = String(current);
    const labels = { false_positive: "False positive", true_match: "True match", escalated: "Escalate" };
    dialog.querySelector(".what").textContent = labels[decision] || decision;
    dialog.querySelector(".who").textContent = row.dataset.caption || "";
    dialog.querySelector("[name=reason]").value = "";
    dialog.showModal();
    dialog.querySelector("[name=reason]").focus();
  }
  if (dialog) {
    dialog.querySelector("[name=reason]").addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey) {
        ev.preventDefault();
        dialog.querySelector("form").requestSubmit();
      }
    });
    dialog.querySelector(".cancel").addEventListener("click", () => dialog.close());
  }

  document.querySelectorAll("[data-decide]").forEach((btn) => {
    btn.addEventListener("click", (ev) => {
      ev.preventDefault();
      const row = btn.closest("[data-row]");
      select(rows().indexOf(row), false);
      openDecision(btn.dataset.decide);
    });
  });
  rows().forEach((row, i) => row.addEventListener("click", (ev) => {
    if (ev.target.closest("a,button,input,form")) return;
    select(i, false);
  }));

  document.addEventListener("keydown", (ev) => {
    if (ev.metaKey || ev.ctrlKey || ev.altKey) return;
    const help = document.getElementById("help");
    if (ev.key === "Escape") { if (help) help.hidden = true; return; }
    if (typing(ev) || (dialog && dialog.open)) return;
    switch (ev.key) {
      case "j": select(current + 1); ev.preventDefault(); break;
      case "k": select(current < 0 ? 0 : current - 1); ev.preventDefault(); break;
      case "Enter": case "o": {
        const row = rows()[current];
        if (row) {
          const details = row.querySelector("details");
          if (details) details.open = !details.open;
          else if (row.dataset.href) window.location = row.dataset.href;
          ev.preventDefault();
        }
        break;
      }
      case "f": if (page === "alerts") { openDecision("false_positive"); ev.preventDefault(); } break;
      case "t": if (page === "alerts") { openDecision("true_match"); ev.preventDefault(); } break;
      case "e": if (page === "alerts") { openDecision("escalated"); ev.preventDefault(); } break;
      case "/": {
        const q = document.getElementById("q-name");
        if (q) { q.focus(); q.select(); ev.preventDefault(); }
        break;
      }
      case "?": if (help) help.hidden = !help.hidden; break;
    }
  });

  // Keep the analyst's place in the queue across a decision (the server echoes ?cursor=).
  const start = document.body.dataset.cursor || new URLSearchParams(location.search).get("cursor");
  if (start !== null && start !== undefined && start !== "" && rows().length) select(parseInt(start, 10) || 0, true);
})();
