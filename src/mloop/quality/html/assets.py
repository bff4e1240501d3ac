"""The one stylesheet and the one small script every report page inlines (nothing is fetched).

The colours are CSS variables: light by default, dark under `prefers-color-scheme: dark` on screen,
and always light on paper. Status colours come with icons and words, never alone."""

from __future__ import annotations

STYLE = """
:root{--bg:#f5f6f8;--panel:#fff;--text:#1b1f24;--muted:#59626e;--line:#dde1e6;--soft:#eef0f3;--link:#2456b8;
--ref:#6f86ad;--cur:#e8710a;--one:#4a78d0;
--pass-bg:#e2f3e7;--pass-fg:#0e5327;--pass-line:#2e9e55;--fail-bg:#fde7e7;--fail-fg:#8a1111;--fail-line:#d63333;
--warn-bg:#fff2d1;--warn-fg:#654600;--warn-line:#d69a00;--drift-bg:#ffe8d4;--drift-fg:#7a3000;--drift-line:#e8710a;
--info-bg:#e5edfb;--info-fg:#1c3d78;--info-line:#3b6fd8;--muted-bg:#eceef1;--muted-fg:#4a525c;--muted-line:#9aa3ae;
color-scheme:light}
@media screen and (prefers-color-scheme:dark){:root{--bg:#111317;--panel:#1a1d23;--text:#e5e7ea;--muted:#9ea7b3;
--line:#2f343c;--soft:#23272e;--link:#8db4ff;--ref:#8fa5cc;--cur:#ff9b42;--one:#7ea6f2;
--pass-bg:#10301c;--pass-fg:#9be3b1;--fail-bg:#3a1416;--fail-fg:#ffb3b3;--warn-bg:#35290b;--warn-fg:#ffd978;
--drift-bg:#3a220d;--drift-fg:#ffc08a;--info-bg:#15264a;--info-fg:#b5ccff;--muted-bg:#262a31;--muted-fg:#c3c9d1;
color-scheme:dark}}
*{box-sizing:border-box}
html{background:var(--bg)}
body{margin:0 auto;max-width:1200px;padding:28px 32px 64px;color:var(--text);background:var(--bg);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
a{color:var(--link)}
h1{font-size:26px;line-height:1.2;margin:2px 0 4px}
h2{font-size:18px;margin:0 0 12px;display:flex;align-items:center;gap:8px}
h3{font-size:15px;margin:0}
.kicker{color:var(--muted);font-size:12px;letter-spacing:.06em;text-transform:uppercase;margin:0}
.subtitle{margin:0;font-size:15px;color:var(--muted)}
.meta{margin:6px 0 0;font-size:12px;color:var(--muted)}
.muted{color:var(--muted)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.verdict{display:flex;gap:14px;align-items:center;margin:20px 0 14px;padding:14px 18px;border-radius:10px;
border-left:6px solid;font-size:15px}
.verdict .icon{flex:none;width:34px;height:34px;border-radius:50%;display:grid;place-items:center;font-size:19px;
font-weight:700;color:var(--panel)}
.verdict strong{display:block;font-size:19px;line-height:1.25}
.verdict p{margin:2px 0 0}
.pass{background:var(--pass-bg);color:var(--pass-fg);border-color:var(--pass-line)}
.fail{background:var(--fail-bg);color:var(--fail-fg);border-color:var(--fail-line)}
.warn{background:var(--warn-bg);color:var(--warn-fg);border-color:var(--warn-line)}
.drift{background:var(--drift-bg);color:var(--drift-fg);border-color:var(--drift-line)}
.info{background:var(--info-bg);color:var(--info-fg);border-color:var(--info-line)}
.muted-tone{background:var(--muted-bg);color:var(--muted-fg);border-color:var(--muted-line)}
.verdict.pass .icon{background:var(--pass-line)}.verdict.fail .icon{background:var(--fail-line)}
.verdict.warn .icon{background:var(--warn-line)}.verdict.drift .icon{background:var(--drift-line)}
.verdict.info .icon{background:var(--info-line)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:0 0 10px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:10px 14px;border-top:3px solid var(--line)}
.card .label{font-size:12px;color:var(--muted)}
.card .value{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums;line-height:1.3}
.card .note{font-size:12px;color:var(--muted)}
.card.fail{border-top-color:var(--fail-line)}.card.warn{border-top-color:var(--warn-line)}
.card.drift{border-top-color:var(--drift-line)}.card.pass{border-top-color:var(--pass-line)}
.card.fail,.card.warn,.card.drift,.card.pass{background:var(--panel);color:var(--text)}
.card.fail .value{color:var(--fail-fg)}.card.warn .value{color:var(--warn-fg)}.card.drift .value{color:var(--drift-fg)}
.summary{margin:4px 0 10px;font-size:14.5px}
nav.toc{display:flex;flex-wrap:wrap;gap:6px 16px;margin:6px 0 22px;font-size:13px}
section.block{background:var(--panel);border:1px solid var(--line);border-radius:12px;padding:18px 20px;margin:0 0 18px}
.count{font-size:12px;font-weight:600;padding:1px 8px;border-radius:999px;background:var(--soft);color:var(--muted)}
.callout{border-left:4px solid;border-radius:8px;padding:10px 14px;margin:0 0 12px}
.callout ul{margin:0;padding-left:18px}
.badge{display:inline-flex;gap:4px;align-items:center;white-space:nowrap;font-size:12px;font-weight:600;
padding:1px 8px;border-radius:999px;border:1px solid}
.chip{display:inline-block;font-size:12px;padding:0 7px;border-radius:6px;background:var(--soft);color:var(--muted);white-space:nowrap}
.table-wrap{overflow-x:auto;max-height:none}
table{border-collapse:collapse;width:100%;font-size:13px}
caption{text-align:left;color:var(--muted);padding:0 0 6px}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
th{position:sticky;top:0;background:var(--panel);font-weight:600;color:var(--muted);white-space:nowrap;z-index:1}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:hover{background:var(--soft)}
tr.bad td:first-child{box-shadow:inset 3px 0 var(--fail-line)}
tr.drifted td:first-child{box-shadow:inset 3px 0 var(--drift-line)}
tr.warned td:first-child{box-shadow:inset 3px 0 var(--warn-line)}
th button{all:unset;cursor:pointer}
th button:focus-visible{outline:2px solid var(--link)}
th[aria-sort=ascending] button::after{content:" ▲";font-size:10px}
th[aria-sort=descending] button::after{content:" ▼";font-size:10px}
.filter{display:inline-flex;gap:8px;align-items:center;margin:0 0 8px;font-size:13px;color:var(--muted)}
.filter input{font:inherit;color:var(--text);background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:4px 8px;width:220px}
details.item{border:1px solid var(--line);border-radius:10px;margin:0 0 8px;background:var(--panel)}
details.item>summary{cursor:pointer;padding:9px 14px;display:flex;flex-wrap:wrap;gap:6px 10px;align-items:center;list-style-position:inside}
details.item>summary::-webkit-details-marker{margin-right:4px}
details.item[open]>summary{border-bottom:1px solid var(--line)}
details.item .name{font-weight:650}
.detail{display:grid;grid-template-columns:minmax(240px,1fr) minmax(0,2fr);gap:16px 24px;padding:14px}
@media (max-width:800px){.detail{grid-template-columns:1fr}}
.finding{border:1px solid var(--line);border-left:5px solid var(--fail-line);border-radius:10px;padding:12px 16px;margin:0 0 10px}
.finding.warned{border-left-color:var(--warn-line)}
.finding header{display:flex;flex-wrap:wrap;gap:6px 10px;align-items:center}
.finding p{margin:6px 0}
dl.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:6px 16px;margin:8px 0}
dl.facts div{min-width:0}
dl.facts dt{font-size:12px;color:var(--muted)}
dl.facts dd{margin:0;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
details.sample{margin:8px 0 0}
details.sample summary{cursor:pointer;color:var(--link);font-size:13px}
svg.chart{display:block;width:100%;max-width:660px;height:auto;font-size:11px;overflow:visible}
svg .grid{stroke:var(--line);fill:none}
svg .axis text{fill:var(--muted)}
svg .axis path{stroke:var(--muted);fill:none}
svg .axis.y text{text-anchor:end}
svg .axis.x text{text-anchor:middle}
svg .axis .name{text-anchor:end;font-style:italic}
svg .bars.ref,svg .series.ref rect{fill:var(--ref);fill-opacity:.6}
svg .bars.cur,svg .series.cur rect{fill:var(--cur);fill-opacity:.55}
svg .bars.one,svg .series.one rect{fill:var(--one);fill-opacity:.85}
svg .axis.y text,svg .labels text,svg .series text{dominant-baseline:middle}
svg .swatch.ref{fill:var(--ref)}svg .swatch.cur{fill:var(--cur)}svg .swatch.one{fill:var(--one)}
svg .legend text,svg .labels text{fill:var(--text)}
svg .labels text{text-anchor:end}
svg .labels text.other{fill:var(--muted);font-style:italic}
svg .tag{font-weight:700;fill:var(--drift-fg)}
svg .series text{fill:var(--muted);font-size:10.5px}
svg .hover rect{fill:transparent}
svg .hover rect:hover{fill:var(--text);fill-opacity:.07}
svg.spark{display:block;width:100px;height:24px}
svg.spark path.ref{fill:var(--ref);fill-opacity:.55}
svg.spark path.one{fill:var(--one);fill-opacity:.75}
svg.spark path.cur{fill:none;stroke:var(--cur);stroke-width:1.6;vector-effect:non-scaling-stroke}
footer{margin-top:28px;color:var(--muted);font-size:12px}
@media print{body{padding:0;max-width:none;font-size:12px}html,body{background:#fff}
.filter,nav.toc,svg .hover{display:none}th{position:static}a{color:inherit;text-decoration:none}
section.block,.card,.finding,details.item,svg.chart,tr{break-inside:avoid}section.block{border-color:#bbb}}
"""

# Sorting a table by a clicked header, filtering it from its search box, and opening the
# <details> a link points at. The content is all there without it.
SCRIPT = """
(() => {
  const doc = document;
  doc.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-sort]");
    if (!button) return;
    const th = button.closest("th"), table = th.closest("table");
    const index = Array.prototype.indexOf.call(th.parentElement.children, th);
    const direction = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    table.querySelectorAll("th[aria-sort]").forEach((other) => other.removeAttribute("aria-sort"));
    th.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
    const numeric = th.classList.contains("n");
    const key = (row) => {
      const cell = row.cells[index];
      const raw = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
      return numeric ? (raw === "" ? NaN : parseFloat(raw)) : raw.toLowerCase();
    };
    const body = table.tBodies[0];
    const rows = Array.from(body.rows).map((row) => [key(row), row]);
    rows.sort((a, b) => {
      if (numeric) {
        if (isNaN(a[0]) || isNaN(b[0])) return isNaN(a[0]) - isNaN(b[0]);
        return (a[0] - b[0]) * direction;
      }
      return a[0].localeCompare(b[0]) * direction;
    });
    body.append(...rows.map((pair) => pair[1]));
  });
  doc.addEventListener("input", (event) => {
    const box = event.target.closest("input[data-filter]");
    if (!box) return;
    const text = box.value.trim().toLowerCase();
    for (const row of doc.getElementById(box.dataset.filter).tBodies[0].rows) {
      row.hidden = text !== "" && !row.textContent.toLowerCase().includes(text);
    }
  });
  const openTarget = () => {
    const target = location.hash && doc.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && target.tagName === "DETAILS") target.open = true;
  };
  addEventListener("hashchange", openTarget);
  openTarget();
})();
"""
