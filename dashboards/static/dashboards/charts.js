// Draws every dashboard chart with Apache ECharts (vendored, qinqing/static/vendor/echarts/).
//
// Each chart container names the JSON data block written beside it by the page
// (<div class="chart" data-chart="chart-data-KEY"> and <script type="application/json"
// id="chart-data-KEY">): Figure.as_json(), the same rows as the table next to the chart.
// Nothing here is inline: the page's Content-Security-Policy allows scripts and styles from
// this site only. ECharts sizes its own elements through element.style (the CSSOM, which the
// policy allows); the tooltip's content is written with classes, never style attributes.
(function () {
  "use strict";

  var lang = (document.documentElement.getAttribute("lang") || "zh-Hans").toLowerCase();
  var zh = lang.indexOf("zh") === 0;
  var locale = zh ? "zh-CN" : "en-GB";
  // Units as dashboards/templatetags/dashboard_format.py writes them in each language.
  var UNITS = zh
    ? { ms: " 毫秒", s: " 秒", min: " 分钟", h: " 小时", d: " 天" }
    : { ms: " ms", s: " s", min: " min", h: " h", d: " d" };
  var NUMERIC = { int: true, money: true, share: true, hours: true, seconds: true, ms: true };
  var PALETTE = ["#b3211f", "#0b5cad", "#bf8700", "#1a7f37", "#6639ba", "#57606a", "#d4582c", "#0a7a7a", "#e085c2", "#7d4e24", "#8fb3e0", "#9aa32f"];
  var FONT = '"PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", "Source Han Sans SC", system-ui, sans-serif';
  var NARROW = 560; // px: below this a chart turns its bars sideways and hides pie labels
  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  var grouped = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  var oneDecimal = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  var twoDecimals = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var compact = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });

  function toNumber(value) {
    if (value === null || value === undefined || value === "") { return null; }
    var number = parseFloat(value); // money comes as an exact string: "1234.50"
    return isNaN(number) ? null : number;
  }

  function duration(ms) {
    if (ms < 1000) { return grouped.format(ms) + UNITS.ms; }
    var s = ms / 1000;
    if (s < 60) { return oneDecimal.format(s) + UNITS.s; }
    if (s < 3600) { return oneDecimal.format(s / 60) + UNITS.min; }
    if (s < 86400) { return oneDecimal.format(s / 3600) + UNITS.h; }
    return oneDecimal.format(s / 86400) + UNITS.d;
  }

  // The same text as the table beside the chart.
  function format(value, kind) {
    var number = toNumber(value);
    if (number === null) { return value === null || value === undefined || value === "" ? "—" : String(value); }
    switch (kind) {
      case "money": return "¥" + twoDecimals.format(number);
      case "int": return grouped.format(number);
      case "share": return oneDecimal.format(number * 100) + "%";
      case "hours": return oneDecimal.format(number) + UNITS.h;
      case "seconds": return duration(number * 1000);
      case "ms": return duration(number);
      default: return String(value);
    }
  }

  // Axis ticks: short ("¥1.2万", "35%", "1.2K").
  function axisFormat(kind) {
    return function (value) {
      if (kind === "share") { return Math.round(value * 100) + "%"; }
      if (kind === "money") { return "¥" + compact.format(value); }
      if (kind === "hours") { return compact.format(value) + UNITS.h; }
      if (kind === "ms") { return value < 1000 ? compact.format(value) + UNITS.ms : compact.format(value / 1000) + UNITS.s; }
      if (kind === "seconds") { return compact.format(value) + UNITS.s; }
      return compact.format(value);
    };
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // Which numeric columns to draw: a line chart takes up to two kinds (left and right axis,
  // e.g. yuan and number of payments); a bar chart the kind most of its columns share (the
  // rest, such as a share beside counts, stays in the table).
  function chosenColumns(columns, chart) {
    var kinds = [];
    var byKind = {};
    columns.forEach(function (column, index) {
      if (index === 0 || !NUMERIC[column.kind]) { return; }
      if (!byKind[column.kind]) { byKind[column.kind] = []; kinds.push(column.kind); }
      byKind[column.kind].push(index);
    });
    if (!kinds.length) { return { kinds: [], indexes: [] }; }
    if (chart === "bar") {
      var best = kinds[0];
      kinds.forEach(function (kind) { if (byKind[kind].length > byKind[best].length) { best = kind; } });
      kinds = [best];
    } else {
      kinds = kinds.slice(0, 2);
    }
    var indexes = [];
    kinds.forEach(function (kind) { indexes = indexes.concat(byKind[kind]); });
    indexes.sort(function (a, b) { return a - b; });
    return { kinds: kinds, indexes: indexes };
  }

  function tooltipFormatter(columns) {
    return function (params) {
      var items = Array.isArray(params) ? params : [params];
      if (!items.length) { return ""; }
      var html = '<div class="chart-tip"><strong>' + escapeHtml(items[0].name) + "</strong>";
      items.forEach(function (item) {
        var data = item.data || {};
        var column = columns[data.column === undefined ? 1 : data.column];
        var kind = column ? column.kind : "int";
        var text = format(data.raw === undefined ? item.value : data.raw, kind);
        if (item.percent !== undefined) { text += " (" + oneDecimal.format(item.percent) + "%)"; }
        // The series' colour as a class (tip-swatch-N in dashboards.css), not a style attribute.
        var swatch = (item.componentSubType === "pie" ? item.dataIndex : item.seriesIndex) % PALETTE.length;
        var name = item.componentSubType === "pie" ? column.label : item.seriesName;
        html += '<span class="tip-row"><span class="tip-swatch tip-swatch-' + swatch + '" aria-hidden="true"></span>' +
          escapeHtml(name) + ': <span class="tip-value">' + escapeHtml(text) + "</span></span><br>";
      });
      return html + "</div>";
    };
  }

  var baseOption = {
    color: PALETTE,
    animation: !reducedMotion,
    textStyle: { fontFamily: FONT, color: "#1f2328" },
  };

  function pieLegendHeight(count) { return 24 * Math.ceil(count / (zh ? 3 : 2)) + 8; }
  function pieHeight(count) { return 230 + pieLegendHeight(count); }

  function pieOption(payload, narrow, width) {
    var column = payload.columns[1];
    var data = payload.rows.map(function (row) {
      return { name: String(row[0]), value: toNumber(row[1]), raw: row[1], column: 1 };
    });
    // Every state named in the legend (beside the ring on wide screens, below it on narrow
    // ones); percentages only on slices large enough to carry one.
    var legend = narrow
      ? { type: "plain", orient: "horizontal", bottom: 0, left: "center", itemGap: 8 }
      : { type: "scroll", orient: "vertical", right: 0, top: "middle", itemGap: 8 };
    legend.textStyle = { fontFamily: FONT };
    // On a narrow screen the ring sits above the legend, sized to the room left (pixels).
    var ring = Math.max(60, Math.min(width / 2 - 72, (pieHeight(payload.rows.length) - pieLegendHeight(payload.rows.length)) / 2 - 24));
    return Object.assign({}, baseOption, {
      tooltip: { trigger: "item", confine: true, formatter: tooltipFormatter(payload.columns) },
      legend: legend,
      series: [{
        type: "pie",
        name: column.label,
        radius: narrow ? [ring * 0.55, ring] : ["38%", "70%"],
        center: narrow ? ["50%", ring + 16] : ["32%", "50%"],
        percentPrecision: 1,
        minShowLabelAngle: narrow ? 20 : 10,
        avoidLabelOverlap: true,
        label: { show: true, formatter: "{d}%", fontFamily: FONT },
        data: data,
      }],
    });
  }

  // About how many lines a legend of these series takes in a chart `width` pixels wide.
  function legendLinesFor(series, width) {
    var perChar = zh ? 12 : 6.5;
    var total = series.reduce(function (sum, entry) { return sum + 25 + 10 + String(entry.name).length * perChar; }, 0);
    return Math.max(1, Math.ceil(total / Math.max(200, width - 40)));
  }

  function cartesianOption(payload, narrow, width) {
    var columns = payload.columns;
    var rows = payload.rows;
    var chosen = chosenColumns(columns, payload.chart);
    var categories = rows.map(function (row) { return row[0] === null ? "—" : String(row[0]); });
    var longest = categories.reduce(function (max, name) { return Math.max(max, name.length); }, 0);
    var sideways = payload.chart === "bar" && (narrow || categories.length > 6 || longest > 8);
    var valueAxes = chosen.kinds.map(function (kind, index) {
      return {
        type: "value",
        position: index === 0 ? (sideways ? "bottom" : "left") : (sideways ? "top" : "right"),
        axisLabel: { formatter: axisFormat(kind), hideOverlap: true, fontFamily: FONT },
        splitLine: { show: index === 0 },
        max: kind === "share" ? 1 : null,
      };
    });
    var categoryAxis = {
      type: "category",
      data: categories,
      inverse: sideways, // first row at the top, as in the table
      axisLabel: sideways
        ? { width: narrow ? 104 : 240, overflow: "break", lineHeight: 14, fontFamily: FONT }
        : { hideOverlap: true, fontFamily: FONT },
      axisTick: { alignWithLabel: true },
    };
    var series = chosen.indexes.map(function (index) {
      var column = columns[index];
      var axis = chosen.kinds.indexOf(column.kind);
      var entry = {
        type: payload.chart === "line" ? "line" : "bar",
        name: column.label,
        data: rows.map(function (row) { return { value: toNumber(row[index]), raw: row[index], column: index }; }),
        emphasis: { focus: "series" },
      };
      entry[sideways ? "xAxisIndex" : "yAxisIndex"] = axis;
      if (entry.type === "line") { entry.symbolSize = 6; entry.connectNulls = false; }
      else { entry.barMaxWidth = sideways ? 18 : 40; }
      return entry;
    });
    var legend = series.length > 1;
    var legendLines = legend ? legendLinesFor(series, width) : 0;
    return Object.assign({}, baseOption, {
      tooltip: { trigger: "axis", confine: true, axisPointer: { type: payload.chart === "line" ? "line" : "shadow" }, formatter: tooltipFormatter(columns) },
      // A plain legend wraps onto as many lines as it needs; the plot starts below it.
      legend: legend ? { type: "plain", top: 0, itemGap: 10, textStyle: { fontFamily: FONT } } : { show: false },
      grid: { left: 8, right: 16, top: legend ? 14 + 22 * legendLines : 16, bottom: 8 },
      xAxis: sideways ? valueAxes : categoryAxis,
      yAxis: sideways ? categoryAxis : valueAxes,
      series: series,
    });
  }

  function chartHeight(payload, narrow) {
    // Sideways bars need room per category, a pie on a narrow screen room for its legend
    // below; other charts keep the height the stylesheet gives.
    if (payload.chart === "pie") { return narrow ? pieHeight(payload.rows.length) : null; }
    if (payload.chart !== "bar") { return null; }
    var chosen = chosenColumns(payload.columns, "bar");
    var categories = payload.rows.length;
    var longest = payload.rows.reduce(function (max, row) { return Math.max(max, String(row[0]).length); }, 0);
    if (!(narrow || categories > 6 || longest > 8)) { return null; }
    // Room for the bars and for a name broken over two or three lines.
    var perCategory = Math.max(narrow ? 44 : 32, 10 + 12 * Math.max(1, chosen.indexes.length));
    return Math.max(240, Math.min(1600, categories * perCategory + 90));
  }

  function optionFor(payload, narrow, width) {
    return payload.chart === "pie" ? pieOption(payload, narrow, width) : cartesianOption(payload, narrow, width);
  }

  function draw(container) {
    var source = document.getElementById(container.getAttribute("data-chart"));
    if (!source) { return; }
    var payload;
    try { payload = JSON.parse(source.textContent); } catch (error) { return; }
    if (!payload.rows || !payload.rows.length || payload.chart === "table" || payload.chart === "kpi") { return; }
    var narrow = container.clientWidth < NARROW;
    var height = chartHeight(payload, narrow);
    if (height) { container.style.height = height + "px"; } // CSSOM, allowed by the policy
    var chart = echarts.init(container, null, { renderer: "canvas", locale: zh ? "ZH" : "EN" });
    var width = container.clientWidth;
    chart.setOption(optionFor(payload, narrow, width));
    container.setAttribute("data-rendered", "true");

    var resize = function () {
      var nowWidth = container.clientWidth;
      if (nowWidth === width) { return; }
      var nowNarrow = nowWidth < NARROW;
      if (nowNarrow !== narrow) {
        var newHeight = chartHeight(payload, nowNarrow);
        container.style.height = newHeight ? newHeight + "px" : "";
      }
      narrow = nowNarrow;
      width = nowWidth;
      chart.resize();
      var option = optionFor(payload, narrow, width); // legend lines, label widths
      option.animation = false;
      chart.setOption(option, true);
    };
    if (window.ResizeObserver) {
      var pending = null;
      new ResizeObserver(function () {
        if (pending) { window.cancelAnimationFrame(pending); }
        pending = window.requestAnimationFrame(resize);
      }).observe(container);
    } else {
      window.addEventListener("resize", resize);
    }
  }

  function drawAll() {
    if (!window.echarts) { return; }
    Array.prototype.forEach.call(document.querySelectorAll(".chart[data-chart]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
