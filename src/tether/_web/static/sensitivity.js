/* tether workbench, Sensitivity tab: draws what POST /api/sensitivity returns (uses
   $, esc, api and plot from app.js). */
"use strict";

function sensCell(v) {
  if (v === null || v === undefined) return "<td>-</td>";
  if (typeof v === "number") return `<td class="n">${Number.isInteger(v) ? v : v.toPrecision(4)}</td>`;
  return `<td>${esc(v)}</td>`;
}
function sensTable(header, rows) {
  return "<table><tr>" + header.map((h) => `<th>${esc(h)}</th>`).join("") + "</tr>" +
    rows.map((r) => "<tr>" + r.map(sensCell).join("") + "</tr>").join("") + "</table>";
}
$("#sens-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const body = {yaml: $("#editor").value || "{}\n",
    trajectories: Number($("#s-trajectories").value || 4), samples: Number($("#s-samples").value || 32),
    ranking: Number($("#s-ranking").value || 0)};
  if ($("#s-force").value) body.force = $("#s-force").value;
  if ($("#s-scenario").value) body.scenario = $("#s-scenario").value;
  $("#sens-message").className = ""; $("#sens-message").textContent = "analysing";
  try {
    const s = await api("/api/sensitivity", body);
    $("#sens-message").textContent = `${s.force}, ${s.scenario}: ${s.rows.length} parameters, ` +
      `${s.morris_runs} Morris runs, Sobol on ${s.rows.filter((r) => r.screened_in).length} (${s.sobol_runs} runs); ` +
      `top supplier ${s.top_supplier}`;
    plot($("#sens-chart"), s.chart);
    const t = s.tables;
    let html = "";
    for (const [key, label] of Object.entries(t.labels)) {
      html += `<h3>${esc(label)} (base ${Number(s.base[key]).toPrecision(4)})</h3>` + sensTable(t.header, t.rows[key]);
    }
    if (t.ranking.length) {
      html += `<h3 id="sens-ranking-title">Robustness of the exposure ranking (${s.ranking_samples} samples)</h3>` +
        `<div id="sens-ranking">${sensTable(t.ranking_header, t.ranking)}</div>`;
    }
    $("#sens-tables").innerHTML = html;
    $("#sens-tables").dataset.rows = String(s.rows.length);
  } catch (e) {
    $("#sens-message").className = "bad"; $("#sens-message").textContent = e.message;
    Plotly.purge($("#sens-chart")); $("#sens-tables").innerHTML = ""; delete $("#sens-tables").dataset.rows;
  }
});
