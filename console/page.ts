/**
 * The console page: one HTML document, one script, one style sheet, no build step and no
 * dependency. The script reads the login token from the URL's fragment (never sent to the
 * server, kept for the tab in sessionStorage), asks the API every two seconds, and writes
 * what it gets with `textContent` only: nothing from the API is ever parsed as HTML.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portcullis console</title>
<link rel="stylesheet" href="/console.css">
<script src="/console.js" defer></script>
</head>
<body>
<header><h1>Portcullis</h1><span id="status">connecting</span></header>
<main>
<section id="login-needed" hidden>
  <h2>Sign in</h2>
  <p>Open the console URL that <code>portcullis up</code> printed: it carries the login token.</p>
</section>
<div id="data" hidden>
<section class="kpis">
  <div><span class="label">requests/s</span><span id="rps" class="big">0</span></div>
  <div><span class="label">answered</span><span id="answered" class="big">0</span></div>
  <div><span class="label">refused</span><span id="refused" class="big">0</span></div>
  <div><span class="label">audit head</span><span id="audit-head" class="big">0</span></div>
  <div><span class="label">audit verify</span><span id="verify" class="big">-</span></div>
</section>
<section><h2>Requests per second</h2><svg id="chart" viewBox="0 0 600 120" preserveAspectRatio="none" role="img" aria-label="requests per second"></svg></section>
<section><h2>Routes</h2><table id="routes"><thead><tr><th>host</th><th>route</th><th>req/s</th><th>p50 ms</th><th>p99 ms</th><th>total</th></tr></thead><tbody></tbody></table></section>
<section class="two">
  <div><h2>Refusals by code</h2><table id="refusals"><thead><tr><th>code</th><th>stage</th><th>count</th></tr></thead><tbody></tbody></table></div>
  <div><h2>At the edge</h2><table id="edge"><thead><tr><th>verdict</th><th>code</th><th>count</th></tr></thead><tbody></tbody></table></div>
</section>
<section><h2>Stages</h2><table id="stages"><thead><tr><th>stage</th><th>processes</th><th>queue</th><th>in work</th><th>messages</th></tr></thead><tbody></tbody></table></section>
<section><h2>Processes</h2><table id="processes"><thead><tr><th>name</th><th>component</th><th>pid</th><th>state</th><th>restarts</th><th>metrics</th></tr></thead><tbody></tbody></table></section>
<section><h2>Audit trail</h2>
  <form id="search">
    <label>request id <input id="search-request" name="request" autocomplete="off" spellcheck="false"></label>
    <label>since <input id="search-since" name="since" placeholder="2026-01-01T00:00:00Z"></label>
    <label>until <input id="search-until" name="until" placeholder="2026-01-02T00:00:00Z"></label>
    <label>verdict <select id="search-verdict" name="verdict"><option value="">any</option><option>accept</option><option>reject</option><option>error</option></select></label>
    <button id="search-button" type="submit">Search</button>
  </form>
  <p id="search-error" class="error"></p>
  <table id="events"><thead><tr><th>time</th><th>request</th><th>stage</th><th>verdict</th><th>code</th><th>status</th><th>ms</th></tr></thead><tbody></tbody></table>
  <h3 id="timeline-title" hidden>Timeline</h3>
  <div id="timeline"></div>
</section>
<section><h2>Bus topology</h2><table id="topology"><thead><tr><th>bus</th><th>url</th><th>JetStream</th><th>streams and consumers</th></tr></thead><tbody></tbody></table></section>
</div>
</main>
</body>
</html>
`

export const PAGE_CSS = `
:root { font-family: system-ui, sans-serif; color: #1d232a; background: #f6f7f9; }
header { display: flex; align-items: baseline; gap: 1rem; padding: .6rem 1.2rem; background: #1d232a; color: #fff; }
header h1 { font-size: 1.2rem; margin: 0; }
#status { font-size: .85rem; opacity: .8; }
main { padding: 1rem 1.2rem; max-width: 1200px; }
section { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: .8rem 1rem; margin-bottom: 1rem; }
h2 { font-size: 1rem; margin: 0 0 .5rem; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #eef0f2; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.kpis { display: flex; gap: 2rem; flex-wrap: wrap; }
.kpis div { display: flex; flex-direction: column; }
.label { font-size: .75rem; color: #5b6673; }
.big { font-size: 1.6rem; font-variant-numeric: tabular-nums; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
svg#chart { width: 100%; height: 120px; background: #fbfcfd; }
svg#chart polyline { fill: none; stroke: #2f6fdf; stroke-width: 2; }
form { display: flex; gap: .8rem; flex-wrap: wrap; align-items: end; margin-bottom: .5rem; }
label { display: flex; flex-direction: column; font-size: .75rem; color: #5b6673; }
input, select, button { font: inherit; font-size: .85rem; padding: .25rem .4rem; }
.error { color: #b3261e; }
.ok { color: #1e7b34; }
.bad { color: #b3261e; }
.timeline-row { display: grid; grid-template-columns: 12rem 1fr; gap: .5rem; align-items: center; font-size: .8rem; margin: .2rem 0; }
.bar { height: .9rem; background: #2f6fdf; border-radius: 3px; min-width: 3px; }
.bar.reject, .bar.error { background: #b3261e; }
a.request { cursor: pointer; color: #2f6fdf; text-decoration: underline; }
`

export const PAGE_JS = `'use strict'
;(() => {
  const $ = (id) => document.getElementById(id)
  const fragment = new URLSearchParams(location.hash.slice(1))
  if (fragment.get('token')) {
    sessionStorage.setItem('portcullis-console-token', fragment.get('token'))
    history.replaceState(null, '', location.pathname)
  }
  const token = sessionStorage.getItem('portcullis-console-token')

  const signedOut = (why) => {
    $('data').hidden = true
    $('login-needed').hidden = false
    $('status').textContent = why
  }
  if (!token) return signedOut('no token')

  const api = async (path) => {
    const res = await fetch(path, { headers: { authorization: 'Bearer ' + token } })
    if (res.status === 401) {
      sessionStorage.removeItem('portcullis-console-token')
      signedOut('token refused')
      throw new Error('unauthorized')
    }
    const body = await res.json()
    if (!res.ok) throw new Error(body.detail || body.title || String(res.status))
    return body
  }

  const cell = (tr, text, num) => {
    const td = document.createElement('td')
    td.textContent = text
    if (num) td.className = 'num'
    tr.appendChild(td)
    return td
  }
  const fill = (id, rows, columns) => {
    const body = $(id).querySelector('tbody')
    body.replaceChildren()
    for (const r of rows) {
      const tr = document.createElement('tr')
      for (const [f, num] of columns) cell(tr, f(r), num)
      body.appendChild(tr)
    }
  }
  const ms = (s) => (s === undefined ? '-' : (s * 1000).toFixed(1))
  const n = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(1))

  const chart = (history) => {
    const svg = $('chart')
    svg.replaceChildren()
    if (history.length < 2) return
    const max = Math.max(1, ...history.map((h) => h.rps))
    const points = history
      .map((h, i) => (i * 600) / (history.length - 1) + ',' + (115 - (h.rps / max) * 105))
      .join(' ')
    const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline')
    line.setAttribute('points', points)
    svg.appendChild(line)
  }

  const render = (o) => {
    $('login-needed').hidden = true
    $('data').hidden = false
    $('status').textContent = 'live, updated ' + new Date().toLocaleTimeString()
    const s = o.summary
    if (s) {
      $('rps').textContent = n(s.rps)
      $('answered').textContent = String(s.routes.reduce((a, r) => a + r.total, 0))
      $('refused').textContent = String(s.refusals.reduce((a, r) => a + r.count, 0))
      $('audit-head').textContent = String(s.audit.head)
      fill('routes', s.routes, [[(r) => r.host], [(r) => r.route], [(r) => n(r.rps), 1], [(r) => ms(r.p50), 1], [(r) => ms(r.p99), 1], [(r) => String(r.total), 1]])
      fill('refusals', s.refusals, [[(r) => r.code], [(r) => r.stage], [(r) => String(r.count), 1]])
      fill('edge', s.edge, [[(r) => r.verdict], [(r) => r.code || '-'], [(r) => String(r.count), 1]])
      fill('stages', s.stages, [[(r) => r.stage], [(r) => String(r.processes), 1], [(r) => String(r.pending), 1], [(r) => String(r.ackPending), 1], [(r) => String(r.messages), 1]])
    }
    chart(o.history)
    fill('processes', o.processes, [[(p) => p.name], [(p) => p.component], [(p) => (p.pid ? String(p.pid) : '-'), 1], [(p) => p.state], [(p) => String(p.restarts), 1], [(p) => (p.metricsPort ? String(p.metricsPort) : '-'), 1]])
    fill('topology', o.topology, [[(t) => t.name], [(t) => t.url], [(t) => (t.jetstream ? 'yes' : 'no')], [(t) => t.streams.map((x) => x.name + ' (' + x.consumers.join(', ') + ')').join('; ') || '-']])
    const v = o.verify
    const verify = $('verify')
    if (v) {
      verify.textContent = v.ok ? 'ok, ' + v.rows + ' rows' : 'BROKEN'
      verify.className = 'big ' + (v.ok ? 'ok' : 'bad')
      verify.title = (v.problem || '') + ' at ' + v.at
    }
  }

  const timeline = async (requestId) => {
    const { events } = await api('/api/audit?request=' + encodeURIComponent(requestId))
    const box = $('timeline')
    box.replaceChildren()
    $('timeline-title').hidden = false
    $('timeline-title').textContent = 'Timeline of ' + requestId
    if (!events.length) return
    // In the order the stages started on the request (an event is written when its stage ends).
    events.sort((a, b) => Date.parse(a.time) - (a.latencyMs || 0) - (Date.parse(b.time) - (b.latencyMs || 0)))
    const times = events.map((e) => Date.parse(e.time))
    const start = Math.min(...times.map((t, i) => t - (events[i].latencyMs || 0)))
    const span = Math.max(1, Math.max(...times) - start)
    events.forEach((e, i) => {
      const row = document.createElement('div')
      row.className = 'timeline-row'
      const name = document.createElement('span')
      name.textContent = e.stage + ' ' + e.verdict + (e.code ? ' ' + e.code : '') + (e.latencyMs !== undefined ? ' ' + e.latencyMs + ' ms' : '')
      const track = document.createElement('div')
      const bar = document.createElement('div')
      bar.className = 'bar ' + e.verdict
      const from = times[i] - (e.latencyMs || 0) - start
      bar.style.marginLeft = ((from / span) * 100).toFixed(2) + '%'
      bar.style.width = (((e.latencyMs || 0) / span) * 100).toFixed(2) + '%'
      track.appendChild(bar)
      row.append(name, track)
      box.appendChild(row)
    })
  }

  $('search').addEventListener('submit', async (ev) => {
    ev.preventDefault()
    $('search-error').textContent = ''
    const q = new URLSearchParams()
    for (const k of ['request', 'since', 'until', 'verdict']) {
      const v = $('search-' + k).value.trim()
      if (v) q.set(k, v)
    }
    try {
      const { events } = await api('/api/audit?' + q)
      const body = $('events').querySelector('tbody')
      body.replaceChildren()
      for (const e of events) {
        const tr = document.createElement('tr')
        cell(tr, e.time)
        const link = document.createElement('a')
        link.className = 'request'
        link.textContent = e.requestId
        link.addEventListener('click', () => timeline(e.requestId).catch((x) => ($('search-error').textContent = x.message)))
        const td = cell(tr, '')
        td.appendChild(link)
        cell(tr, e.stage)
        cell(tr, e.verdict)
        cell(tr, e.code || '-')
        cell(tr, e.status === undefined ? '-' : String(e.status), 1)
        cell(tr, e.latencyMs === undefined ? '-' : String(e.latencyMs), 1)
        body.appendChild(tr)
      }
      if (q.get('request')) await timeline(q.get('request'))
    } catch (x) {
      if (x.message !== 'unauthorized') $('search-error').textContent = x.message
    }
  })

  const tick = async () => {
    try {
      render(await api('/api/overview'))
    } catch (x) {
      if (x.message !== 'unauthorized') $('status').textContent = 'error: ' + x.message
      else return
    }
    setTimeout(tick, 2000)
  }
  tick()
})()
`
