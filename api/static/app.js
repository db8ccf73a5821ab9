// The allocator page: submit an instance, watch its solve, read and export the plan.
// Plain JavaScript, no build step; it speaks only the public /v1 endpoints of the API.
"use strict";

(() => {
  const KEY_STORE = "allocator.apiKey";
  const POLL_MS = 500;
  const FINISHED = new Set(["done", "failed", "cancelled"]);
  const PALETTE = [
    ["#1f5fbf", "#fff"], ["#e69f00", "#000"], ["#009e73", "#fff"], ["#cc79a7", "#000"],
    ["#56b4e9", "#000"], ["#d55e00", "#fff"], ["#f0e442", "#000"], ["#6a3d9a", "#fff"],
    ["#8c6d31", "#fff"], ["#7f7f7f", "#fff"], ["#17becf", "#000"], ["#b5cf6b", "#000"],
  ];

  const $ = (id) => document.getElementById(id);
  const state = {
    text: null, // the instance as submitted (raw JSON text)
    valid: false,
    jobId: null,
    pollTimer: null,
    timeline: null,
  };

  // ---- helpers -------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => (
      { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  function num(value, digits = 2) {
    if (value === null || value === undefined || value === "") return "—";
    if (typeof value !== "number") return String(value);
    return value.toLocaleString("en", { maximumFractionDigits: digits });
  }

  function pct(value) {
    if (value === null || value === undefined) return "—";
    return `${(value * 100).toLocaleString("en", { maximumFractionDigits: 1 })}%`;
  }

  function label(key) {
    const text = key.replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function apiKey() {
    return localStorage.getItem(KEY_STORE) || "";
  }

  function authHeaders(extra) {
    const headers = { ...(extra || {}) };
    const key = apiKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    return headers;
  }

  async function api(path, options = {}) {
    const response = await fetch(path, { ...options, headers: authHeaders(options.headers) });
    const type = response.headers.get("content-type") || "";
    const body = type.includes("json") ? await response.json() : await response.text();
    return { ok: response.ok, status: response.status, body };
  }

  /** A structured API error as a report: its message and each detail with its path. */
  function errorReport(status, body) {
    const error = body && body.error;
    const message = error ? error.message : `HTTP ${status}`;
    const hint = status === 401 ? " Enter the service's API key at the top of the page." : "";
    const details = (error && error.details) || [];
    return [
      el("p", {}, el("strong", { text: `Error ${status}: ` }), message + hint),
      details.length
        ? el("ul", {}, details.map((d) => el("li", {}, el("code", { class: "path", text: d.path }), " ", d.message)))
        : null,
    ];
  }

  function show(node, children, kind) {
    node.replaceChildren(...[children].flat().filter(Boolean));
    node.classList.toggle("ok", kind === "ok");
    node.classList.toggle("bad", kind === "bad");
  }

  function statusBadge(status) {
    return el("span", { class: `status ${status || ""}`, text: status || "—" });
  }

  function isoDay(text) {
    const [y, m, d] = text.split("-").map(Number);
    return new Date(y, m - 1, d);
  }

  function nextDay(text) {
    const [y, m, d] = text.split("-").map(Number);
    return new Date(y, m - 1, d + 1);
  }

  // ---- 1. submit: load, validate, solve --------------------------------------------------

  function instanceSummary(text) {
    try {
      const data = JSON.parse(text);
      const count = (key) => (Array.isArray(data[key]) ? data[key].length : 0);
      const horizon = data.horizon ? ` from ${data.horizon.start} to ${data.horizon.end}` : "";
      return `“${data.name}”: ${count("specialists")} specialists, ${count("projects")} projects, `
        + `${count("workplaces")} workplaces, ${count("tasks")} tasks${horizon}.`;
    } catch (_) {
      return "";
    }
  }

  async function loadInstance(text, source) {
    state.text = text;
    state.valid = false;
    $("solve").disabled = true;
    show($("submit-error"), []);
    show($("validation"), el("p", { text: `Checking ${source}…` }));
    let result;
    try {
      result = await api("/v1/instances/validate", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: text,
      });
    } catch (error) {
      show($("validation"), el("p", { text: `The service did not answer: ${error}` }), "bad");
      return;
    }
    if (state.text !== text) return; // another instance was picked meanwhile
    if (!result.ok) {
      show($("validation"), errorReport(result.status, result.body), "bad");
      return;
    }
    const report = result.body;
    if (report.valid) {
      state.valid = true;
      $("solve").disabled = false;
      show($("validation"), el("p", {}, el("strong", { text: "Valid. " }),
        `${source}: ${instanceSummary(text)}`), "ok");
    } else {
      const n = report.problems.length;
      show($("validation"), [
        el("p", {}, el("strong", { text: `${n} input error${n === 1 ? "" : "s"} in ${source}. ` }),
          "Nothing is sent to the solver until they are fixed."),
        el("ul", { "aria-label": "Input errors" }, report.problems.map((p) =>
          el("li", {}, el("code", { class: "path", text: p.path }), " ", p.message))),
      ], "bad");
    }
  }

  async function onFile(event) {
    const file = event.target.files && event.target.files[0];
    if (!file) return;
    await loadInstance(await file.text(), file.name);
  }

  async function onDemo() {
    const result = await api("/v1/examples/demo");
    if (!result.ok) {
      show($("validation"), errorReport(result.status, result.body), "bad");
      return;
    }
    $("file").value = "";
    await loadInstance(JSON.stringify(result.body, null, 2), "the demo instance");
  }

  async function onSolve(event) {
    event.preventDefault();
    if (!state.valid || state.text === null) return;
    const limit = $("time-limit").value.trim();
    const query = limit ? `?time_limit=${encodeURIComponent(limit)}` : "";
    $("solve").disabled = true;
    show($("submit-error"), []);
    try {
      const result = await api(`/v1/jobs${query}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: state.text,
      });
      if (!result.ok) {
        show($("submit-error"), errorReport(result.status, result.body), "bad");
        return;
      }
      openJob(result.body.id);
      refreshJobs();
    } catch (error) {
      show($("submit-error"), el("p", { text: `The service did not answer: ${error}` }), "bad");
    } finally {
      $("solve").disabled = !state.valid;
    }
  }

  // ---- 2. watch: poll the job, cancel ----------------------------------------------------

  function openJob(id) {
    if (state.pollTimer) clearTimeout(state.pollTimer);
    state.jobId = id;
    if (location.hash !== `#job=${id}`) history.replaceState(null, "", `#job=${id}`);
    $("job-title").textContent = `Job ${id}`;
    $("p-error").textContent = "";
    clearPlan("Waiting for the plan…");
    markCurrentJob();
    poll(id);
  }

  async function poll(id) {
    let result;
    try {
      result = await api(`/v1/jobs/${encodeURIComponent(id)}`);
    } catch (error) {
      $("p-error").textContent = `The service did not answer: ${error}; retrying.`;
      state.pollTimer = setTimeout(() => poll(id), 2000);
      return;
    }
    if (state.jobId !== id) return;
    if (!result.ok) {
      show($("p-error"), errorReport(result.status, result.body));
      $("cancel").disabled = true;
      return;
    }
    const job = result.body;
    renderProgress(job);
    if (FINISHED.has(job.status)) {
      loadPlan(job);
      refreshJobs();
    } else {
      state.pollTimer = setTimeout(() => poll(id), POLL_MS);
    }
  }

  function renderProgress(job) {
    const progress = $("progress");
    progress.dataset.status = job.status;
    $("job-title").replaceChildren(`Job “${job.name}” `, el("small", { class: "muted", text: job.id }));
    const status = [statusBadge(job.status)];
    if (job.cancel_requested && job.status === "solving") status.push(" stopping…");
    if (job.status === "queued") status.push(" waiting for a solver");
    if (job.plan_status) status.push(" plan ", statusBadge(job.plan_status));
    $("p-status").replaceChildren(...status);
    const stage = job.stage
      ? `${job.stage}${job.stage_number ? ` (${job.stage_number} of ${job.stages})` : ""}`
      : "—";
    $("p-stage").textContent = stage;
    $("p-objective").textContent = job.objective !== null && job.objective !== undefined
      ? `${num(job.objective)}${job.solutions ? ` (${job.solutions} solution${job.solutions === 1 ? "" : "s"})` : ""}`
      : "—";
    $("p-bound").textContent = num(job.bound);
    $("p-gap").textContent = pct(job.gap);
    const elapsed = job.elapsed === null || job.elapsed === undefined ? null : job.elapsed;
    $("p-elapsed").textContent = elapsed === null ? `— of ${num(job.time_limit)} s`
      : `${num(elapsed, 1)} s of ${num(job.time_limit)} s`;
    const share = elapsed === null ? 0 : Math.min(100, Math.round((elapsed / job.time_limit) * 100));
    const bar = $("p-bar");
    bar.setAttribute("aria-valuenow", String(FINISHED.has(job.status) ? 100 : share));
    bar.firstElementChild.style.width = `${FINISHED.has(job.status) ? 100 : share}%`;
    $("p-error").textContent = job.error ? `The job failed: ${job.error}` : "";
    $("cancel").disabled = FINISHED.has(job.status) || job.cancel_requested;
  }

  async function onCancel() {
    const id = state.jobId;
    if (!id) return;
    $("cancel").disabled = true;
    const result = await api(`/v1/jobs/${encodeURIComponent(id)}/cancel`, { method: "POST" });
    if (!result.ok) {
      show($("p-error"), errorReport(result.status, result.body));
      return;
    }
    if (state.jobId === id) renderProgress(result.body);
  }

  // ---- 3. read: the plan -----------------------------------------------------------------

  function clearPlan(message) {
    $("plan-body").hidden = true;
    $("plan-empty").hidden = false;
    $("plan-empty").textContent = message;
    if (state.timeline) {
      state.timeline.destroy();
      state.timeline = null;
    }
  }

  async function loadPlan(job) {
    const result = await api(`/v1/jobs/${encodeURIComponent(job.id)}/plan`);
    if (state.jobId !== job.id) return;
    if (!result.ok) {
      const error = result.body && result.body.error;
      clearPlan(error ? error.message : `No plan (HTTP ${result.status}).`);
      return;
    }
    renderPlan(job, result.body);
  }

  function renderPlan(job, plan) {
    $("plan-empty").hidden = true;
    $("plan-body").hidden = false;
    const body = $("plan-body");
    body.dataset.job = job.id;
    body.dataset.status = plan.status;

    const goals = Object.keys(plan.objective || {});
    const bound = plan.bound || {};
    const summary = [
      el("p", {}, "Plan ", statusBadge(plan.status),
        job.status === "cancelled" ? " (solve cancelled: the best plan found is kept)" : "",
        ` for “${plan.instance}”`,
        plan.wall_seconds !== null && plan.wall_seconds !== undefined ? `, solved in ${num(plan.wall_seconds, plan.wall_seconds < 1 ? 2 : 1)} s` : "",
        "."),
    ];
    if (goals.length) {
      summary.push(el("p", {}, goals.map((goal, i) => [
        i ? "; " : "", el("strong", { text: `${goal} ` }), num(plan.objective[goal]),
        bound[goal] !== undefined && bound[goal] !== null ? ` (bound ${num(bound[goal])})` : "",
      ]), plan.gap !== null && plan.gap !== undefined ? `; gap ${pct(plan.gap)}` : ""));
    }
    summary.push(el("p", { class: "muted" },
      `${plan.assignments.length} assignment rows, ${plan.unmet.length} unmet items.`));
    $("plan-summary").replaceChildren(...summary);

    const base = `/v1/jobs/${encodeURIComponent(job.id)}/plan`;
    for (const format of ["json", "csv", "xlsx"]) {
      const link = $(`export-${format}`);
      link.href = `${base}?format=${format}`;
      link.setAttribute("download", `${job.name || "plan"}-${job.id.slice(0, 8)}.${format}`);
      link.setAttribute("aria-label", `Download the plan as ${format.toUpperCase()}`);
    }

    const explanation = plan.explanation || [];
    $("explanation-box").hidden = explanation.length === 0;
    $("explanation-heading").textContent = plan.status === "infeasible"
      ? "Why there is no plan: the conflicting items"
      : plan.status === "invalid" ? "Input errors" : "Explanation";
    $("explanation").replaceChildren(...explanation.map((line) => el("li", { text: line })));

    const noPlan = ["infeasible", "invalid", "unknown"].includes(plan.status);
    $("plan-details").hidden = noPlan;
    if (noPlan) {
      if (state.timeline) state.timeline.destroy();
      state.timeline = null;
      return;
    }
    const projects = projectColours(plan);
    renderLegend(projects);
    renderTimeline(plan, projects);
    renderUnmet(plan);
    renderKpis(plan.kpis || {});
  }

  function projectColours(plan) {
    const ids = [];
    for (const row of (plan.kpis && plan.kpis.projects) || []) ids.push(row.project);
    for (const a of plan.assignments) if (!ids.includes(a.project)) ids.push(a.project);
    const colours = new Map();
    ids.forEach((id, i) => {
      const [bg, fg] = i < PALETTE.length
        ? PALETTE[i]
        : [`hsl(${(i * 137.5) % 360} 55% 40%)`, "#fff"];
      colours.set(id, { bg, fg });
    });
    return colours;
  }

  function renderLegend(projects) {
    $("legend").replaceChildren(...[...projects].map(([id, c]) => el("li", {},
      el("span", { class: "swatch", style: `background:${c.bg}`, "aria-hidden": "true" }), id)));
  }

  function renderTimeline(plan, projects) {
    const container = $("timeline");
    if (state.timeline) {
      state.timeline.destroy();
      state.timeline = null;
    }
    container.replaceChildren();
    if (typeof vis === "undefined") {
      container.append(el("p", { class: "error", text: "The timeline library did not load." }));
      return;
    }
    if (!plan.assignments.length) {
      container.append(el("p", { class: "muted", text: "No planned hours." }));
      return;
    }
    const people = new Map(((plan.kpis && plan.kpis.specialists) || []).map((s) => [s.specialist, s]));
    const hours = new Map();
    for (const a of plan.assignments) hours.set(a.specialist, (hours.get(a.specialist) || 0) + a.hours);
    const sections = new Map(); // section name -> specialist ids
    for (const id of [...hours.keys()].sort()) {
      const person = people.get(id);
      const name = person && person.sourcing === "outsourced"
        ? `Vendor: ${person.vendor || "unknown"}` : "In-house";
      if (!sections.has(name)) sections.set(name, []);
      sections.get(name).push(id);
    }
    const names = [...sections.keys()].sort((a, b) =>
      (a === "In-house" ? -1 : b === "In-house" ? 1 : a.localeCompare(b)));
    const groups = [];
    let order = 0;
    for (const name of names) {
      const ids = sections.get(name);
      groups.push({
        id: `section:${name}`, content: escapeHtml(`${name} (${ids.length})`), order: order++,
        nestedGroups: ids.map((id) => `person:${id}`), className: "section-row", showNested: true,
      });
      for (const id of ids) {
        const person = people.get(id);
        const detail = person
          ? `${num(hours.get(id))} h of ${num(person.capacity_hours)} h (${pct(person.utilisation)})`
          : `${num(hours.get(id))} h`;
        groups.push({
          id: `person:${id}`, content: escapeHtml(id), order: order++,
          className: "specialist-row", treeLevel: 1, title: escapeHtml(`${id}: ${detail}`),
        });
      }
    }
    const items = plan.assignments.map((a, i) => {
      const target = a.workplace || a.task;
      const kind = a.workplace ? "workplace" : "task";
      const colour = projects.get(a.project) || { bg: "#7f7f7f", fg: "#fff" };
      return {
        id: i,
        group: `person:${a.specialist}`,
        start: isoDay(a.date),
        end: nextDay(a.date),
        content: escapeHtml(target),
        title: `<strong>${escapeHtml(a.specialist)}</strong> · ${escapeHtml(a.date)}<br>`
          + `${kind} ${escapeHtml(target)} (project ${escapeHtml(a.project)})<br>`
          + `<strong>${num(a.hours)} h</strong>`,
        style: `background-color:${colour.bg};border-color:${colour.bg};color:${colour.fg}`,
        className: "assignment",
      };
    });
    const dates = plan.assignments.map((a) => a.date).sort();
    const first = isoDay(dates[0]);
    const last = nextDay(dates[dates.length - 1]);
    const margin = 2 * 86400000;
    state.timeline = new vis.Timeline(container, new vis.DataSet(items), new vis.DataSet(groups), {
      stack: true,
      orientation: "top",
      start: first,
      end: last,
      min: new Date(first.getTime() - margin),
      max: new Date(last.getTime() + margin),
      zoomMin: 86400000 * 3,
      zoomKey: "ctrlKey",
      selectable: false,
      showCurrentTime: false,
      groupOrder: "order",
      verticalScroll: true,
      maxHeight: 640,
      margin: { item: { horizontal: 0, vertical: 2 }, axis: 4 },
      tooltip: { followMouse: true, overflowMethod: "cap", delay: 100 },
      timeAxis: { scale: "day", step: 1 },
      format: { minorLabels: { day: "D", weekday: "ddd D" } },
    });
  }

  function renderUnmet(plan) {
    const box = $("unmet");
    if (!plan.unmet.length) {
      box.replaceChildren(el("p", { class: "muted", text: "Every workplace and task is fully staffed." }));
      return;
    }
    const rows = plan.unmet.map((u) => el("tr", {},
      el("td", {}, el("code", { text: u.workplace || u.task })),
      el("td", { text: u.workplace ? "workplace" : "task" }),
      el("td", { class: "num", text: num(u.hours) }),
      el("td", {}, el("ul", {}, (u.reasons || []).map((r) => el("li", { text: r }))))));
    box.replaceChildren(el("div", { class: "table-wrap", role: "region", tabindex: "0", "aria-labelledby": "unmet-heading" },
      el("table", { id: "unmet-table" },
        el("caption", { text: `${plan.unmet.length} items with unmet hours, and why` }),
        el("thead", {}, el("tr", {},
          el("th", { scope: "col", text: "Item" }), el("th", { scope: "col", text: "Kind" }),
          el("th", { scope: "col", class: "num", text: "Unmet hours" }),
          el("th", { scope: "col", text: "Reasons" }))),
        el("tbody", {}, rows))));
  }

  const SHARE = /(share|utilisation|ratio)$/;

  function bar(value, marker) {
    const width = Math.max(0, Math.min(100, value * 100));
    return el("span", {},
      el("span", { class: "bar", "aria-hidden": "true" },
        el("span", { class: value > 1 ? "over" : "", style: `width:${width}%` }),
        marker ? el("i", { style: `left:${Math.min(100, marker * 100)}%`, title: `minimum ${pct(marker)}` }) : null),
      el("span", { class: "pct", text: pct(value) }));
  }

  function cell(key, value, row) {
    if (typeof value === "number" && key.startsWith("min_") && SHARE.test(key)) {
      return el("td", { class: "num", text: pct(value) });
    }
    if (typeof value === "number" && SHARE.test(key)) {
      const marker = key === "in_house_share" && row ? row.min_in_house_share : null;
      return el("td", { class: "share" }, bar(value, marker));
    }
    if (typeof value === "number") return el("td", { class: "num", text: num(value) });
    if (Array.isArray(value)) return el("td", { text: value.join(", ") });
    return el("td", { text: value === null || value === undefined || value === "" ? "—" : String(value) });
  }

  function kpiTable(id, title, rows) {
    if (!rows || !rows.length) return el("div", {});
    const keys = Object.keys(rows[0]);
    const numeric = (key) => typeof rows[0][key] === "number" && (!SHARE.test(key) || key.startsWith("min_"));
    return el("div", { class: "table-wrap", role: "region", tabindex: "0", "aria-label": title },
      el("table", { id },
        el("caption", { text: title }),
        el("thead", {}, el("tr", {}, keys.map((k) =>
          el("th", { scope: "col", class: numeric(k) ? "num" : null, text: label(k) })))),
        el("tbody", {}, rows.map((row) => el("tr", {}, keys.map((k) => cell(k, row[k], row)))))));
  }

  function renderKpis(kpis) {
    const totals = kpis.totals || {};
    const rows = Object.entries(totals).map(([key, value]) =>
      el("tr", {}, el("th", { scope: "row", text: label(key) }), cell(key, value, totals)));
    $("kpi-totals").replaceChildren(rows.length
      ? el("div", { class: "table-wrap", role: "region", tabindex: "0", "aria-label": "Totals" },
        el("table", { id: "kpi-totals-table" }, el("caption", { text: "Totals" }), el("tbody", {}, rows)))
      : "");
    $("kpi-projects").replaceChildren(kpiTable("kpi-projects-table", "Projects", kpis.projects));
    $("kpi-vendors").replaceChildren(kpiTable("kpi-vendors-table", "Vendors", kpis.vendors));
    $("kpi-specialists").replaceChildren(kpiTable("kpi-specialists-table", "Specialists", kpis.specialists));
  }

  /** Downloads: plain links; with an API key, fetched with the header and saved as a blob. */
  async function onExport(event) {
    const link = event.currentTarget;
    if (!apiKey() || !link.href) return;
    event.preventDefault();
    const response = await fetch(link.href, { headers: authHeaders() });
    if (!response.ok) {
      $("plan-empty").hidden = false;
      $("plan-empty").textContent = `Download failed: HTTP ${response.status}`;
      return;
    }
    const disposition = response.headers.get("content-disposition") || "";
    const match = /filename="([^"]+)"/.exec(disposition);
    const url = URL.createObjectURL(await response.blob());
    const save = el("a", { href: url, download: match ? match[1] : link.getAttribute("download") });
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ---- 5. jobs list ----------------------------------------------------------------------

  function markCurrentJob() {
    for (const row of document.querySelectorAll("#jobs-list tr[data-job]")) {
      if (row.dataset.job === state.jobId) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    }
  }

  async function refreshJobs() {
    const status = $("jobs-status").value;
    const query = status ? `&status=${encodeURIComponent(status)}` : "";
    let result;
    try {
      result = await api(`/v1/jobs?limit=50${query}`);
    } catch (error) {
      $("jobs-list").replaceChildren(el("p", { class: "error", text: `The service did not answer: ${error}` }));
      return;
    }
    if (!result.ok) {
      $("jobs-list").replaceChildren(el("div", { class: "report bad" }, errorReport(result.status, result.body)));
      return;
    }
    const { items, total } = result.body;
    if (!items.length) {
      $("jobs-list").replaceChildren(el("p", { class: "muted", text: "No jobs yet." }));
      return;
    }
    const rows = items.map((job) => {
      const plan = `/v1/jobs/${encodeURIComponent(job.id)}/plan`;
      const hasPlan = Boolean(job.plan_status);
      return el("tr", { "data-job": job.id },
        el("td", { text: new Date(job.created_at).toLocaleString("en-GB") }),
        el("td", { text: job.name }),
        el("td", {}, statusBadge(job.status)),
        el("td", {}, job.plan_status ? statusBadge(job.plan_status) : "—"),
        el("td", { class: "num", text: num(job.elapsed, 1) }),
        el("td", {}, el("div", { class: "jobs-actions" },
          el("button", { type: "button", onclick: () => openJob(job.id), "aria-label": `Open job ${job.name} ${job.id}`, text: "Open" }),
          hasPlan ? ["json", "csv", "xlsx"].map((f) => el("a", {
            href: `${plan}?format=${f}`, download: `${job.name || "plan"}-${job.id.slice(0, 8)}.${f}`,
            "aria-label": `Plan of ${job.name} as ${f.toUpperCase()}`, onclick: onExport, text: f.toUpperCase(),
          })) : null)));
    });
    $("jobs-list").replaceChildren(el("div", { class: "table-wrap", role: "region", tabindex: "0", "aria-labelledby": "jobs-heading" },
      el("table", { id: "jobs-table" },
        el("caption", { text: `${total} job${total === 1 ? "" : "s"}${total > items.length ? `, the newest ${items.length} shown` : ""}` }),
        el("thead", {}, el("tr", {}, ["Submitted", "Instance", "Status", "Plan", "Seconds", "Plan and files"].map((h) =>
          el("th", { scope: "col", class: h === "Seconds" ? "num" : null, text: h })))),
        el("tbody", {}, rows))));
    markCurrentJob();
  }

  // ---- start -----------------------------------------------------------------------------

  function start() {
    const key = $("api-key");
    key.value = apiKey();
    const saveKey = () => {
      const value = key.value.trim();
      if (value === apiKey()) return;
      if (value) localStorage.setItem(KEY_STORE, value);
      else localStorage.removeItem(KEY_STORE);
      refreshJobs();
      if (state.jobId) openJob(state.jobId);
    };
    key.addEventListener("change", saveKey);
    $("key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      saveKey();
    });
    $("file").addEventListener("change", onFile);
    $("use-demo").addEventListener("click", onDemo);
    $("submit-form").addEventListener("submit", onSolve);
    $("cancel").addEventListener("click", onCancel);
    $("jobs-refresh").addEventListener("click", refreshJobs);
    $("jobs-status").addEventListener("change", refreshJobs);
    for (const format of ["json", "csv", "xlsx"]) $(`export-${format}`).addEventListener("click", onExport);
    refreshJobs();
    const match = /^#job=([\w-]+)$/.exec(location.hash);
    if (match) openJob(match[1]);
  }

  start();
})();
