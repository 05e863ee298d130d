// Status page logic: renders each /proxy/events snapshot; stop / drop buttons call the management API.
// Every value from the server goes in through textContent (user agents are client-controlled).

import { renderUsers, session, startSession } from '/operator.js';
import uPlot from '/vendor/uplot/uPlot.esm.js';

const $ = (id) => document.getElementById(id);
const streamsTable = $('streams');
/** id -> { body, cells, chart, playersBody } for each stream shown. */
const rows = new Map();
/** AUTH=token: each player row names its user. */
const withUsers = () => session.auth === 'token';
/** Kept in the page only: never stored, sent only with stop / drop requests. */
const apiKey = () => $('api-key').value.trim();

// --- formatting -------------------------------------------------------------------------------
function bytes(n) {
  if (n == null) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
const bitrate = (bps) => (bps == null ? '–' : `${(bps / 1e6).toFixed(2)} Mbit/s`);
function duration(ms) {
  if (ms == null || ms < 0) return '–';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });
const shortId = (id) => `${id.slice(0, 8)}…${id.slice(-4)}`;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'text') node.textContent = v;
    else node[k] = v;
  }
  node.append(...children);
  return node;
}

function say(text, kind = 'info') {
  const message = $('message');
  message.textContent = text;
  message.dataset.kind = kind;
  message.hidden = false;
}

// --- management API ---------------------------------------------------------------------------
async function manage(path, what) {
  // An admin's login (AUTH=token) sends its session cookie instead.
  if (!apiKey() && session.role !== 'admin') return say(`Type the API key (PROXY_API_KEY) first to ${what}.`, 'error');
  try {
    const res = await fetch(path, { method: 'DELETE', headers: apiKey() ? { 'X-API-Key': apiKey() } : {} });
    const body = await res.json().catch(() => ({}));
    if (res.ok) say(`Asked to ${what}: ${body.status ?? res.status}.`);
    else say(`Could not ${what}: ${res.status} ${body.message ?? body.error ?? ''}`, 'error');
  } catch (err) {
    say(`Could not ${what}: ${err.message}`, 'error');
  }
}

// --- streams ----------------------------------------------------------------------------------
function sparkline(cell) {
  return new uPlot(
    {
      width: 140,
      height: 30,
      pxAlign: false,
      cursor: { show: false },
      legend: { show: false },
      select: { show: false },
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(max, 1) * 1.5] } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: '#1f7a5a', width: 1.5, fill: 'rgba(31, 122, 90, 0.15)', points: { show: false } }],
    },
    [[], []],
    cell,
  );
}

function createRow(stream) {
  const cell = (cls = '') => el('td', { className: cls });
  const cells = {
    id: el('td', { className: 'id', title: stream.id }),
    state: cell(),
    engine: cell(),
    peers: cell('num'),
    speed: cell('num'),
    owner: cell(),
    uptime: cell('num'),
    bitrate: cell('num'),
    spark: cell('sparkline'),
    players: cell('num'),
    index: cell('num'),
    actions: cell(),
  };
  const stop = el('button', { type: 'button', text: 'Stop', className: 'stop' });
  stop.addEventListener('click', (event) => {
    event.stopPropagation();
    manage(`/proxy/streams/${stream.id}`, `stop stream ${shortId(stream.id)}`);
  });
  cells.actions.append(stop);
  const main = el('tr', { className: 'stream', dataset: { streamId: stream.id } }, ...Object.values(cells));
  const playersBody = el('tbody');
  const players = el(
    'table',
    { className: 'players' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...[
          'player',
          ...(withUsers() ? ['user'] : []),
          'ip',
          'user agent',
          'worker',
          'connected since',
          'bytes sent',
          'skips',
          'lag',
          '',
        ].map((h) => el('th', { text: h, className: ['bytes sent', 'skips', 'lag'].includes(h) ? 'num' : '' })),
      ),
    ),
    playersBody,
  );
  const detail = el('tr', { className: 'players-row', hidden: true }, el('td', { colSpan: 12 }, players));
  const body = el('tbody', { dataset: { streamId: stream.id } }, main, detail);
  main.addEventListener('click', () => {
    detail.hidden = !detail.hidden;
    body.classList.toggle('expanded', !detail.hidden);
  });
  streamsTable.append(body);
  return { body, cells, chart: sparkline(cells.spark), playersBody };
}

function renderPlayers(row, stream) {
  // Oldest first, so rows keep their places from one snapshot to the next.
  const clients = [...stream.clients].sort((a, b) => a.connected_at - b.connected_at || a.id.localeCompare(b.id));
  const lines = clients.map((c) => {
    const drop = el('button', { type: 'button', text: 'Drop', className: 'drop' });
    drop.addEventListener('click', () =>
      manage(`/proxy/streams/${stream.id}/clients/${c.id}`, `drop player ${c.id.slice(0, 8)}`),
    );
    const lagMs = c.lag_chunks * stream.chunk_ms;
    return el(
      'tr',
      { dataset: { clientId: c.id } },
      el('td', { text: c.id.slice(0, 8), title: c.id }),
      ...(withUsers() ? [el('td', { className: 'user', text: c.user ?? '–' })] : []),
      el('td', { text: c.ip }),
      el('td', { className: 'ua', text: c.user_agent || '–', title: c.user_agent }),
      el('td', { text: c.worker_id }),
      el('td', { text: `${clock(c.connected_at)} (${duration(Date.now() - c.connected_at)})` }),
      el('td', { className: 'num', text: bytes(c.bytes_sent) }),
      el('td', { className: 'num', text: String(c.skips) }),
      el('td', {
        className: 'num',
        text: c.lag_chunks ? `${c.lag_chunks} chunks (~${(lagMs / 1000).toFixed(1)} s)` : 'live edge',
      }),
      el('td', {}, drop),
    );
  });
  // The feed lists the oldest players of a crowd only; client_count counts them all.
  const more = stream.client_count - clients.length;
  if (more > 0) {
    const text = `${more} more (${stream.client_count} players in all; the ${clients.length} longest connected are listed)`;
    lines.push(el('tr', { className: 'more' }, el('td', { colSpan: withUsers() ? 10 : 9, className: 'muted', text })));
  }
  row.playersBody.replaceChildren(...lines);
}

/** The stream's channel (logo, number and name from the playlists, what is on now from the guide), else its id. */
function renderChannel(cell, stream) {
  const label = JSON.stringify(stream.channel);
  // Rebuilt only when it changes, so a logo is not reloaded every second.
  if (cell.dataset.label === label) return;
  cell.dataset.label = label;
  const c = stream.channel;
  if (!c) return cell.replaceChildren(shortId(stream.id));
  const parts = [];
  if (c.logo && /^https?:\/\//i.test(c.logo)) {
    parts.push(el('img', { className: 'logo', src: c.logo, alt: '', loading: 'lazy', referrerPolicy: 'no-referrer' }));
  }
  parts.push(el('span', { className: 'name', text: c.guide_number ? `${c.guide_number} ${c.name}` : c.name }));
  parts.push(el('span', { className: 'short-id muted', text: shortId(stream.id) }));
  if (c.now) parts.push(el('span', { className: 'now muted', text: `now: ${c.now.title} (until ${clock(c.now.stop)})` }));
  cell.replaceChildren(...parts);
}

function renderStream(stream, now) {
  let row = rows.get(stream.id);
  if (!row) {
    row = createRow(stream);
    rows.set(stream.id, row);
  }
  const { cells } = row;
  renderChannel(cells.id, stream);
  const state = el('span', { className: 'state', dataset: { state: stream.state }, text: stream.state });
  if (stream.error_message) state.title = stream.error_message;
  cells.state.replaceChildren(state);
  cells.engine.textContent = stream.engine ? `${stream.engine.host}:${stream.engine.port}` : '–';
  cells.peers.textContent = stream.peers ?? '–';
  cells.speed.textContent = stream.speed_down == null ? '–' : `${stream.speed_down} KB/s`;
  cells.owner.textContent = stream.owner ?? '–';
  cells.uptime.textContent = stream.started_at ? duration(now - stream.started_at) : '–';
  cells.bitrate.textContent = bitrate(stream.bitrate_in);
  cells.players.textContent = String(stream.client_count);
  cells.index.textContent = String(stream.buffer_index);
  row.chart.setData([stream.throughput.map((p) => p[0]), stream.throughput.map((p) => p[1])]);
  renderPlayers(row, stream);
}

function renderLog(log) {
  const items = log.map((e) =>
    el(
      'li',
      { dataset: { kind: e.kind } },
      el('span', { className: 'muted', text: clock(e.at) }),
      el('span', { className: 'kind', text: e.kind.replace('_', ' ') }),
      el('span', { className: 'stream', text: e.stream_id ? shortId(e.stream_id) : '', title: e.stream_id ?? '' }),
      el('span', { text: `${e.detail} (${e.worker})` }),
    ),
  );
  if (items.length === 0) items.push(el('li', { className: 'empty', text: 'Nothing has happened yet.' }));
  $('log').replaceChildren(...items);
}

function render(snapshot) {
  const seen = new Set();
  for (const stream of snapshot.streams) {
    seen.add(stream.id);
    renderStream(stream, snapshot.at);
  }
  for (const [id, row] of rows) {
    if (seen.has(id)) continue;
    row.chart.destroy();
    row.body.remove();
    rows.delete(id);
  }
  $('stream-count').textContent = String(snapshot.streams.length);
  $('no-streams').hidden = snapshot.streams.length > 0;
  $('answered-by').textContent = `cluster view from ${snapshot.worker}`;
  renderLog(snapshot.log);
  renderUsers(snapshot);
}

// --- the feed ---------------------------------------------------------------------------------
// AUTH=token: the feed opens once the operator has logged in (its cookie is what EventSource sends).
await startSession();
const connection = $('connection');
const source = new EventSource('/proxy/events');
source.addEventListener('snapshot', (event) => {
  // A good snapshot ends an earlier trouble report; answers to button presses stay.
  if ($('message').dataset.kind === 'trouble') $('message').hidden = true;
  connection.dataset.state = 'live';
  connection.textContent = 'live';
  render(JSON.parse(event.data));
});
source.addEventListener('trouble', (event) =>
  say(`The proxy could not read the cluster: ${JSON.parse(event.data).message}`, 'error'),
);
source.addEventListener('error', () => {
  // EventSource reconnects by itself (after the server's retry delay).
  connection.dataset.state = 'lost';
  connection.textContent = 'reconnecting…';
});
