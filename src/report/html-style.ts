/** The HTML report's stylesheet: system fonts, cards, a two-column chart grid, readable tables. */
export const PAGE_CSS = `
:root { --fg: #0f172a; --muted: #64748b; --line: #e2e8f0; --bg: #f8fafc; --card: #fff; --ok: #15803d; --bad: #b91c1c; --warn: #b45309; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
h1 .profile { font-weight: 500; color: var(--muted); }
h2 { font-size: 16px; margin: 28px 0 10px; }
h3 { font-size: 14px; margin: 0; }
.sub { color: var(--muted); margin: 0; }
.banner { background: #fef3c7; border: 1px solid #fcd34d; padding: 8px 12px; border-radius: 6px; }
.badge { font-size: 13px; font-weight: 600; padding: 3px 10px; border-radius: 999px; }
.badge.pass { background: #dcfce7; color: var(--ok); }
.badge.fail { background: #fee2e2; color: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(145px, 1fr)); gap: 12px; margin-top: 20px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 20px; white-space: nowrap; font-weight: 600; margin: 2px 0; font-variant-numeric: tabular-nums; }
.card .note { color: var(--muted); font-size: 12px; }
.card.bad .value { color: var(--bad); }
.card.warn .value { color: var(--warn); }
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
.chart-box { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-width: 0; }
.chart-box.wide { grid-column: 1 / -1; }
.chart-box p { margin: 2px 0 8px; color: var(--muted); font-size: 12px; }
.chart { width: 100%; min-height: 260px; }
@media (max-width: 800px) { .charts { grid-template-columns: 1fr; } }
table { border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: 8px; width: 100%; }
table.narrow { width: auto; min-width: 50%; }
th, td { padding: 6px 12px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
table.num td { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:last-child th, tbody tr:last-child td { border-bottom: 0; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
.pass { color: var(--ok); font-weight: 600; }
.fail { color: var(--bad); font-weight: 600; }
.two { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 2fr); gap: 16px; }
.two table.narrow { width: 100%; }
@media (max-width: 800px) { .two { grid-template-columns: 1fr; } }
footer { color: var(--muted); font-size: 12px; padding-top: 24px; padding-bottom: 32px; }
.u-legend { font-size: 12px; }
.trim { color: var(--muted); font-size: 12px; margin: -4px 0 10px; }
`;
