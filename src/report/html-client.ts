/**
 * The script that draws the HTML report's charts in the browser, as text inlined into the page. It reads
 * its numbers from the page's JSON block (never from markup) and marks each chart `data-drawn` once uPlot
 * has drawn it, so a test can tell. Plain ES2017, no modules: it must run from a file:// page.
 */
export const CLIENT_SCRIPT = String.raw`(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('mcpload-data').textContent);
  var COLORS = {
    corrected: '#2563eb', raw: '#f59e0b', sent: '#64748b', ok: '#16a34a', target: '#0f172a', dropped: '#ea580c', failed: '#dc2626',
    sessions: '#7c3aed', wanted: '#0ea5e9', p50: '#0891b2', p99: '#db2777', handshake: '#7c3aed', cpu: '#0d9488', loop: '#2563eb', lag: '#c2410c'
  };
  var LABELS = { cpu: 'engine CPU', loop: 'loop busy', lag: 'loop lag', target: 'target', wanted: 'wanted', sessions: 'open' };
  var HEIGHT = 260;

  function fmtMs(v) {
    if (v == null || !isFinite(v)) return '-';
    if (v < 1) return +(v * 1000).toPrecision(3) + 'µs';
    if (v < 1000) return +v.toPrecision(3) + 'ms';
    return +(v / 1000).toPrecision(3) + 's';
  }
  function fmtNum(v) {
    if (v == null || !isFinite(v)) return '-';
    if (Math.abs(v) >= 1e6) return +(v / 1e6).toPrecision(3) + 'M';
    if (Math.abs(v) >= 1e4) return +(v / 1e3).toPrecision(3) + 'K';
    if (Math.abs(v) >= 100) return String(Math.round(v));
    return String(+v.toPrecision(3));
  }
  /** Axis labels: uPlot passes null for log-scale ticks it leaves unlabelled. */
  function axis(fmt) { return function (u, vals) { return vals.map(function (v) { return v == null ? '' : fmt(v); }); }; }
  var SECOND_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400];
  var COUNT_INCRS = [];
  for (var e = 0; e < 10; e++) [1, 2, 5].forEach(function (m) { COUNT_INCRS.push(m * Math.pow(10, e)); });
  function fmtSec(v) {
    if (v == null) return '-';
    if (v < 120) return v + 's';
    var m = Math.floor(v / 60), s = v % 60;
    return m + ':' + (s < 10 ? '0' : '') + s;
  }
  function fmtPct(v) {
    if (v == null || !isFinite(v)) return '-';
    return (v >= 10 ? Math.round(v) : +v.toPrecision(2)) + '%';
  }
  function fmtNines(x) {
    if (x == null) return '-';
    var p = 100 * (1 - Math.pow(10, -x));
    var digits = Math.max(0, Math.ceil(x) - 2);
    return (Math.floor(p * Math.pow(10, digits) + 1e-6) / Math.pow(10, digits)).toFixed(digits) + '%';
  }
  /** With no point hovered, a legend shows the series over the whole chart (average and maximum), never a bare dash. */
  function summary(values, fmt) {
    var n = 0, total = 0, max = null;
    for (var i = 0; i < values.length; i++) {
      var v = values[i];
      if (v == null || !isFinite(v)) continue;
      n++; total += v;
      if (max == null || v > max) max = v;
    }
    return n ? 'avg ' + fmt(total / n) + ' · max ' + fmt(max) : 'no data';
  }
  function line(label, color, fmt, extra, values) {
    var idle = values ? summary(values, fmt) : '-';
    var s = { label: LABELS[label] || label, stroke: color, width: 2, value: function (u, v, si, idx) { return idx == null ? idle : fmt(v); }, spanGaps: false };
    for (var k in extra || {}) s[k] = extra[k];
    return s;
  }
  function fromZero(u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; }

  var charts = [];
  function chart(id, opts, rows) {
    var el = document.getElementById(id);
    if (!el) return;
    opts.width = Math.max(200, el.clientWidth);
    opts.height = HEIGHT;
    opts.legend = { live: true };
    opts.cursor = { points: { size: 6 } };
    opts.hooks = { draw: [function () { el.setAttribute('data-drawn', '1'); }] };
    el.setAttribute('data-colors', opts.series.slice(1).map(function (s) { return s.stroke; }).join(' '));
    charts.push({ el: el, plot: new uPlot(opts, rows, el) });
  }

  function spectrumChart(id, spec, names) {
    var ticks = [];
    for (var i = 0; i <= spec.maxNines; i++) ticks.push(i);
    chart(id, {
      scales: { x: { time: false, range: [0, spec.maxNines] }, y: { distr: 3 } },
      axes: [
        { splits: function () { return ticks; }, values: axis(fmtNines), label: 'percentile' },
        { values: axis(fmtMs), size: 64, label: 'latency' },
      ],
      series: [{ label: 'percentile', value: function (u, v, si, idx) { return idx == null ? 'p50 / p99' : fmtNines(v); } }].concat(names.map(function (n) {
        var s = spec.series[n] || [];
        var at = function (nines) { var i = spec.x.indexOf(nines); return i < 0 ? null : s[i]; };
        var idle = at(1) == null && at(2) == null ? 'no data' : fmtMs(at(0.3)) + ' / ' + fmtMs(at(2));
        var l = line(n, COLORS[n], fmtMs);
        l.value = function (u, v, si, idx) { return idx == null ? idle : fmtMs(v); };
        return l;
      })),
    }, [spec.x].concat(names.map(function (n) { return spec.series[n]; })));
  }

  function timeChart(id, names, fmt, yScale, extras, yIncrs) {
    var tl = data.timeline;
    chart(id, {
      scales: { x: { time: false }, y: yScale },
      axes: [
        { values: axis(fmtSec), incrs: SECOND_INCRS, label: 'time since start' },
        yIncrs ? { values: axis(fmt), size: 64, incrs: yIncrs } : { values: axis(fmt), size: 64 },
      ],
      series: [{ label: 'second', value: function (u, v, si, idx) { return idx == null ? 'whole run' : fmtSec(v); } }].concat(names.map(function (n) { return line(n, COLORS[n], fmt, (extras || {})[n], tl[n]); })),
    }, [tl.t].concat(names.map(function (n) { return tl[n]; })));
  }

  /** CPU and loop busy share one percent axis on the left; the loop lag has its own, in ms, on the right. */
  function generatorChart(id) {
    var tl = data.timeline;
    chart(id, {
      scales: { x: { time: false }, pct: { range: function (u, min, max) { return [0, Math.max(100, max * 1.1)]; } }, ms: { range: fromZero } },
      axes: [
        { values: axis(fmtSec), incrs: SECOND_INCRS, label: 'time since start' },
        { scale: 'pct', values: axis(fmtPct), size: 56 },
        { scale: 'ms', side: 1, values: axis(fmtMs), size: 64, grid: { show: false } },
      ],
      series: [{ label: 'second', value: function (u, v, si, idx) { return idx == null ? 'whole run' : fmtSec(v); } },
        line('cpu', COLORS.cpu, fmtPct, { scale: 'pct' }, tl.cpu),
        line('loop', COLORS.loop, fmtPct, { scale: 'pct' }, tl.loop),
        line('lag', COLORS.lag, fmtMs, { scale: 'ms', dash: [4, 3], width: 1.5 }, tl.lag)],
    }, [tl.t, tl.cpu, tl.loop, tl.lag]);
  }

  spectrumChart('chart-latency', data.latency, ['corrected', 'raw']);
  var closed = data.model === 'closed';
  timeChart('chart-throughput', closed ? ['ok', 'sent'] : ['ok', 'sent', 'target', 'dropped'], fmtNum, { range: fromZero },
    { sent: { dash: [6, 4], width: 1.5 }, target: { dash: [2, 3], width: 1.5 }, dropped: { width: 1.5 } }, COUNT_INCRS);
  timeChart('chart-errors', ['failed'], fmtNum, { range: fromZero }, { failed: { fill: 'rgba(220,38,38,0.15)' } }, COUNT_INCRS);
  timeChart('chart-sessions', ['sessions', 'wanted'], fmtNum, { range: fromZero }, { sessions: { fill: 'rgba(124,58,237,0.10)' }, wanted: { dash: [6, 4], width: 1 } }, COUNT_INCRS);
  timeChart('chart-latency-time', ['p50', 'p99'], fmtMs, { distr: 3 });
  generatorChart('chart-generator');
  spectrumChart('chart-handshake', data.handshake, ['handshake']);

  var pending = 0;
  window.addEventListener('resize', function () {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(function () {
      charts.forEach(function (c) { c.plot.setSize({ width: Math.max(200, c.el.clientWidth), height: HEIGHT }); });
    });
  });
})();
`;
