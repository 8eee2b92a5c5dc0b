/* tether workbench: plain JavaScript, no framework, nothing from the network. */
"use strict";

const CLIENT = localStorage.getItem("tether-client") ||
  (() => { const id = "c" + Math.random().toString(36).slice(2, 14);
           localStorage.setItem("tether-client", id); return id; })();
const KINDS = ["all", "spares", "repair", "software", "munitions", "services"];
const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s === null || s === undefined ? "" : s)
  .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

async function api(path, body) {
  const options = {headers: {"X-Tether-Client": CLIENT}};
  if (body !== undefined) {
    options.method = "POST";
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({error: response.statusText}));
  if (!response.ok) { const e = new Error(data.error || response.statusText); e.data = data; throw e; }
  return data;
}

/* tabs */
function showTab(name) {
  document.querySelectorAll("nav button").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".tab").forEach((t) => t.classList.toggle("active", t.id === "tab-" + name));
  if (name === "runs") loadRuns();
  if (name === "side") loadSide();
  if (name === "atlas") loadAtlasGroups();
}
document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));

/* catalogue */
let catalogue = [];
function drawCatalogue() {
  const filter = $("#cat-filter").value.toLowerCase(), section = $("#cat-section").value;
  const rows = catalogue.filter((e) => (!section || e.section === section) &&
    (!filter || (e.name + " " + (e.title || "")).toLowerCase().includes(filter)));
  $("#cat-table tbody").innerHTML = rows.map((e) =>
    `<tr data-name="${esc(e.name)}"><td>${esc(e.section)}</td><td class="entry-name">${esc(e.name)}</td>` +
    `<td>${esc(e.title)}</td><td>${e.sources}</td><td class="${e.assumed ? "assumed" : ""}">${e.assumed}</td></tr>`).join("");
}
async function showEntry(name) {
  const entries = await api("/api/catalogue/" + encodeURIComponent(name));
  $("#cat-detail").innerHTML = entries.map((e) => {
    const sources = e.sources.length ? e.sources.map((s) => /^https?:\/\//.test(s) ?
      `<li><a href="${esc(s)}" target="_blank" rel="noreferrer">${esc(s)}</a></li>` : `<li>${esc(s)}</li>`).join("")
      : "<li>no public source given</li>";
    const cited = Object.entries(e.cited).map(([k, v]) => `<li><b>${esc(k)}</b>: ${esc(v)}</li>`).join("");
    const assumed = Object.entries(e.assumed).map(([k, v]) =>
      `<li class="assumed"><b>${esc(k)}</b> (assumed): ${esc(v)}</li>`).join("");
    return `<h2>${esc(e.section.slice(0, -1))} ${esc(e.name)}</h2><p>${esc(e.title)}</p>` +
      `<h3>Sources</h3><ul class="entry-sources">${sources}</ul>` +
      (cited ? `<h3>Cited numbers</h3><ul>${cited}</ul>` : "") +
      (assumed ? `<h3>Assumed values</h3><ul>${assumed}</ul>` : "") +
      `<h3>Entry</h3><pre>${esc(e.text)}</pre>`;
  }).join("<hr>");
}
$("#cat-table tbody").addEventListener("click", (ev) => {
  const tr = ev.target.closest("tr"); if (tr) showEntry(tr.dataset.name);
});
$("#cat-filter").addEventListener("input", drawCatalogue);
$("#cat-section").addEventListener("change", drawCatalogue);

/* form and editor */
function fillForm() {
  const forces = catalogue.filter((e) => e.section === "forces");
  $("#f-force").innerHTML = forces.map((e) => `<option>${esc(e.name)}</option>`).join("");
  const section = $("#f-target").value === "supplier" ? "suppliers" : "jurisdictions";
  $("#f-names").innerHTML = catalogue.filter((e) => e.section === section)
    .map((e) => `<option value="${esc(e.name)}">${esc(e.title)}</option>`).join("");
}
$("#f-target").addEventListener("change", fillForm);
$("#f-kinds").innerHTML += KINDS.map((k) =>
  `<label><input type="checkbox" value="${k}" ${k === "all" ? "checked" : ""}> ${k}</label>`).join("");
$("#form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const kinds = [...document.querySelectorAll("#f-kinds input:checked")].map((i) => i.value);
  const length = $("#f-length").value;
  try {
    const out = await api("/api/form", {
      force: $("#f-force").value, target: $("#f-target").value, name: $("#f-name").value,
      kinds: kinds.length ? kinds : ["all"], start: Number($("#f-start").value || 0),
      length: length ? Number(length) : null, horizon: Number($("#f-horizon").value || 365)});
    $("#editor").value = out.yaml;
    editorChanged();
  } catch (e) { $("#validity").className = "bad"; $("#validity").textContent = e.message; }
});

let marks = new Map(), timer = null;
function drawGutter() {
  const n = $("#editor").value.split("\n").length;
  let html = "";
  for (let i = 1; i <= n; i++) {
    const m = marks.get(i);
    html += m ? `<div class="err" title="${esc(m)}">${i}</div>` : `<div>${i}</div>`;
  }
  $("#gutter").innerHTML = html;
  $("#gutter").scrollTop = $("#editor").scrollTop;
}
async function validate() {
  const out = await api("/api/validate", {yaml: $("#editor").value}).catch((e) =>
    ({ok: false, diagnostics: [{line: 0, column: 0, field: "", message: e.message}]}));
  marks = new Map();
  for (const d of out.diagnostics) if (d.line) marks.set(d.line, (marks.get(d.line) ? marks.get(d.line) + "; " : "") + d.message);
  $("#validity").className = out.ok ? "ok" : "bad";
  $("#validity").textContent = out.ok ? "valid" : `${out.diagnostics.length} problem(s)`;
  $("#diagnostics").innerHTML = out.diagnostics.map((d) =>
    `<li data-line="${d.line}">${d.line ? `line ${d.line}, column ${d.column}: ` : ""}` +
    `${d.field ? esc(d.field) + ": " : ""}${esc(d.message)}</li>`).join("");
  drawGutter();
}
function editorChanged() { drawGutter(); clearTimeout(timer); timer = setTimeout(validate, 250); }
$("#editor").addEventListener("input", editorChanged);
$("#editor").addEventListener("scroll", () => { $("#gutter").scrollTop = $("#editor").scrollTop; });

$("#run-button").addEventListener("click", async () => {
  const kind = $("#r-kind").value;
  const body = {kind, yaml: $("#editor").value || "{}\n", engine: $("#r-engine").value,
    reps: Number($("#r-reps").value || 500), seed: Number($("#r-seed").value || 0)};
  if ($("#r-scenario").value) body.scenario = $("#r-scenario").value;
  if (kind === "exposure") { body.force = $("#r-force").value || $("#f-force").value; body.by = $("#r-by").value; body.horizon = Number($("#f-horizon").value || 365); }
  if (kind === "optimise") { if ($("#r-decision").value) body.decision = $("#r-decision").value;
    if ($("#r-budget").value) body.budget = Number($("#r-budget").value); }
  if (kind === "compare") body.scenarios = $("#r-scenarios").value.split(",").map((s) => s.trim()).filter(Boolean);
  $("#run-message").textContent = "submitting";
  try {
    const out = await api("/api/runs", body);
    $("#run-message").textContent = "queued " + out.id.slice(0, 8);
    showTab("runs");
    showRun(out.id);
  } catch (e) { $("#run-message").textContent = e.message; }
});

/* runs */
async function loadRuns() {
  const runs = await api("/api/runs");
  $("#runs-table tbody").innerHTML = runs.map((r) =>
    `<tr data-id="${r.id}"><td>${r.id.slice(0, 8)}</td><td>${esc(r.kind)}</td>` +
    `<td class="status">${esc(r.status)}</td><td><div class="bar"><div style="width:${Math.round(100 * r.progress)}%"></div></div></td>` +
    `<td>${new Date(1000 * r.created).toLocaleTimeString()}</td></tr>`).join("");
  return runs;
}
$("#runs-table tbody").addEventListener("click", (ev) => { const tr = ev.target.closest("tr"); if (tr) showRun(tr.dataset.id); });
$("#refresh").addEventListener("click", loadRuns);

const FILES = {simulate: ["areas.csv", "areas.parquet", "fleets.csv", "summary.csv", "report.html"],
  exposure: ["exposure.csv", "exposure.parquet"], optimise: ["curve.csv", "curve.parquet"],
  compare: ["comparison.csv", "comparison.parquet"]};
let polling = null;
function plot(el, chart) {
  Plotly.newPlot(el, chart.data, chart.layout, {displaylogo: false, responsive: true});
}
async function showRun(id) {
  clearTimeout(polling);
  const run = await api("/api/runs/" + id);
  const files = ["input.yaml", "result.json", ...(FILES[run.kind] || [])];
  let html = `<h2>${esc(run.kind)} ${run.id.slice(0, 8)}</h2>` +
    `<p>status <b id="run-status">${esc(run.status)}</b>, ${Math.round(100 * run.progress)}%; ` +
    `tether ${esc(run.version)}; settings ${esc(JSON.stringify(run.settings))}</p>`;
  if (run.error) html += `<p class="error">${esc(run.error)}</p>`;
  if (run.status === "done") {
    html += `<p class="downloads">` + files.map((f) =>
      `<a href="/api/runs/${run.id}/files/${f}" download data-file="${f}">${f}</a>`).join("") + "</p>";
    html += `<div id="run-chart" class="chart"></div>`;
    const r = run.result;
    if (r.areas && Array.isArray(r.areas)) {
      html += "<h3>Summary</h3><table><tr><th>area</th><th>lowest</th><th>days lost</th><th>assumed</th></tr>" +
        r.areas.map((a) => `<tr><td>${esc(a.name)}</td><td>${(a.metrics.minimum ?? 0).toFixed(3)}</td>` +
          `<td>${(a.metrics.days_lost ?? 0).toFixed(1)}</td><td class="${a.assumptions.length ? "assumed" : ""}">` +
          `${esc(a.assumptions.join(", "))}</td></tr>`).join("") + "</table>";
    }
    if (r.best) html += `<p>Best within budget ${r.best.budget}: ${esc(r.best.options.join(", ") || "(none)")}, ` +
      `objective ${r.best.objective.toFixed(2)} ${esc(r.units)}</p>`;
  }
  $("#run-detail").innerHTML = html;
  if (run.status === "done" && run.result.chart) plot($("#run-chart"), run.result.chart);
  if (run.status === "queued" || run.status === "running") polling = setTimeout(() => { showRun(id); loadRuns(); }, 500);
}

/* two runs side by side */
async function loadSide() {
  const runs = (await api("/api/runs")).filter((r) => r.status === "done");
  const options = runs.map((r) => `<option value="${r.id}">${r.id.slice(0, 8)} ${esc(r.kind)} ${esc(r.settings.scenario || r.settings.force || r.settings.decision || "")}</option>`).join("");
  $("#side-a").innerHTML = options; $("#side-b").innerHTML = options;
  if (runs.length > 1) $("#side-b").selectedIndex = 1;
}
$("#side-show").addEventListener("click", async () => {
  for (const [sel, el] of [["#side-a", "#side-chart-a"], ["#side-b", "#side-chart-b"]]) {
    if (!$(sel).value) continue;
    const run = await api("/api/runs/" + $(sel).value);
    if (run.result && run.result.chart) plot($(el), run.result.chart);
  }
});

/* atlas: recipient x supplier shares of delivered TIV as a heat map */
let atlasGroups = null;
async function loadAtlasGroups() {
  if (atlasGroups) return;
  atlasGroups = await api("/api/atlas/groups");
  $("#a-group").innerHTML += Object.keys(atlasGroups).map((g) => `<option value="${esc(g)}">${esc(g)}</option>`).join("");
}
$("#atlas-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const q = new URLSearchParams();
  if ($("#a-group").value) q.set("group", $("#a-group").value);
  if ($("#a-countries").value.trim()) q.set("countries", $("#a-countries").value);
  if ($("#a-since").value) q.set("since", $("#a-since").value);
  if ($("#a-top").value) q.set("top", $("#a-top").value);
  $("#atlas-message").className = ""; $("#atlas-message").textContent = "loading";
  try {
    const m = await api("/api/atlas/matrix?" + q.toString());
    $("#atlas-message").textContent = `${m.recipients.length} recipients` + (m.since ? `, deliveries since ${m.since}` : "");
    const y = m.recipients.map((r, i) => `${r} (${m.tiv_delivered[i].toFixed(0)})`);
    plot($("#atlas-chart"), {
      data: [{type: "heatmap", z: m.shares, x: m.suppliers, y, zmin: 0, zmax: 1,
        colorscale: [[0, "#f7fbff"], [0.5, "#6baed6"], [1, "#08306b"]], colorbar: {title: {text: "share"}, tickformat: ".0%"},
        texttemplate: "%{z:.0%}", hovertemplate: "%{y} from %{x}: %{z:.1%}<extra></extra>"}],
      layout: {title: {text: "Share of each recipient's delivered TIV, by supplier"}, xaxis: {side: "top"},
        yaxis: {title: {text: "recipient (TIV delivered, millions)"}, autorange: "reversed", automargin: true},
        height: Math.max(300, 80 + 28 * m.recipients.length), margin: {t: 100}}});
    $("#atlas-chart").dataset.recipients = String(m.recipients.length);
  } catch (e) {
    $("#atlas-message").className = "bad"; $("#atlas-message").textContent = e.message;
    Plotly.purge($("#atlas-chart")); delete $("#atlas-chart").dataset.recipients;
  }
});

/* start */
(async () => {
  const info = await api("/api/info");
  $("#version").textContent = "tether " + info.version;
  catalogue = await api("/api/catalogue");
  const sections = [...new Set(catalogue.map((e) => e.section))];
  $("#cat-section").innerHTML += sections.map((s) => `<option>${s}</option>`).join("");
  drawCatalogue();
  fillForm();
  drawGutter();
  document.body.dataset.ready = "1";
})();
