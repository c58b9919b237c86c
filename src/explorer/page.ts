// The explorer's page shell and style. Static text with no value from the ledger in it: the
// script (web/main.ts, compiled to /web/main.js) fills the page with text nodes only.

export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fmwk-ledger explorer</title>
<link rel="stylesheet" href="/style.css">
<script type="module" src="/web/main.js"></script>
</head>
<body>
<header>
  <h1>fmwk-ledger explorer</h1>
  <span class="tip">tip <span id="tip" data-testid="tip">…</span></span>
  <form id="search" role="search" data-testid="search">
    <input name="q" type="search" maxlength="1024" data-testid="search-q" placeholder="sequence, sha256:…, event id or stream id" aria-label="search by sequence, hash, event id or stream id" autocomplete="off" spellcheck="false">
    <button type="submit" data-testid="search-run">Search</button>
  </form>
  <span class="readonly">read-only</span>
</header>
<main>
  <section id="search-panel" aria-labelledby="search-title" hidden>
    <h2 id="search-title">Search</h2>
    <p id="search-status" data-testid="search-status" class="status"></p>
    <ul id="search-results" data-testid="search-results"></ul>
  </section>
  <section id="stream-panel" aria-labelledby="stream-title" hidden>
    <h2 id="stream-title">Stream <span id="stream-id" data-testid="stream-id"></span></h2>
    <table data-testid="stream">
      <thead><tr><th>version</th><th>seq</th><th>time (UTC)</th><th>type</th><th>hash</th></tr></thead>
      <tbody id="stream-rows"></tbody>
    </table>
    <nav class="pager">
      <button id="stream-prev" data-testid="stream-prev" type="button" disabled>Previous page</button>
      <button id="stream-next" data-testid="stream-next" type="button" disabled>Next page</button>
      <span id="stream-info" data-testid="stream-info"></span>
    </nav>
  </section>
  <section id="timeline-panel" aria-labelledby="timeline-title">
    <h2 id="timeline-title">Timeline</h2>
    <form id="filters" data-testid="filters">
      <label>type <input name="type" data-testid="filter-type" placeholder="any" autocomplete="off"></label>
      <label>actor <select name="actor" data-testid="filter-actor">
        <option value="">any</option><option>system</option><option>operator</option><option>agent</option>
      </select></label>
      <label>since <input name="since" type="datetime-local" step="1" data-testid="filter-since"></label>
      <label>until <input name="until" type="datetime-local" step="1" data-testid="filter-until"></label>
      <button type="submit" data-testid="filter-apply">Apply</button>
    </form>
    <table data-testid="timeline">
      <thead><tr><th>seq</th><th>time (UTC)</th><th>type</th><th>actor</th><th>hash</th></tr></thead>
      <tbody id="timeline-rows"></tbody>
    </table>
    <nav class="pager">
      <button id="page-first" data-testid="page-first" type="button">First</button>
      <button id="page-prev" data-testid="page-prev" type="button">Previous page</button>
      <button id="page-next" data-testid="page-next" type="button">Next page</button>
      <span id="page-info" data-testid="page-info"></span>
    </nav>
  </section>
  <section id="event-panel" aria-labelledby="event-title">
    <h2 id="event-title">Event <span id="event-seq" data-testid="event-seq"></span></h2>
    <div id="event-links" class="links">
      <button id="event-prev" data-testid="event-prev" type="button" disabled>← previous</button>
      <button id="event-next" data-testid="event-next" type="button" disabled>next →</button>
    </div>
    <dl id="event-hashes" data-testid="event-hashes"></dl>
    <pre id="event-json" data-testid="event-json">Choose an event in the timeline.</pre>
    <button id="event-proof" data-testid="event-proof" type="button" disabled>Inclusion proof</button>
    <pre id="proof-json" data-testid="proof-json"></pre>
  </section>
  <section id="verify-panel" aria-labelledby="verify-title">
    <h2 id="verify-title">Verification</h2>
    <button id="verify-run" data-testid="verify-run" type="button">Verify the chain</button>
    <progress id="verify-progress" data-testid="verify-progress" max="1" value="0"></progress>
    <p id="verify-status" data-testid="verify-status" class="status">not run</p>
  </section>
  <section id="checkpoint-panel" aria-labelledby="checkpoint-title">
    <h2 id="checkpoint-title">Latest checkpoint</h2>
    <p id="checkpoint-status" data-testid="checkpoint-status" class="status">…</p>
    <div id="checkpoint-cosignatures" data-testid="checkpoint-cosignatures"></div>
    <pre id="checkpoint-note" data-testid="checkpoint-note"></pre>
    <h3>Earlier checkpoints</h3>
    <div id="earlier-checkpoints" data-testid="earlier-checkpoints"></div>
    <div id="consistency-result" data-testid="consistency-result" class="status"></div>
  </section>
  <section id="state-panel" aria-labelledby="state-title">
    <h2 id="state-title">State at a sequence</h2>
    <form id="state-form" data-testid="state-form">
      <label>after event <input name="seq" type="number" min="0" step="1" required data-testid="state-seq"></label>
      <button type="submit" data-testid="state-run">Show state</button>
    </form>
    <pre id="state-json" data-testid="state-json"></pre>
  </section>
</main>
</body>
</html>
`;

export const STYLE_CSS = `:root { font-family: system-ui, sans-serif; font-size: 14px; color: #1d2330; background: #f6f7f9; }
body { margin: 0; }
header { display: flex; gap: 1.5rem; align-items: baseline; padding: .6rem 1rem; background: #1d2330; color: #f6f7f9; }
header h1 { font-size: 1.1rem; margin: 0; }
header form { margin: 0; flex: 1 1 24rem; max-width: 40rem; }
header input[type=search] { flex: 1; min-width: 12rem; font-family: ui-monospace, monospace; }
#search-panel, #stream-panel, #checkpoint-panel { grid-column: 1 / -1; }
#earlier-checkpoints td { white-space: normal; overflow-wrap: anywhere; max-width: none; vertical-align: top; }
#consistency-result pre { color: #1d2330; font-weight: 400; }
h3 { font-size: .9rem; margin: .8rem 0 .3rem; }
ul { margin: .3rem 0; padding-left: 1.2rem; }
li { margin: .15rem 0; overflow-wrap: anywhere; }
li.unknown { color: #6b5900; }
button.link { margin-left: .3rem; }
.readonly { font-size: .8rem; border: 1px solid #8a93a6; border-radius: 3px; padding: 0 .4rem; }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1rem; padding: 1rem; }
section { background: #fff; border: 1px solid #d8dce3; border-radius: 4px; padding: .6rem .8rem; min-width: 0; }
h2 { font-size: 1rem; margin: 0 0 .5rem; }
form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-bottom: .5rem; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .2rem .4rem; border-bottom: 1px solid #eceef2; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 16rem; }
tbody tr { cursor: pointer; }
tbody tr:hover { background: #eef3ff; }
tr.selected { background: #dbe6ff; }
tr.broken, tr.broken:hover { background: #ffd9d9; color: #8a0000; font-weight: 600; }
.hash { font-family: ui-monospace, monospace; font-size: .85em; }
pre { background: #f1f3f6; padding: .5rem; overflow: auto; max-height: 24rem; white-space: pre-wrap; word-break: break-all; margin: .4rem 0 0; }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .2rem .6rem; margin: .4rem 0; }
dt { color: #5b6475; } dd { margin: 0; font-family: ui-monospace, monospace; font-size: .85em; word-break: break-all; }
.ok { color: #0a6b2c; } .bad { color: #a00000; font-weight: 600; }
#event-panel.broken { border: 2px solid #c00000; }
.status { margin: .4rem 0 0; overflow-wrap: anywhere; }
progress { width: 12rem; vertical-align: middle; }
.pager { display: flex; gap: .5rem; align-items: center; margin-top: .5rem; }
`;
