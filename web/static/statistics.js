// The statistics page's charts: each <div data-chart="ID"> is drawn by ECharts (vendored, SVG
// renderer) from the JSON block <script type="application/json" id="ID"> beside it — data, not code,
// so the CSP (script-src 'self') holds. The table next to every chart is its text alternative; the
// page reads fully without this file. Animation is always off, so a printed page shows finished
// charts; before printing the charts are redrawn at the paper's width.
(function () {
  "use strict";

  // Period fields: show only those of the chosen kind (without script, all are shown).
  function periodFields() {
    var kind = document.getElementById("f-kind");
    var box = document.getElementById("period-fields");
    if (!kind || !box) return;
    function sync() {
      box.querySelectorAll("[data-period]").forEach(function (el) {
        el.hidden = el.getAttribute("data-period").split(" ").indexOf(kind.value) < 0;
      });
    }
    kind.addEventListener("change", sync);
    sync();
  }

  function percent(v) {
    return v === null || v === undefined ? "—" : (v * 100).toFixed(2) + " %";
  }

  function option(data) {
    var palette = ["#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c"];
    var valueAxis = { type: "value", minInterval: data.percent ? undefined : 1 };
    if (data.max !== null && data.max !== undefined) valueAxis.max = data.max;
    if (data.percent) valueAxis.axisLabel = { formatter: function (v) { return Math.round(v * 100) + "%"; } };
    return {
      animation: false,
      color: palette,
      aria: { enabled: false }, // the table beside the chart is the text alternative
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      grid: { left: 8, right: 16, top: data.series.length > 1 ? 36 : 16, bottom: 8, containLabel: true },
      legend: data.series.length > 1 ? { top: 0 } : undefined,
      tooltip: {
        trigger: "axis",
        valueFormatter: data.percent ? percent : function (v) { return v === null ? "—" : v + (data.unit || ""); },
      },
      xAxis: {
        type: "category",
        data: data.categories,
        axisLabel: { interval: 0, hideOverlap: true, rotate: data.categories.length > 6 ? 30 : 0 },
      },
      yAxis: valueAxis,
      series: data.series.map(function (s) {
        return { name: s.name, type: data.kind, data: s.values, connectNulls: false, barMaxWidth: 40 };
      }),
    };
  }

  var charts = [];

  function draw() {
    if (!window.echarts) return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var block = document.getElementById(el.getAttribute("data-chart"));
      if (!block) return;
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(option(JSON.parse(block.textContent)));
      charts.push(chart);
    });
  }

  function resize() {
    charts.forEach(function (c) { c.resize({ animation: { duration: 0 } }); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    periodFields();
    draw();
    window.addEventListener("resize", resize);
    window.addEventListener("beforeprint", resize);
    window.addEventListener("afterprint", resize);
    if (window.matchMedia) {
      var print = window.matchMedia("print");
      if (print.addEventListener) print.addEventListener("change", resize);
    }
  });
})();
