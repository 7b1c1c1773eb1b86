// Bastion dashboard: a client of the admin API (/admin/v1), signed in by the session cookie.
// Everything shown is set with textContent or DOM properties, never parsed as HTML.
'use strict';

(function () {
  const PAGES = ['accounts', 'keys', 'limits', 'rates', 'usage', 'workers'];
  const WORKER_POLL_MILLIS = 2000;
  const WORKER_POINTS = 150; // five minutes of polls
  let csrf = null;
  let workerTimer = null;
  const charts = {};
  const workerHistory = { at: [], models: [], series: {} };

  const $ = (id) => document.getElementById(id);

  // ---- the admin API ----

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function api(method, path, body) {
    const headers = { 'Accept': 'application/json' };
    if (method !== 'GET' && method !== 'HEAD') {
      headers['X-CSRF-Token'] = csrf;
    }
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    const response = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    if (response.status === 401) {
      showLogin('Your session has ended; sign in again.');
      throw new ApiError(401, 'not signed in');
    }
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const message = json && json.error && json.error.message ? json.error.message : 'HTTP ' + response.status;
      throw new ApiError(response.status, message);
    }
    return json;
  }

  const enc = encodeURIComponent;

  // ---- formatting ----

  const dollars = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 6 });
  const integer = new Intl.NumberFormat('en-US');
  const money = (micros) => dollars.format(micros / 1e6);
  const count = (n) => integer.format(n);
  const when = (seconds) => seconds == null ? '—' : new Date(seconds * 1000).toLocaleString();
  const toMicros = (text) => Math.round(Number(text) * 1e6);

  function status(message, isError) {
    const el = $('status');
    el.textContent = message || '';
    el.className = isError ? 'error' : '';
  }

  function failed(error) {
    if (!(error instanceof ApiError && error.status === 401)) {
      status(error.message, true);
    }
  }

  /** A table cell with text; {num: true} aligns numbers right. */
  function cell(text, options) {
    const td = document.createElement('td');
    td.textContent = text;
    if (options && options.num) td.className = 'num';
    if (options && options.className) td.className = options.className;
    return td;
  }

  function fill(tableId, rows, columns, emptyText) {
    const body = $(tableId).tBodies[0];
    body.replaceChildren();
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      const td = cell(emptyText, { className: 'empty' });
      td.colSpan = columns;
      tr.append(td);
      body.append(tr);
    }
    rows.forEach((tr) => body.append(tr));
  }

  function button(text, className, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    if (className) b.className = className;
    b.addEventListener('click', onClick);
    return b;
  }

  // ---- pages ----

  async function showAccounts() {
    const accounts = (await api('GET', '/admin/v1/accounts')).data;
    fill('accounts-table', accounts.map((a) => {
      const tr = document.createElement('tr');
      tr.dataset.account = a.id;
      const form = document.createElement('form');
      form.className = 'credit-form';
      const amount = document.createElement('input');
      amount.type = 'number'; amount.min = '0.000001'; amount.step = '0.000001'; amount.required = true;
      amount.className = 'credit-amount'; amount.setAttribute('aria-label', 'credit for ' + a.id);
      const add = document.createElement('button');
      add.type = 'submit'; add.textContent = 'Add'; add.className = 'credit-submit';
      form.append(amount, ' ', add);
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        api('POST', '/admin/v1/accounts/' + enc(a.id) + '/credit', { amount_micros: toMicros(amount.value) })
          .then((updated) => { status('Added ' + money(toMicros(amount.value)) + ' to ' + updated.id + '.'); return showAccounts(); })
          .catch(failed);
      });
      const creditCell = document.createElement('td');
      creditCell.append(form);
      tr.append(cell(a.id), cell(a.tier), cell(money(a.balance_micros), { num: true, className: 'num balance' }),
        cell(money(a.reserved_micros), { num: true }), cell(money(a.spent_micros), { num: true }), creditCell);
      return tr;
    }), 6, 'No accounts yet.');
  }

  $('account-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { id: $('account-id').value.trim(), tier: $('account-tier').value.trim(),
      balance_micros: toMicros($('account-balance').value || '0') };
    api('POST', '/admin/v1/accounts', body)
      .then((a) => { status('Account ' + a.id + ' created.'); $('account-id').value = ''; return showAccounts(); })
      .catch(failed);
  });

  async function showKeys() {
    const [accounts, keys] = await Promise.all([api('GET', '/admin/v1/accounts'), api('GET', '/admin/v1/keys')]);
    const select = $('key-account');
    const chosen = select.value;
    select.replaceChildren(...accounts.data.map((a) => {
      const option = document.createElement('option');
      option.value = a.id; option.textContent = a.id;
      return option;
    }));
    if (chosen) select.value = chosen;
    fill('keys-table', keys.data.map((k) => {
      const tr = document.createElement('tr');
      tr.dataset.key = k.id;
      const actions = document.createElement('td');
      if (k.revoked_at == null) {
        // two clicks, no dialog: the first arms the button
        const revoke = button('Revoke', 'secondary revoke', () => {
          if (!revoke.classList.contains('danger')) {
            revoke.classList.add('danger');
            revoke.textContent = 'Confirm revoke';
            return;
          }
          api('DELETE', '/admin/v1/keys/' + enc(k.id))
            .then(() => { status('Key ' + k.id + ' revoked; it is refused from the next request on.'); return showKeys(); })
            .catch(failed);
        });
        actions.append(revoke);
      }
      tr.append(cell(k.id), cell(k.prefix == null ? '—' : k.prefix + '…'), cell(k.account_id), cell(k.tier),
        cell(when(k.created_at)), cell(when(k.last_used_at)),
        cell(k.revoked_at == null ? 'active' : 'revoked ' + when(k.revoked_at), { className: k.revoked_at == null ? 'key-state' : 'key-state revoked' }),
        actions);
      return tr;
    }), 8, 'No keys yet.');
  }

  $('key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const account = $('key-account').value;
    if (!account) { status('Create an account first.', true); return; }
    api('POST', '/admin/v1/accounts/' + enc(account) + '/keys')
      .then((created) => {
        $('new-key-value').textContent = created.key;
        $('copy-result').textContent = '';
        $('new-key').hidden = false;
        status('Key ' + created.id + ' created for ' + created.account_id + '.');
        return showKeys();
      })
      .catch(failed);
  });

  $('copy-key').addEventListener('click', () => {
    const value = $('new-key-value').textContent;
    const done = () => { $('copy-result').textContent = 'Copied.'; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(done, () => { selectKey(); $('copy-result').textContent = 'Selected: press Ctrl+C.'; });
    } else {
      selectKey();
      $('copy-result').textContent = document.execCommand('copy') ? 'Copied.' : 'Selected: press Ctrl+C.';
    }
  });

  function selectKey() {
    const range = document.createRange();
    range.selectNodeContents($('new-key-value'));
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  $('new-key-dismiss').addEventListener('click', () => {
    // the key leaves the page for good
    $('new-key-value').textContent = '';
    $('new-key').hidden = true;
  });

  async function showLimits() {
    const [tiers, limits] = await Promise.all([api('GET', '/admin/v1/tiers'), api('GET', '/admin/v1/limits')]);
    fill('tiers-table', tiers.data.map((t) => {
      const tr = document.createElement('tr');
      tr.dataset.tier = t.name;
      tr.append(cell(t.name), cell(count(t.requests_per_minute), { num: true }), cell(count(t.tokens_per_minute), { num: true }));
      tr.addEventListener('click', () => {
        $('tier-name').value = t.name; $('tier-rpm').value = t.requests_per_minute; $('tier-tpm').value = t.tokens_per_minute;
      });
      return tr;
    }), 3, 'No tiers.');
    fill('limits-table', limits.data.map((l) => {
      const tr = document.createElement('tr');
      tr.dataset.key = l.key_id;
      tr.append(cell(l.key_id), cell(l.account_id), cell(l.tier),
        cell(count(l.requests) + ' / ' + count(l.requests_per_minute), { num: true }),
        cell(count(l.tokens) + ' / ' + count(l.tokens_per_minute), { num: true }),
        cell(Math.round(l.ratio * 100) + ' %', { num: true }));
      return tr;
    }), 6, 'No key is at half its limit or more this minute.');
  }

  $('tier-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $('tier-name').value.trim();
    api('PUT', '/admin/v1/tiers/' + enc(name),
      { requests_per_minute: Number($('tier-rpm').value), tokens_per_minute: Number($('tier-tpm').value) })
      .then(() => { status('Tier ' + name + ' saved.'); return showLimits(); })
      .catch(failed);
  });

  async function showRates() {
    const prices = (await api('GET', '/admin/v1/prices')).data;
    fill('prices-table', prices.map((p) => {
      const tr = document.createElement('tr');
      tr.dataset.model = p.model;
      const input = priceInput(p.input_per_million_micros, 'price-input', p.model + ' input');
      const output = priceInput(p.output_per_million_micros, 'price-output', p.model + ' output');
      const save = button('Save', 'price-save', () => {
        api('PUT', '/admin/v1/prices/' + enc(p.model),
          { input_per_million_micros: toMicros(input.value), output_per_million_micros: toMicros(output.value) })
          .then((saved) => { status('Price of ' + saved.model + ' saved.'); return showRates(); })
          .catch(failed);
      });
      const inCell = document.createElement('td'); inCell.append(input);
      const outCell = document.createElement('td'); outCell.append(output);
      const saveCell = document.createElement('td'); saveCell.append(save);
      tr.append(cell(p.model), inCell, outCell, saveCell);
      return tr;
    }), 4, 'No models.');
  }

  function priceInput(micros, className, label) {
    const input = document.createElement('input');
    input.type = 'number'; input.min = '0'; input.step = '0.000001';
    input.value = String(micros / 1e6);
    input.className = className;
    input.setAttribute('aria-label', label);
    return input;
  }

  async function showUsage() {
    const minutes = Number($('usage-minutes').value);
    const rows = (await api('GET', '/admin/v1/usage?minutes=' + minutes)).data;
    const byKey = new Map();
    const byModel = new Map();
    const byMinute = new Map();
    const add = (map, name, r, extra) => {
      const t = map.get(name) || Object.assign({ requests: 0, input: 0, output: 0, spent: 0 }, extra);
      t.requests += r.requests; t.input += r.input_tokens; t.output += r.output_tokens; t.spent += r.spent_micros;
      map.set(name, t);
    };
    rows.forEach((r) => {
      add(byKey, r.key_id, r, { account: r.account_id });
      add(byModel, r.model, r, {});
      add(byMinute, r.minute, r, {});
    });
    const totalsRow = (name, t, withAccount) => {
      const tr = document.createElement('tr');
      tr.append(cell(name));
      if (withAccount) tr.append(cell(t.account));
      tr.append(cell(count(t.requests), { num: true }), cell(count(t.input), { num: true }),
        cell(count(t.output), { num: true }), cell(money(t.spent), { num: true }));
      return tr;
    };
    fill('usage-by-key', [...byKey].map(([k, t]) => totalsRow(k, t, true)), 6, 'Nothing settled in this window.');
    fill('usage-by-model', [...byModel].map(([m, t]) => totalsRow(m, t, false)), 5, 'Nothing settled in this window.');
    // one point a minute, empty minutes included, so that the chart's time axis is true
    const now = Math.floor(Date.now() / 60000) * 60;
    const xs = [], input = [], output = [], spent = [];
    for (let m = now - (minutes - 1) * 60; m <= now; m += 60) {
      const t = byMinute.get(m);
      xs.push(m); input.push(t ? t.input : 0); output.push(t ? t.output : 0); spent.push(t ? t.spent / 1e6 : 0);
    }
    drawChart('usage-chart', [xs, input, output, spent], [
      { label: 'Input tokens', stroke: '#1f5fbf', scale: 'tokens' },
      { label: 'Output tokens', stroke: '#1b7f3b', scale: 'tokens' },
      { label: 'Spend ($)', stroke: '#a35c00', scale: 'usd', value: (u, v) => v == null ? '—' : dollars.format(v) }
    ], [{ scale: 'tokens' }, { scale: 'usd', side: 1, grid: { show: false }, size: 70,
      values: (u, splits) => splits.map((v) => v === 0 ? '$0' : '$' + Number(v.toPrecision(2))) }]);
  }

  $('usage-form').addEventListener('submit', (e) => { e.preventDefault(); showUsage().catch(failed); });

  async function pollWorkers() {
    const snapshot = await api('GET', '/admin/v1/workers');
    fill('workers-table', snapshot.data.map((w) => {
      const tr = document.createElement('tr');
      tr.dataset.model = w.model;
      tr.dataset.worker = w.worker;
      tr.append(cell(w.model), cell(w.worker), cell(w.state, { className: 'state state-' + w.state }),
        cell(count(w.in_flight), { num: true }), cell(count(w.queued), { num: true }),
        cell(w.ttft_seconds == null ? '—' : w.ttft_seconds.toFixed(3), { num: true }),
        cell(w.tokens_per_second == null ? '—' : w.tokens_per_second.toFixed(1), { num: true }));
      return tr;
    }), 7, 'No workers.');
    recordWorkers(snapshot);
  }

  /** Keeps the last polls per model, and redraws the two live charts. */
  function recordWorkers(snapshot) {
    const models = (snapshot.models || []).map((m) => m.model).sort();
    const h = workerHistory;
    if (models.join('\n') !== h.models.join('\n')) {
      h.at = []; h.models = models; h.series = {};
      models.forEach((m) => { h.series[m] = { p50: [], p99: [], tps: [] }; });
    }
    h.at.push((snapshot.at || Date.now()) / 1000);
    (snapshot.models || []).forEach((m) => {
      const s = h.series[m.model];
      s.p50.push(m.ttft_p50_seconds); s.p99.push(m.ttft_p99_seconds); s.tps.push(m.output_tokens_per_second);
    });
    if (h.at.length > WORKER_POINTS) {
      h.at.shift();
      models.forEach((m) => { const s = h.series[m]; s.p50.shift(); s.p99.shift(); s.tps.shift(); });
    }
    const palette = ['#1f5fbf', '#b3261e', '#1b7f3b', '#a35c00', '#6b3fa0', '#00838f'];
    const ttftSeries = [], ttftData = [h.at], tpsSeries = [], tpsData = [h.at];
    models.forEach((m, i) => {
      const color = palette[i % palette.length];
      ttftSeries.push({ label: m + ' p50', stroke: color }, { label: m + ' p99', stroke: color, dash: [6, 4] });
      ttftData.push(h.series[m].p50, h.series[m].p99);
      tpsSeries.push({ label: m, stroke: color });
      tpsData.push(h.series[m].tps);
    });
    drawChart('ttft-chart', ttftData, ttftSeries, null, 'ttft:' + models.join(','));
    drawChart('throughput-chart', tpsData, tpsSeries, null, 'tps:' + models.join(','));
  }

  /** The x range of a time chart, from its own data (uPlot's arguments are already widened for one point). */
  function xRange(u) {
    const xs = u.data[0] || [];
    const last = xs.length ? xs[xs.length - 1] : Date.now() / 1000;
    const first = xs.length ? xs[0] : last;
    return [Math.min(first, last - 60), last];
  }

  /** Draws (or updates in place, when its series are the same) a uPlot time-series chart. */
  function drawChart(id, data, series, axes, shape) {
    const el = $(id);
    const key = shape || JSON.stringify(series.map((s) => s.label));
    const existing = charts[id];
    if (existing && existing.key === key) {
      existing.plot.setData(data);
      return;
    }
    if (existing) existing.plot.destroy();
    if (typeof uPlot === 'undefined') { el.textContent = 'The chart library did not load.'; return; }
    const options = {
      width: Math.max(320, el.clientWidth - 2), height: 240,
      series: [{}].concat(series.map((s) => Object.assign({ width: 2, spanGaps: true }, s))),
      // the time axis spans the data, at least the minute before the last point: with one point alone,
      // uPlot would spread it over years
      scales: { x: { time: true, range: xRange } },
      axes: [{}].concat(axes || [{}])
    };
    el.replaceChildren();
    charts[id] = { key, plot: new uPlot(options, data, el) };
  }

  // ---- navigation and session ----

  const showers = { accounts: showAccounts, keys: showKeys, limits: showLimits, rates: showRates, usage: showUsage };

  function route() {
    if (!csrf) return;
    const page = PAGES.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'accounts';
    PAGES.forEach((p) => { $('page-' + p).hidden = p !== page; });
    document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('active', a.dataset.page === page));
    document.body.dataset.page = page;
    if (workerTimer) { clearInterval(workerTimer); workerTimer = null; }
    status('');
    if (page === 'workers') {
      pollWorkers().catch(failed);
      workerTimer = setInterval(() => pollWorkers().catch(failed), WORKER_POLL_MILLIS);
    } else {
      showers[page]().catch(failed);
    }
  }

  function showLogin(message) {
    csrf = null;
    if (workerTimer) { clearInterval(workerTimer); workerTimer = null; }
    $('app').hidden = true; $('nav').hidden = true; $('logout').hidden = true;
    $('login').hidden = false;
    status(message || '', Boolean(message));
    $('token').focus();
  }

  $('logout').addEventListener('click', () => {
    fetch('/dashboard/logout', { method: 'POST', headers: { 'X-CSRF-Token': csrf }, credentials: 'same-origin' })
      .finally(() => { showLogin(); status('Signed out.'); });
  });

  window.addEventListener('hashchange', route);

  fetch('/dashboard/session', { credentials: 'same-origin', cache: 'no-store' })
    .then((r) => r.ok ? r.json() : null)
    .then((session) => {
      if (!session) { showLogin(); return; }
      csrf = session.csrf_token;
      $('login').hidden = true;
      $('app').hidden = false; $('nav').hidden = false; $('logout').hidden = false;
      route();
    })
    .catch(() => showLogin('The gateway cannot be reached.'));
})();
