/**
 * The operator console: one static page and its script, served by the adapter over its own JSON API. Kept as
 * strings so that `tsc` ships them in dist/ with the rest (no asset copying step). No framework, no cookies: the
 * operator key lives in sessionStorage and goes out as a bearer header, so there is no CSRF surface.
 */
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gift card adapter: operator console</title>
<link rel="stylesheet" href="/console/console.css">
</head>
<body>
<header>
  <h1>Operator console</h1>
  <p class="who" id="who" hidden>Signed in as <strong id="who-name"></strong> <button type="button" id="sign-out">Sign out</button></p>
</header>
<p id="status" role="status" aria-live="polite"></p>

<section id="login" aria-labelledby="login-title">
  <h2 id="login-title">Sign in</h2>
  <form id="login-form">
    <label for="api-key">Operator API key</label>
    <input id="api-key" name="api-key" type="password" autocomplete="off" required>
    <button type="submit">Sign in</button>
    <p class="hint">A key with the <code>operator</code> scope (<code>API_KEYS=name:key:operator</code>; under <code>npm start</code>: <code>local-operator-key</code>). It is kept in this tab's session storage only.</p>
  </form>
</section>

<nav id="nav" hidden aria-label="Screens">
  <button type="button" data-screen="unresolved" aria-current="page">Unresolved calls</button>
  <button type="button" data-screen="failed">Failed settlements</button>
  <button type="button" data-screen="webhooks">Webhook deliveries</button>
  <button type="button" data-screen="order">Order timeline</button>
  <button type="button" data-screen="health">Health and metrics</button>
</nav>

<main>
<section id="unresolved" class="screen" hidden aria-labelledby="unresolved-title">
  <h2 id="unresolved-title">Unresolved provider calls</h2>
  <p class="hint">UNKNOWN: automatic checks gave up, an operator decides. CHECKING: the sweep looks it up again. Resolve only what you have checked at the provider.</p>
  <button type="button" class="refresh" data-refresh="unresolved">Refresh</button>
  <div id="unresolved-list"></div>
</section>

<section id="failed" class="screen" hidden aria-labelledby="failed-title">
  <h2 id="failed-title">Failed batch settlements</h2>
  <button type="button" class="refresh" data-refresh="failed">Refresh</button>
  <div id="failed-list"></div>
</section>

<section id="webhooks" class="screen" hidden aria-labelledby="webhooks-title">
  <h2 id="webhooks-title">Failed webhook deliveries</h2>
  <p class="hint">Notifications the OMS's receiver (WEBHOOK_URL) did not answer 2xx within the retry window. Redeliver queues one again, due now.</p>
  <button type="button" class="refresh" data-refresh="webhooks">Refresh</button>
  <div id="webhooks-list"></div>
</section>

<section id="order" class="screen" hidden aria-labelledby="order-title">
  <h2 id="order-title">Order timeline</h2>
  <form id="order-form">
    <label for="order-id">Order id</label>
    <input id="order-id" name="order-id" required>
    <button type="submit">Show</button>
  </form>
  <div id="order-view"></div>
</section>

<section id="health" class="screen" hidden aria-labelledby="health-title">
  <h2 id="health-title">Health and metrics</h2>
  <button type="button" class="refresh" data-refresh="health">Refresh</button>
  <div id="health-view"></div>
</section>
</main>
<script src="/console/console.js"></script>
</body>
</html>
`;

export const CONSOLE_CSS = `
:root { font-family: system-ui, sans-serif; color: #1b1f24; background: #f6f7f9; }
body { margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem 3rem; }
header { display: flex; align-items: baseline; justify-content: space-between; border-bottom: 2px solid #d0d7de; }
h1 { font-size: 1.4rem; margin: .5rem 0; }
h2 { font-size: 1.15rem; margin: 1rem 0 .5rem; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
nav { display: flex; gap: .5rem; margin: 1rem 0; }
nav button[aria-current="page"] { background: #0b57d0; color: #fff; border-color: #0b57d0; }
button { font: inherit; padding: .3rem .8rem; border: 1px solid #8c959f; border-radius: 4px; background: #fff; cursor: pointer; }
button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #0b57d0; outline-offset: 1px; }
input, select { font: inherit; padding: .25rem .4rem; border: 1px solid #8c959f; border-radius: 4px; }
label { font-weight: 600; margin-right: .4rem; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: .9rem; }
th, td { border: 1px solid #d0d7de; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef1f4; }
.hint { color: #57606a; font-size: .9rem; }
#status { min-height: 1.4rem; font-weight: 600; }
#status.error { color: #b3261e; }
.card { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem .9rem; margin: .6rem 0; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
.kv dt { font-weight: 600; } .kv dd { margin: 0; }
.resolve { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-top: .4rem; }
.resolve fieldset { border: 1px solid #d0d7de; border-radius: 4px; padding: .2rem .6rem; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: 3px; background: #eef1f4; font-size: .8rem; font-weight: 600; }
.badge.down, .badge.UNKNOWN, .badge.FAILED { background: #ffebe9; color: #b3261e; }
.badge.up, .badge.SETTLED, .badge.SUCCEEDED { background: #dafbe1; color: #116329; }
code { font-size: .85rem; }
`;

export const CONSOLE_JS = `
'use strict';
(function () {
  var KEY = 'gcpa.operatorKey';
  var NAME = 'gcpa.operatorName';
  var statusLine = document.getElementById('status');

  function say(text, isError) { statusLine.textContent = text; statusLine.className = isError ? 'error' : ''; }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === 'text') node.textContent = attrs.text;
      else if (name.slice(0, 2) === 'on') node.addEventListener(name.slice(2), attrs[name]);
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { node.append(child === null || child === undefined ? '' : child); });
    return node;
  }
  function text(value) { return value === null || value === undefined || value === '' ? '-' : String(value); }
  function badge(value) { return el('span', { class: 'badge ' + text(value), text: text(value) }); }
  function table(headers, rows) {
    return el('table', {}, [
      el('thead', {}, [el('tr', {}, headers.map(function (h) { return el('th', { scope: 'col', text: h }); }))]),
      el('tbody', {}, rows.map(function (cells) { return el('tr', {}, cells.map(function (c) { return el('td', {}, [c]); })); })),
    ]);
  }
  function key() { return sessionStorage.getItem(KEY); }
  function requestId() { return 'console-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 10); }

  async function api(method, path, body, idempotent) {
    var headers = { Authorization: 'Bearer ' + key(), Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (idempotent) headers['Idempotency-Key'] = requestId();
    var response = await fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit' });
    var data = response.headers.get('content-type') && response.headers.get('content-type').indexOf('json') >= 0 ? await response.json() : await response.text();
    if (response.status === 401) { signOut('The key was refused; sign in again.'); throw new Error('unauthorized'); }
    if (!response.ok) {
      var message = data && data.error ? data.error.code + ': ' + data.error.message : 'HTTP ' + response.status;
      throw new Error(message);
    }
    return data;
  }

  // --- sign in / out -------------------------------------------------------------------------------------
  function showSignedIn(signedIn) {
    document.getElementById('login').hidden = signedIn;
    document.getElementById('nav').hidden = !signedIn;
    document.getElementById('who').hidden = !signedIn;
    document.getElementById('who-name').textContent = sessionStorage.getItem(NAME) || '';
    document.querySelectorAll('.screen').forEach(function (s) { s.hidden = true; });
    if (signedIn) show('unresolved');
  }
  function signOut(message) {
    sessionStorage.removeItem(KEY); sessionStorage.removeItem(NAME);
    showSignedIn(false);
    if (message) say(message, true);
  }
  document.getElementById('login-form').addEventListener('submit', async function (event) {
    event.preventDefault();
    var input = document.getElementById('api-key');
    sessionStorage.setItem(KEY, input.value.trim());
    input.value = '';
    try {
      await api('GET', '/v1/transactions?limit=1');
      sessionStorage.setItem(NAME, 'operator');
      say('Signed in.');
      showSignedIn(true);
    } catch (error) {
      signOut('Sign-in failed: ' + error.message);
    }
  });
  document.getElementById('sign-out').addEventListener('click', function () { signOut(); say('Signed out.'); });

  // --- navigation ----------------------------------------------------------------------------------------
  var loaders = {};
  function show(screen) {
    document.querySelectorAll('.screen').forEach(function (s) { s.hidden = s.id !== screen; });
    document.querySelectorAll('nav button').forEach(function (b) {
      if (b.dataset.screen === screen) b.setAttribute('aria-current', 'page'); else b.removeAttribute('aria-current');
    });
    if (loaders[screen]) loaders[screen]();
  }
  document.querySelectorAll('nav button').forEach(function (b) { b.addEventListener('click', function () { show(b.dataset.screen); }); });
  document.querySelectorAll('[data-refresh]').forEach(function (b) { b.addEventListener('click', function () { loaders[b.dataset.refresh](); }); });

  // --- unresolved provider calls -------------------------------------------------------------------------
  function resolveForm(call) {
    var id = 'r-' + call.transactionId;
    var applied = el('input', { type: 'radio', name: id + '-applied', id: id + '-yes', value: 'true' });
    var notApplied = el('input', { type: 'radio', name: id + '-applied', id: id + '-no', value: 'false' });
    var candidates = Array.isArray(call.candidates) ? call.candidates : [];
    var transaction = candidates.length
      ? el('select', { id: id + '-txn', 'aria-label': 'Provider transaction' }, [el('option', { value: '', text: 'provider transaction…' })].concat(
          candidates.map(function (c) { return el('option', { value: c.transactionId, text: c.transactionId + ' (' + text(c.amount) + (c.at ? ', ' + c.at : '') + ')' }); })))
      : el('input', { id: id + '-txn', 'aria-label': 'Provider transaction id', placeholder: 'provider transaction id' });
    var reason = el('input', { id: id + '-reason', 'aria-label': 'Reason', placeholder: 'reason (kept in the history)', size: '40', required: 'required' });
    var form = el('form', { class: 'resolve', 'data-transaction': call.transactionId }, [
      el('fieldset', {}, [el('legend', { text: 'At the provider, this call' }),
        applied, el('label', { for: id + '-yes', text: 'was applied' }), notApplied, el('label', { for: id + '-no', text: 'was not applied' })]),
      transaction, reason, el('button', { type: 'submit', text: 'Resolve' }),
    ]);
    form.addEventListener('submit', async function (event) {
      event.preventDefault();
      if (!applied.checked && !notApplied.checked) { say('Choose applied or not applied.', true); return; }
      var body = { applied: applied.checked, reason: reason.value.trim() };
      if (applied.checked && transaction.value) body.transactionId = transaction.value;
      try {
        var result = await api('POST', '/v1/transactions/' + call.transactionId + '/resolutions', body);
        say('Transaction ' + call.transactionId + ' resolved as ' + (body.applied ? 'applied' : 'not applied') + ' (' + result.recordedOutcome + ').');
        loaders.unresolved();
      } catch (error) { say('Could not resolve: ' + error.message, true); }
    });
    return form;
  }
  function candidateList(call) {
    if (!Array.isArray(call.candidates) || call.candidates.length === 0) return '-';
    return el('ul', {}, call.candidates.map(function (c) { return el('li', { text: c.transactionId + ' ' + text(c.amount) + (c.at ? ' at ' + c.at : '') }); }));
  }
  loaders.unresolved = async function () {
    var target = document.getElementById('unresolved-list');
    try {
      var pages = await Promise.all([api('GET', '/v1/transactions?outcome=UNKNOWN&limit=100'), api('GET', '/v1/transactions?outcome=CHECKING&limit=100')]);
      var calls = pages[0].items.concat(pages[1].items);
      target.replaceChildren();
      if (calls.length === 0) { target.append(el('p', { text: 'Nothing unresolved.' })); return; }
      calls.forEach(function (call) {
        var check = el('button', { type: 'button', text: 'Check again', onclick: async function () {
          try { await api('POST', '/v1/transactions/' + call.transactionId + '/checks'); say('A new check of ' + call.transactionId + ' is due now.'); loaders.unresolved(); }
          catch (error) { say('Could not check again: ' + error.message, true); }
        } });
        if (call.outcome !== 'UNKNOWN') check.disabled = true;
        target.append(el('article', { class: 'card transaction', 'data-transaction': call.transactionId, 'aria-label': 'Transaction ' + call.transactionId }, [
          el('h3', {}, [call.operation + ' ', badge(call.outcome)]),
          el('dl', { class: 'kv' }, [
            el('dt', { text: 'Transaction' }), el('dd', {}, [el('code', { text: call.transactionId })]),
            el('dt', { text: 'Order' }), el('dd', { text: text(call.orderId) }),
            el('dt', { text: 'Card' }), el('dd', { text: text(call.maskedCardNumber) }),
            el('dt', { text: 'Amount' }), el('dd', { text: text(call.amount) + ' ' + text(call.currency) }),
            el('dt', { text: 'Checks' }), el('dd', { text: call.checkAttempts + (call.nextCheckAt ? ', next at ' + call.nextCheckAt : '') }),
            el('dt', { text: 'Provider said' }), el('dd', { text: text(call.providerMessage) }),
            el('dt', { text: 'Last look-up' }), el('dd', { text: text(call.resolutionNote) }),
            el('dt', { text: 'Candidates' }), el('dd', {}, [candidateList(call)]),
            el('dt', { text: 'Since' }), el('dd', { text: text(call.createdAt) }),
          ]),
          check,
          resolveForm(call),
        ]));
      });
    } catch (error) { say('Could not load unresolved calls: ' + error.message, true); }
  };

  // --- failed settlements --------------------------------------------------------------------------------
  loaders.failed = async function () {
    var target = document.getElementById('failed-list');
    try {
      var page = await api('GET', '/v1/settlements?status=FAILED&limit=100');
      target.replaceChildren();
      if (page.items.length === 0) { target.append(el('p', { text: 'No failed settlements.' })); return; }
      target.append(table(['Settlement', 'Order', 'Invoice', 'Amount', 'Attempts', 'Failure', 'Updated', ''], page.items.map(function (s) {
        return [el('code', { text: s.settlementId }), text(s.orderId), text(s.invoiceId), s.amount + ' ' + s.currency, String(s.attempts), text(s.failureReason), text(s.updatedAt),
          el('button', { type: 'button', text: 'Retry', 'data-settlement': s.settlementId, onclick: async function () {
            try { await api('POST', '/v1/settlements/' + s.settlementId + '/retry', undefined, true); say('Settlement ' + s.settlementId + ' is queued again.'); loaders.failed(); }
            catch (error) { say('Could not retry: ' + error.message, true); }
          } })];
      })));
    } catch (error) { say('Could not load failed settlements: ' + error.message, true); }
  };

  // --- failed webhook deliveries ------------------------------------------------------------------------
  loaders.webhooks = async function () {
    var target = document.getElementById('webhooks-list');
    try {
      var page = await api('GET', '/v1/webhook-deliveries?status=FAILED&limit=100');
      target.replaceChildren();
      if (page.items.length === 0) { target.append(el('p', { text: 'No failed deliveries.' })); return; }
      target.append(table(['Delivery', 'Type', 'Order', 'Attempts', 'Last answer', 'Last attempt', ''], page.items.map(function (d) {
        var answer = d.lastResponseStatus !== null ? 'HTTP ' + d.lastResponseStatus + (d.lastResponseExcerpt ? ': ' + d.lastResponseExcerpt : '') : text(d.lastError);
        return [el('code', { text: d.deliveryId }), d.type, text(d.orderId), String(d.attempts), answer, text(d.lastAttemptAt),
          el('button', { type: 'button', text: 'Redeliver', 'data-delivery': d.deliveryId, onclick: async function () {
            try { await api('POST', '/v1/webhook-deliveries/' + d.deliveryId + '/redeliveries', undefined, true); say('Delivery ' + d.deliveryId + ' is queued again.'); loaders.webhooks(); }
            catch (error) { say('Could not redeliver: ' + error.message, true); }
          } })];
      })));
    } catch (error) { say('Could not load webhook deliveries: ' + error.message, true); }
  };

  // --- order timeline ------------------------------------------------------------------------------------
  document.getElementById('order-form').addEventListener('submit', async function (event) {
    event.preventDefault();
    var orderId = document.getElementById('order-id').value.trim();
    var target = document.getElementById('order-view');
    try {
      var order = await api('GET', '/v1/orders/' + encodeURIComponent(orderId) + '/payments');
      target.replaceChildren();
      var totals = order.totals || {};
      target.append(el('div', { class: 'card' }, [el('dl', { class: 'kv' }, [
        el('dt', { text: 'Order' }), el('dd', { text: order.orderId }),
        el('dt', { text: 'Authorized' }), el('dd', { text: text(totals.authorized) + ' ' + text(order.currency) }),
        el('dt', { text: 'Settled' }), el('dd', { text: text(totals.settled) }),
        el('dt', { text: 'Refunded' }), el('dd', { text: text(totals.refunded) }),
        el('dt', { text: 'Held' }), el('dd', { text: text(totals.held) }),
      ])]));
      target.append(el('h3', { text: 'Authorizations and their chains' }));
      target.append(table(['Authorization', 'Card', 'Status', 'State', 'Approved', 'Held', 'Settled', 'Provider reference'],
        order.authorizations.flatMap(function (a) { return a.chain.map(function (link) {
          return [el('code', { text: link.authorizationId }), text(link.maskedCardNumber), badge(link.status), link.state + (link.closedReason ? ' / ' + link.closedReason : ''), link.approvedAmount, link.heldAmount, link.settledAmount, text(link.providerReference)];
        }); })));
      target.append(el('h3', { text: 'Settlements' }));
      target.append(table(['Settlement', 'Invoice', 'Mode', 'Status', 'Amount', 'Settled', 'Failure'],
        order.authorizations.flatMap(function (a) { return a.settlements.map(function (s) {
          return [el('code', { text: s.settlementId }), s.invoiceId, s.mode, badge(s.status), s.amount, s.settledAmount, text(s.failureReason)];
        }); })));
      target.append(el('h3', { text: 'Refunds' }));
      target.append(table(['Refund', 'Card', 'Status', 'Amount', 'Refunded', 'Provider reference'], order.refunds.map(function (r) {
        return [el('code', { text: r.refundId }), text(r.maskedCardNumber), badge(r.status), r.amount, r.refundedAmount, text(r.providerReference)];
      })));
      if (Array.isArray(order.fulfillments)) {
        target.append(el('h3', { text: 'Fulfillments' }));
        target.append(table(['Fulfillment', 'Line', 'Kind', 'Card', 'Status', 'Amount'], order.fulfillments.map(function (f) {
          return [el('code', { text: f.fulfillmentId }), f.lineId, f.kind, text(f.cardNumberMasked === false ? '(hidden)' : f.cardNumber), badge(f.status), f.amount];
        })));
      }
      target.append(el('h3', { text: 'Events' }));
      target.append(table(['When', 'Event', 'From', 'To', 'Amount', 'Actor', 'Provider transaction', 'Message'], order.history.map(function (e) {
        return [text(e.createdAt), e.type, text(e.fromState), text(e.toState), e.amount ? e.amount + ' ' + text(e.currency) : '-', e.actor, text(e.providerTransactionId), text(e.providerMessage)];
      })));
    } catch (error) { target.replaceChildren(); say('Could not load order ' + orderId + ': ' + error.message, true); }
  });

  // --- health and metrics --------------------------------------------------------------------------------
  function metric(textBody, name) {
    var line = textBody.split('\\n').find(function (l) { return l.indexOf(name + ' ') === 0; });
    return line ? line.slice(name.length + 1) : '-';
  }
  loaders.health = async function () {
    var target = document.getElementById('health-view');
    try {
      var health = await fetch('/health', { credentials: 'omit' }).then(function (r) { return r.json(); });
      var metrics = await fetch('/metrics', { credentials: 'omit' }).then(function (r) { return r.text(); });
      var details = health.details || {};
      var circuit = { '0': 'closed', '1': 'half-open', '2': 'open' }[metric(metrics, 'gcpa_provider_circuit_state')] || '-';
      target.replaceChildren(el('div', { class: 'card' }, [el('dl', { class: 'kv' }, [
        el('dt', { text: 'Overall' }), el('dd', {}, [badge(health.status === 'ok' ? 'up' : 'down')]),
        el('dt', { text: 'Database' }), el('dd', {}, [badge(details.database ? details.database.status : '-')]),
        el('dt', { text: 'Provider' }), el('dd', {}, [badge(details.provider ? details.provider.status : '-'), ' ', text(details.provider && details.provider.message)]),
        el('dt', { text: 'Circuit breaker' }), el('dd', { text: circuit }),
        el('dt', { text: 'Batch backlog' }), el('dd', { text: metric(metrics, 'gcpa_settlement_backlog') }),
        el('dt', { text: 'Unresolved provider calls' }), el('dd', { text: metric(metrics, 'gcpa_provider_calls_unresolved') }),
      ])]));
    } catch (error) { say('Could not load health: ' + error.message, true); }
  };

  showSignedIn(!!key());
})();
`;
