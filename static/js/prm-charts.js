/* Draws every <canvas data-chart="ID"> from the JSON in <script id="ID">, on page load
   and in content htmx swaps in (the dashboard's live fragment), replacing the chart a
   canvas had. The numbers are also in a table next to each chart. */
(function () {
  "use strict";
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var palette = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#dc3545", "#6c757d", "#0dcaf0"];

  // Axis ticks and tooltips in the tenant's locale, money with its currency (the
  // spec's `format`; the tables under the charts are written by the server the same way).
  function formatters(format) {
    if (!format || !window.Intl) { return null; }
    var money = format.unit === "money";
    var percent = format.unit === "percent";
    var base = money ? { style: "currency", currency: format.currency } : percent ? { style: "percent" } : {};
    try {
      return {
        tick: new Intl.NumberFormat(format.locale, Object.assign({ maximumFractionDigits: 0 }, base)),
        exact: new Intl.NumberFormat(format.locale, Object.assign(money ? {} : { maximumFractionDigits: 2 }, base))
      };
    } catch (error) {
      return null;
    }
  }

  function draw(root) {
    if (typeof Chart === "undefined") { return; }
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      var round = spec.type === "doughnut";
      var written = formatters(spec.format);
      var previous = Chart.getChart(canvas);
      if (previous) { previous.destroy(); }
      new Chart(canvas, {
        type: spec.type,
        data: {
          labels: spec.labels,
          datasets: spec.datasets.map(function (dataset, index) {
            var colour = palette[index % palette.length];
            return {
              label: dataset.label,
              data: dataset.data,
              backgroundColor: round ? palette : colour,
              borderColor: round ? "#fff" : colour,
              tension: 0.2,
              pointRadius: spec.labels.length > 60 ? 0 : 2
            };
          })
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: reduceMotion || canvas.dataset.drawn ? false : { duration: 300 },
          locale: spec.format ? spec.format.locale : undefined,
          plugins: {
            legend: { display: round || spec.datasets.length > 1 },
            tooltip: written ? {
              callbacks: {
                label: function (item) {
                  var value = round ? item.parsed : item.parsed.y;
                  var name = round ? item.label : item.dataset.label;
                  return (name ? name + ": " : "") + written.exact.format(value);
                }
              }
            } : {}
          },
          scales: round ? {} : {
            y: {
              beginAtZero: true,
              // Counts have whole ticks only; money shows its cents where a tick has them
              // (an empty chart's axis runs from 0 to 1).
              ticks: Object.assign(
                spec.format && spec.format.unit === "count" ? { precision: 0 } : {},
                written ? {
                  callback: function (value) {
                    return (Number.isInteger(value) ? written.tick : written.exact).format(value);
                  }
                } : {}
              )
            }
          }
        }
      });
      canvas.dataset.drawn = "yes";
    });
  }

  if (window.htmx) {
    htmx.onLoad(draw);
  } else {
    document.addEventListener("DOMContentLoaded", function () { draw(document); });
  }
})();
