'use strict';

// The mvrefresh console: reads and steers mvrefresh only through its admin API, with the token the
// operator typed (kept in sessionStorage, sent as the bearer header, never in a URL). Everything it
// shows from the database is untrusted text: it is only ever put into the page as text nodes.
(() => {
  const TOKEN = 'mvrefresh.token';
  const PAGE_SIZE = 100;
  const GRAPH_LIMIT = 200;
  const POLL_MILLIS = 2000;
  const STATUS_ORDER = ['failing', 'missing', 'running', 'queued', 'paused', 'idle'];

  let nodes = [];
  let page = 0;
  let selected = null;
  let timer = null;

  const byId = (id) => document.getElementById(id);

  /** An element with text children only: strings become text nodes, never markup. */
  function element(tag, attributes, ...children) {
    const created = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([name, value]) => {
      if (value !== null && value !== undefined) {
        created.setAttribute(name, value);
      }
    });
    children.flat().forEach((child) => created.append(child instanceof Node ? child : document.createTextNode(String(child))));
    return created;
  }

  function svg(tag, attributes, ...children) {
    const created = document.createElementNS('http://www.w3.org/2000/svg', tag);
    Object.entries(attributes || {}).forEach(([name, value]) => created.setAttribute(name, value));
    children.forEach((child) => created.append(child instanceof Node ? child : document.createTextNode(String(child))));
    return created;
  }

  class Refused extends Error {}

  async function api(method, path) {
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN)}`, Accept: 'application/json' },
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (failure) {
      showConnection(false);
      throw failure;
    }
    showConnection(true);
    const body = await response.json().catch(() => null);
    if (response.status === 401 || response.status === 403) {
      const why = body && body.error ? body.error : `HTTP ${response.status}`;
      signOut(response.status === 401 ? `The token was refused: ${why}` : `The admin API answered ${response.status}: ${why}`);
      throw new Refused(why);
    }
    return { status: response.status, body };
  }

  function showConnection(up) {
    const line = byId('connection');
    line.className = up ? 'connected' : 'lost';
    line.textContent = up
      ? `Live: updated ${new Date().toLocaleTimeString()}`
      : `Connection to mvrefresh lost: trying again every ${POLL_MILLIS / 1000} s`;
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN);
    clearInterval(timer);
    timer = null;
    byId('console').hidden = true;
    byId('login').hidden = false;
    byId('login-error').textContent = message || '';
    byId('token').focus();
  }

  function signIn(token) {
    sessionStorage.setItem(TOKEN, token);
    byId('login').hidden = true;
    byId('console').hidden = false;
    refresh();
    timer = setInterval(refresh, POLL_MILLIS);
  }

  async function refresh() {
    try {
      const graph = await api('GET', '/admin/graph');
      nodes = graph.body.nodes;
      renderViews();
      await renderGraph(graph.body);
      if (selected) {
        await renderDetail();
      }
    } catch (failure) {
      if (!(failure instanceof Refused)) {
        showConnection(false);
      }
    }
  }

  const seconds = (value) => {
    if (value === null || value === undefined) {
      return '—';
    }
    if (value < 120) {
      return `${value} s`;
    }
    return value < 7200 ? `${Math.round(value / 60)} min` : `${Math.round(value / 3600)} h`;
  };
  const time = (instant) => (instant ? new Date(instant).toLocaleString() : '—');
  const millis = (value) => (value === null || value === undefined ? '—' : `${value} ms`);

  function filtered() {
    const name = byId('filter-name').value.trim().toLowerCase();
    const status = byId('filter-status').value;
    const priority = byId('filter-priority').value;
    return nodes
      .filter((node) => (!name || node.view.toLowerCase().includes(name))
        && (!status || node.status === status) && (!priority || node.priority === priority))
      // The stalest first: what an operator looks for.
      .sort((a, b) => (b.lagSeconds ?? b.stalenessSeconds ?? -1) - (a.lagSeconds ?? a.stalenessSeconds ?? -1)
        || STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || a.view.localeCompare(b.view));
  }

  function renderViews() {
    const matching = filtered();
    const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
    page = Math.min(page, pages - 1);
    byId('view-count').textContent = `(${matching.length} of ${nodes.length})`;
    byId('page').textContent = `page ${page + 1} of ${pages}`;
    byId('previous').disabled = page === 0;
    byId('next').disabled = page >= pages - 1;
    const rows = matching.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE).map((node) => {
      const open = element('button', { type: 'button', class: 'link', 'data-view': node.view }, node.view);
      open.addEventListener('click', () => select(node.view));
      const why = node.whyUntil ? `${node.why} until ${time(node.whyUntil)}` : node.why;
      return element('tr', { class: node.view === selected ? 'selected' : null, 'data-view': node.view },
        element('td', null, open),
        element('td', null, node.priority),
        element('td', { class: `status-${node.status}` }, node.status),
        element('td', { title: node.whyMessage }, why),
        element('td', null, seconds(node.lagSeconds)),
        element('td', null, time(node.lastSuccessAt)),
        element('td', null, millis(node.lastDurationMillis)),
        element('td', null, time(node.nextDue)));
    });
    byId('views').tBodies[0].replaceChildren(...rows);
  }

  async function select(view) {
    selected = view;
    byId('answer').textContent = '';
    renderViews();
    await renderDetail();
    await refresh();
  }

  async function renderDetail() {
    const path = encodeURIComponent(selected);
    const [view, runs] = await Promise.all([
      api('GET', `/admin/views/${path}`),
      api('GET', `/admin/runs?view=${path}&limit=20`),
    ]);
    if (view.status !== 200) {
      byId('detail').hidden = true;
      return;
    }
    const v = view.body;
    byId('detail').hidden = false;
    byId('detail-title').textContent = v.name;
    byId('detail-why').textContent = `${v.status}: ${v.why.message}${v.why.until ? ` (until ${time(v.why.until)})` : ''}`;
    byId('pause').disabled = v.status === 'paused';
    byId('resume').disabled = v.status !== 'paused';
    const sources = v.settingSources || {};
    const setBy = (keys) => {
      const own = keys.map((key) => sources[key]).filter((from) => from && from !== 'default');
      return own.length ? ` [${[...new Set(own)].join(', ')}]` : '';
    };
    const notDefault = Object.entries(sources).filter(([, from]) => from !== 'default');
    const settings = [
      ['Schedule', v.schedule + setBy(['interval', 'cron', 'cron-timezone', 'max-staleness'])],
      ['Priority', v.priority + setBy(['priority'])],
      ['Mode', `${v.mode} (in effect: ${v.modeInEffect ?? '—'})${setBy(['mode'])}`],
      ['Skip unchanged', String(v.skipUnchanged) + setBy(['skip-unchanged'])], ['Enabled', String(v.enabled) + setBy(['enabled'])],
      ['Reads', v.upstream.join(', ') || '—'],
      ['Settings from', notDefault.length ? notDefault.map(([key, from]) => `${key}: ${from}`).join(', ') : 'all defaults'],
    ];
    if (v.commentError) {
      settings.push(['Comment refused', v.commentError]);
    }
    byId('settings').replaceChildren(...settings.flatMap(([term, value]) => [element('dt', null, term), element('dd', null, value)]));
    byId('runs').tBodies[0].replaceChildren(...(runs.body || []).map((run) => element('tr', { 'data-run': run.runId },
      element('td', null, `#${run.runId}`),
      element('td', null, run.trigger),
      element('td', null, run.mode ?? '—'),
      element('td', { class: `outcome-${run.outcome}` }, run.outcome),
      element('td', null, millis(run.durationMillis)),
      element('td', null, run.keysInvalidated ?? run.invalidation),
      element('td', null, run.rowsChanged ?? '—'),
      element('td', { class: 'error' }, run.error ?? ''))));
  }

  async function act(verb) {
    const path = `/admin/views/${encodeURIComponent(selected)}/${verb}`;
    try {
      const answer = await api('POST', path);
      const body = answer.body || {};
      byId('answer').textContent = answer.status < 300
        ? (verb === 'refresh' ? `Refresh accepted: run #${body.runId} (${body.status})` : `${verb === 'pause' ? 'Paused' : 'Resumed'}.`)
        : `Refused (${answer.status}): ${body.error ?? 'no reason given'}`;
      await refresh();
    } catch (failure) {
      if (!(failure instanceof Refused)) {
        byId('answer').textContent = `Not sent: ${failure.message}`;
      }
    }
  }

  /** Columns by depth (a view sits right of everything it reads), rows in name order. */
  function layout(graph) {
    const level = new Map(graph.nodes.map((node) => [node.view, 0]));
    for (let round = 0; round < graph.nodes.length; round += 1) {
      let moved = false;
      graph.edges.forEach((edge) => {
        if (level.has(edge.source) && level.has(edge.reader) && level.get(edge.reader) <= level.get(edge.source)) {
          level.set(edge.reader, level.get(edge.source) + 1);
          moved = true;
        }
      });
      if (!moved) {
        break;
      }
    }
    const columns = [];
    graph.nodes.forEach((node) => {
      const column = level.get(node.view);
      (columns[column] = columns[column] || []).push(node);
    });
    const place = new Map();
    columns.forEach((column, x) => column.forEach((node, y) => place.set(node.view, { x: 20 + x * 260, y: 20 + y * 44 })));
    return { place, width: 40 + columns.length * 260, height: 40 + Math.max(1, ...columns.map((c) => c.length)) * 44 };
  }

  async function renderGraph(whole) {
    let graph = whole;
    const area = byId('graph');
    if (whole.nodes.length > GRAPH_LIMIT) {
      if (!selected) {
        byId('graph-note').textContent = `${whole.nodes.length} views are too many for one picture: choose a view to see the views`
          + ' within two steps of it.';
        area.replaceChildren();
        return;
      }
      graph = (await api('GET', `/admin/graph?view=${encodeURIComponent(selected)}&depth=2`)).body;
      byId('graph-note').textContent = `The views within two steps of ${selected}.`;
    } else {
      byId('graph-note').textContent = '';
    }
    const { place, width, height } = layout(graph);
    const arrow = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '8', markerHeight: '8',
      orient: 'auto-start-reverse' }, svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }));
    const picture = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}` }, svg('defs', null, arrow));
    graph.edges.forEach((edge) => {
      const from = place.get(edge.source);
      const to = place.get(edge.reader);
      if (from && to) {
        picture.append(svg('line', { class: 'edge', 'data-source': edge.source, 'data-reader': edge.reader,
          x1: from.x + 220, y1: from.y + 16, x2: to.x, y2: to.y + 16, 'marker-end': 'url(#arrow)' }));
      }
    });
    graph.nodes.forEach((node) => {
      const at = place.get(node.view);
      const label = node.view.length > 30 ? `${node.view.slice(0, 29)}…` : node.view;
      const group = svg('g', { class: `node status-${node.status}${node.view === selected ? ' selected' : ''}`,
        'data-view': node.view, transform: `translate(${at.x},${at.y})`, tabindex: '0', role: 'button' },
      svg('title', null, `${node.view}: ${node.status}, ${node.whyMessage}`),
      svg('rect', { width: 220, height: 32, rx: 6 }),
      svg('text', { x: 10, y: 21 }, label));
      group.addEventListener('click', () => select(node.view));
      group.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          select(node.view);
        }
      });
      picture.append(group);
    });
    area.replaceChildren(picture);
  }

  document.addEventListener('DOMContentLoaded', () => {
    byId('login-form').addEventListener('submit', (event) => {
      event.preventDefault();
      signIn(byId('token').value.trim());
    });
    ['filter-name', 'filter-status', 'filter-priority'].forEach((id) => byId(id).addEventListener('input', () => {
      page = 0;
      renderViews();
    }));
    byId('filters').addEventListener('submit', (event) => event.preventDefault());
    byId('previous').addEventListener('click', () => { page -= 1; renderViews(); });
    byId('next').addEventListener('click', () => { page += 1; renderViews(); });
    byId('force').addEventListener('click', () => act('refresh'));
    byId('pause').addEventListener('click', () => act('pause'));
    byId('resume').addEventListener('click', () => act('resume'));
    if (sessionStorage.getItem(TOKEN)) {
      signIn(sessionStorage.getItem(TOKEN));
    } else {
      signOut('');
    }
  });
})();
