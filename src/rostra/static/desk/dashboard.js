// The desk's dashboard charts: the figures come from the page's JSON block
// (no inline script under the strict CSP), drawn by the vendored Chart.js
// (static/desk/vendor, loaded before this module as window.Chart).
const block = document.getElementById("dashboard-data");
const Chart = window.Chart;
if (block && Chart) {
  const data = JSON.parse(block.textContent);
  const css = getComputedStyle(document.documentElement);
  const colour = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const ok = colour("--ok", "#1d6b32");
  const warn = colour("--warn", "#9a5b00");
  const accent = colour("--accent", "#8a1c1c");
  const pick = colour("--pick", "#6b4ea0");
  const fg = colour("--fg", "#1a1a1a");
  const line = colour("--line", "#d5d2cb");
  Chart.defaults.color = fg;
  Chart.defaults.borderColor = line;
  Chart.defaults.animation = false;
  const draw = (id, config) => {
    const canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  };
  const stacked = { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } };
  draw("chart-hours", {
    type: "bar",
    data: {
      labels: data.hours,
      datasets: [
        { label: "published", data: data.published, backgroundColor: ok },
        { label: "held", data: data.pending, backgroundColor: warn },
        { label: "rejected", data: data.rejected, backgroundColor: accent },
      ],
    },
    options: { responsive: true, maintainAspectRatio: false, scales: stacked },
  });
  const palette = [accent, warn, pick, ok, "#1f5fbf", "#777", "#b05e27", "#2d8c8c"];
  draw("chart-reasons", {
    type: "doughnut",
    data: {
      labels: data.reasons.length ? data.reasons : ["nothing held or rejected"],
      datasets: [{
        data: data.reasons.length ? data.reason_counts : [1],
        backgroundColor: data.reasons.length ? data.reasons.map((_, i) => palette[i % palette.length]) : [line],
      }],
    },
    options: { responsive: true, maintainAspectRatio: false },
  });
  draw("chart-queue", {
    type: "bar",
    data: {
      labels: ["held", "reported"],
      datasets: [{ label: "comments", data: data.queue, backgroundColor: [warn, accent] }],
    },
    options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  draw("chart-stories", {
    type: "bar",
    data: {
      labels: data.stories,
      datasets: [{ label: "comments (48 h)", data: data.story_counts, backgroundColor: pick }],
    },
    options: { indexAxis: "y", responsive: true, maintainAspectRatio: false,
      plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  document.documentElement.dataset.charts = "drawn";
}
