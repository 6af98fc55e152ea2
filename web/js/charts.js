// Charts drawn by Chart.js (Debian's libjs-chart.js, served by the server as /vendor/chart.js/):
// bar and line charts of figures the page also lists in a table, whose bars and points open the
// rows behind them. Without the library the table stays and the chart's place says so.
import { h, mount, msg, loadScript } from './ui.js';

let loading = null;
export function loadChart() {
  if (window.Chart) return Promise.resolve(window.Chart);
  if (!loading) {
    loading = loadScript('/vendor/chart.js/chart.min.js')
      .then(() => {
        const C = window.Chart;
        C.defaults.font.family = getComputedStyle(document.body).fontFamily;
        C.defaults.color = '#333';
        C.defaults.animation = false;
        return C;
      })
      .catch((e) => { loading = null; throw e; });
  }
  return loading;
}

const COLORS = ['#2f6db5', '#d9822b', '#3a9a5b', '#b8453a', '#7a5bb5', '#6b7785'];

// A chart in a <figure id=id>: spec {type: 'bar' | 'line', labels, series: [{label, data}],
// horizontal, title, onPick(index)}. The canvas carries the figures in words for screen readers;
// data-ready is set on the figure once drawn.
export function chartBox(id, spec) {
  const words = spec.labels.map((l, i) => `${l}：${spec.series.map((s) => (spec.series.length > 1 ? `${s.label} ${s.data[i]}` : s.data[i])).join('，')}`).join('；');
  const canvas = h('canvas', { id: `${id}-canvas`, role: 'img', 'aria-label': `${spec.title || ''}${words ? `：${words}` : ''}` });
  const rows = spec.horizontal ? spec.labels.length : 0;
  const area = h('div', { class: 'chart-area', style: { height: `${spec.horizontal ? Math.max(8, rows * 1.9 + 3) : 16}rem` } }, canvas);
  const box = h('figure', { class: 'chart', id }, area, spec.onPick ? h('figcaption', { class: 'muted' }, '点击图中的柱或点查看对应的检查单位') : null);
  if (!spec.labels.length) { mount(box, h('p', { class: 'empty' }, '暂无数据')); return box; }
  loadChart().then((Chart) => {
    const chart = new Chart(canvas, {
      type: spec.type || 'bar',
      data: {
        labels: spec.labels,
        datasets: spec.series.map((s, i) => ({
          label: s.label, data: s.data, backgroundColor: COLORS[i % COLORS.length], borderColor: COLORS[i % COLORS.length],
          tension: 0, pointRadius: 4, pointHoverRadius: 6,
        })),
      },
      options: {
        indexAxis: spec.horizontal ? 'y' : 'x',
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: spec.series.length > 1 } },
        scales: { [spec.horizontal ? 'x' : 'y']: { beginAtZero: true, ticks: { precision: 0 } } },
        onClick: spec.onPick ? (ev, elements) => { if (elements.length) spec.onPick(elements[0].index); } : undefined,
        onHover: spec.onPick ? (ev, elements) => { ev.native.target.style.cursor = elements.length ? 'pointer' : 'default'; } : undefined,
      },
    });
    box.chart = chart;
    box.dataset.ready = '1';
  }).catch(() => {
    mount(area, msg('info', '图表组件（libjs-chart.js）未安装，数字见下表。'));
  });
  return box;
}
