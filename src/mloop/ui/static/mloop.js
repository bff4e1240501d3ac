// mloop UI: small progressive enhancements only (every page works without this file).
// - tables with class "sortable": click a header to sort by that column
// - elements with data-hover inside an SVG chart: show the value under the pointer
(function () {
  "use strict";
  function cellValue(row, index) {
    var cell = row.children[index];
    if (!cell) return "";
    var raw = cell.getAttribute("data-sort") || cell.textContent.trim();
    var number = parseFloat(raw.replace(/,/g, ""));
    return isNaN(number) || !/^-?[\d.,eE+-]+( ?(ms|s|%))?$/.test(raw) ? raw.toLowerCase() : number;
  }
  function sortBy(table, index, header) {
    var body = table.tBodies[0];
    if (!body) return;
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index);
      if (x === y) return 0;
      return (x < y ? -1 : 1) * (ascending ? 1 : -1);
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  function hover(svg) {
    var tip = document.createElement("div");
    tip.className = "chart-tip";
    tip.hidden = true;
    svg.parentNode.appendChild(tip);
    svg.addEventListener("mousemove", function (event) {
      var target = event.target.closest("[data-hover]");
      if (!target) { tip.hidden = true; return; }
      tip.textContent = target.getAttribute("data-hover");
      tip.hidden = false;
      var box = svg.parentNode.getBoundingClientRect();
      tip.style.left = (event.clientX - box.left + 12) + "px";
      tip.style.top = (event.clientY - box.top + 12) + "px";
    });
    svg.addEventListener("mouseleave", function () { tip.hidden = true; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table.sortable thead th").forEach(function (header) {
      header.tabIndex = 0;
      header.addEventListener("click", function () { sortBy(header.closest("table"), header.cellIndex, header); });
    });
    document.querySelectorAll("svg.chart, svg.graph").forEach(hover);
  });
})();
