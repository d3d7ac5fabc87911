/**
 * The console's one stylesheet, served from /console/assets/console.css: the CSP forbids inline styles,
 * and a TS string needs no copy step in the build. Chart colours are classes here because SVG in the page
 * may not carry style attributes either. Colours keep a 4.5:1 contrast on white.
 */
export const CONSOLE_CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg-soft:#f6f8fa;--accent:#0a58ca;--warn-bg:#fff4e5;--warn:#8a4b00;--bad:#a40e26;--good:#1a7f37}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);margin:0}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
header.top{background:#24292f;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center}
header.top .brand{font-weight:700;margin-right:1rem}
header.top nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:0;padding:0}
header.top nav a{color:#fff;text-decoration:none;padding:.25rem .25rem;border-bottom:2px solid transparent}
header.top nav a[aria-current="page"]{border-bottom-color:#ffbf47}
header.top form{margin-left:auto}
main{padding:1rem 1.5rem;max-width:90rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
h3{font-size:1rem;margin:1rem 0 .5rem}
.notice{background:var(--warn-bg);border-left:4px solid var(--warn);padding:.5rem .75rem;margin:0 0 1rem}
.error{color:var(--bad);font-weight:600}
.ok{color:var(--good);font-weight:600}
.muted{color:var(--muted)}
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border:1px solid var(--line);padding:.25rem .5rem;text-align:left;vertical-align:top}
/* Digests and file paths are long unbroken words: let them wrap rather than widen a table past the window. */
code.long{word-break:break-all}
thead th{background:var(--bg-soft)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
pre.payload{background:var(--bg-soft);border:1px solid var(--line);padding:.75rem;overflow:auto;max-height:70vh;white-space:pre-wrap;overflow-wrap:anywhere;margin:0}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;background:var(--bg-soft);border:1px solid var(--line);padding:.75rem;margin-bottom:1rem}
form.filters div{display:flex;flex-direction:column}
label{font-weight:600;font-size:13px}
input,select,button{font:inherit;padding:.25rem .4rem}
button{cursor:pointer;border:1px solid #1f6feb;background:#0a58ca;color:#fff;border-radius:4px;padding:.3rem .8rem}
button.secondary{background:#fff;color:#0a58ca}
header.top button{background:transparent;border-color:#fff;color:#fff}
.split{display:grid;grid-template-columns:minmax(0,3fr) minmax(16rem,2fr);gap:1.5rem}
@media (max-width:60rem){.split{grid-template-columns:1fr}}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0 0 1rem}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0;overflow-wrap:anywhere}
.decision-forwarded{color:var(--good)}
.decision-blocked{color:var(--warn)}
.decision-rejected{color:var(--bad)}
.act-sent{color:#8a1c00}.act-pseudonymized{color:#5a4a00}.act-dropped{color:var(--good)}
.enforced{background:#ddf4ff}
.pager{display:flex;gap:1rem;align-items:center}
.login{max-width:28rem}
.login div{display:flex;flex-direction:column;gap:.25rem;margin:.5rem 0}
.login button{align-self:flex-start}
nav.contents ul{columns:2;margin:.25rem 0 1rem}
details summary{cursor:pointer}
details summary h3{display:inline}
svg.chart{max-width:100%;height:auto;border:1px solid var(--line);background:#fff}
svg.chart text{font:12px system-ui,sans-serif;fill:#24292f}
svg.chart .grid{stroke:#d0d7de;stroke-width:1}
svg.chart .axis{stroke:#57606a;stroke-width:1}
svg.chart .line{fill:none;stroke-width:2}
.series-0{stroke:#0a58ca;fill:#0a58ca}.series-1{stroke:#b35c00;fill:#b35c00}.series-2{stroke:#1a7f37;fill:#1a7f37}
.series-3{stroke:#8250df;fill:#8250df}.series-4{stroke:#a40e26;fill:#a40e26}.series-5{stroke:#57606a;fill:#57606a}
svg.chart .line.series-0,svg.chart .line.series-1,svg.chart .line.series-2,svg.chart .line.series-3,svg.chart .line.series-4,svg.chart .line.series-5{fill:none}
.swatch{display:inline-block;width:.9rem;height:.9rem;margin-right:.35rem;vertical-align:middle;border-radius:2px}
.swatch.series-0{background:#0a58ca}.swatch.series-1{background:#b35c00}.swatch.series-2{background:#1a7f37}
.swatch.series-3{background:#8250df}.swatch.series-4{background:#a40e26}.swatch.series-5{background:#57606a}
ul.legend{list-style:none;display:flex;gap:1.5rem;padding:0}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;
