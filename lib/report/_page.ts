/**
 * The HTML page shell of the published report: a strict Content-Security-
 * Policy, inline CSS that reads well on a phone and on paper, no external
 * resource of any kind.
 *
 * @module
 */
import { html, type SafeHtml, trusted } from "./_html.ts";

/**
 * The report's CSP: nothing may load or run; only inline styles and data:
 * images. Defence in depth: escaping is the real guard.
 */
export const REPORT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** The shared stylesheet (report and Jupyter display). */
export const CSS = `
.wb{--ok:#166534;--ok-bg:#dcfce7;--bad:#991b1b;--bad-bg:#fee2e2;--warn:#92400e;--warn-bg:#fef3c7;
--ink:#111827;--muted:#4b5563;--line:#d1d5db;--soft:#f3f4f6;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--ink);line-height:1.45;font-size:15px}
.wb *{box-sizing:border-box}
.wb h1{font-size:1.5rem;margin:.2rem 0 .6rem}
.wb h2{font-size:1.2rem;margin:1.8rem 0 .6rem;padding-bottom:.2rem;border-bottom:1px solid var(--line)}
.wb h3{font-size:1rem;margin:1.2rem 0 .4rem}
.wb p{margin:.4rem 0}
.wb .muted{color:var(--muted)}
.wb .nowrap{white-space:nowrap}
.wb code.nowrap{overflow-wrap:normal}
.wb code,.wb pre,.wb .mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.86em}
.wb code{overflow-wrap:anywhere}
.wb pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--soft);padding:.6rem;border-radius:4px;margin:.3rem 0;max-height:28rem;overflow:auto}
.wb .verdict{border:2px solid;border-radius:6px;padding:.7rem 1rem;margin:.6rem 0 1rem}
.wb .verdict .label{font-size:1.6rem;font-weight:800;letter-spacing:.02em}
.wb .verdict ul{margin:.4rem 0 0;padding-left:1.2rem}
.wb .v-APPROVED,.wb .v-approved,.wb .v-pass{color:var(--ok);background:var(--ok-bg);border-color:var(--ok)}
.wb .v-REJECTED,.wb .v-rejected,.wb .v-fail{color:var(--bad);background:var(--bad-bg);border-color:var(--bad)}
.wb .v-INCONCLUSIVE,.wb .v-pending,.wb .v-none{color:var(--warn);background:var(--warn-bg);border-color:var(--warn)}
.wb .verdict li,.wb .verdict p{color:var(--ink)}
.wb .badge{display:inline-block;border:1px solid;border-radius:3px;padding:0 .35rem;font-size:.8em;font-weight:700}
.wb .kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr));gap:.5rem;margin:.6rem 0}
.wb .kpi{border:1px solid var(--line);border-radius:6px;padding:.5rem .7rem}
.wb .kpi .k{font-size:.78rem;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.wb .kpi .v{font-size:1.25rem;font-weight:700;overflow-wrap:anywhere}
.wb .kpi .s{font-size:.8rem;color:var(--muted)}
.wb .scroll{overflow-x:auto;max-width:100%}
.wb table{border-collapse:collapse;margin:.4rem 0;font-size:.9em;min-width:50%}
.wb table th,.wb table td{border-bottom:1px solid var(--line);padding:.25rem .55rem;text-align:left;vertical-align:top}
.wb th{background:var(--soft);font-weight:600}
.wb table td.n,.wb table th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.wb tr.breach td{background:var(--bad-bg)}
.wb figure{margin:.6rem 0;break-inside:avoid}
.wb figure>svg{max-width:100%;height:auto;display:block}
.wb figcaption{font-size:.85em;color:var(--muted)}
.wb .legend{display:flex;flex-wrap:wrap;gap:.2rem 1rem;font-size:.82em;color:var(--muted);margin:.2rem 0}
.wb .legend svg{vertical-align:middle}
.wb .pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:.6rem;align-items:start}
.wb .pair>div{min-width:0}
.wb .pair .side{font-size:.8rem;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;margin:.6rem 0 -.3rem}
.wb details{border:1px solid var(--line);border-radius:4px;padding:.3rem .6rem;margin:.4rem 0}
.wb summary{cursor:pointer;font-weight:600}
.wb .sample{border:1px solid var(--line);border-radius:6px;padding:.5rem .8rem;margin:.6rem 0;break-inside:avoid}
.wb .dag ul{list-style:none;padding-left:1.1rem;margin:.1rem 0}
.wb .dag li{margin:.15rem 0}
.wb .dag li::before{content:"↳ ";color:var(--muted)}
.wb .dag>ul{padding-left:0}
.wb .dag>ul>li::before{content:""}
.wb ol.timeline{padding-left:1.3rem}
.wb ol.timeline li{margin:.35rem 0}
.wb .integrity{border:1px solid var(--line);border-radius:6px;padding:.6rem .9rem;background:var(--soft)}
`;

const PAGE_CSS = `
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#fff}
main.wb{max-width:60rem;margin:0 auto;padding:1rem 1.1rem 3rem}
nav.toc{font-size:.9em;margin:.4rem 0}
nav.toc a{margin-right:.8rem;color:#1d4ed8}
@media (max-width:38rem){.wb{font-size:14px}main.wb{padding:.6rem .7rem 2rem}.wb .verdict .label{font-size:1.3rem}
 .wb figure{overflow-x:auto}.wb figure>svg{min-width:520px}}
@media print{
 @page{margin:14mm 12mm}
 body{background:#fff}
 main.wb{max-width:none;padding:0;font-size:10.5pt}
 nav.toc{display:none}
 .wb pre{max-height:none;overflow:visible}
 .wb details{border:none;padding:0}
 .wb details::details-content{content-visibility:visible;display:block}
 .wb details>summary{list-style:none}
 .wb h2{break-after:avoid}
 .wb table,.wb figure,.wb .kpi,.wb .verdict,.wb .sample{break-inside:avoid}
 .wb .scroll{overflow:visible}
 .wb a{color:inherit;text-decoration:none}
 .wb .verdict,.wb .badge,.wb tr.breach td{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
`;

/** A complete, self-contained HTML document. */
export function page(title: string, body: SafeHtml): string {
  return html`
    <!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <meta name="robots" content="noindex">
        <title>${title}</title>
        <style>${trusted(CSS + PAGE_CSS)}</style>
      </head>
      <body>
        <main class="wb">
    ${body}
        </main>
      </body>
    </html>
  `.value.trim() + "\n";
}
