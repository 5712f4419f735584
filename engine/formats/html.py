"""One self-contained HTML page for auditors: decision, release, every control with a status
filter, the evidence with its digests, waivers and the signature status.

Everything is inline and a Content-Security-Policy allows only the page's own style and
script (by hash) and no network at all, so the file opens offline and makes no requests.
Every value from the report is escaped: messages quote evidence, which is untrusted.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from typing import Any

from gatecheck.engine.formats._common import (
    DECISION_TEXT,
    STATUS_LABEL,
    STATUS_ORDER,
    auth_approvals,
    auth_evidence,
    authenticity,
    authenticity_summary,
    config_sources,
    control_doc,
    findings,
    ordered_results,
    release_label,
    value_text,
    weakened,
    weakened_subject,
    weakened_title,
)

_CSS = """
:root{--fail:#b42318;--warn:#b54708;--pass:#067647;--waived:#175cd3;--na:#667085;--ink:#101828;--line:#d0d5dd}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;background:#f9fafb}
header{padding:20px 28px;background:#fff;border-bottom:1px solid var(--line)}
main{padding:8px 28px 40px}
h1{font-size:20px;margin:0 0 6px}
h2{font-size:16px;margin:28px 0 8px}
.decision{display:inline-block;padding:3px 12px;border-radius:4px;color:#fff;font-weight:700;letter-spacing:.04em}
.d-pass{background:var(--pass)}.d-fail,.d-rollback,.d-error{background:var(--fail)}
.cards{display:flex;gap:10px;flex-wrap:wrap;margin-top:12px}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:92px}
.card b{display:block;font-size:20px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line)}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
th{background:#f2f4f7;font-weight:600}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dt{font-weight:600}dd{margin:0}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.status{font-weight:700;white-space:nowrap}
td.id code{white-space:nowrap;word-break:normal}
.s-fail{color:var(--fail)}.s-warn{color:var(--warn)}.s-pass{color:var(--pass)}.s-waived{color:var(--waived)}.s-not_applicable{color:var(--na)}
ul.findings{margin:0;padding-left:18px}
ul.refs{margin:2px 0 4px;padding-left:16px;color:#475467}
.fix{margin-top:4px;color:#344054}
.filters{display:flex;gap:12px;align-items:center;margin:8px 0}
.error{background:#fef3f2;border:1px solid var(--fail);padding:10px 14px;border-radius:6px}
.weakened{background:#fffaeb;border:2px solid var(--warn);padding:10px 14px;border-radius:6px;margin-top:12px}
.weakened h2{margin-top:0;color:var(--warn)}
.unauth{color:var(--fail);font-weight:600}
tr[hidden]{display:none}
@media print{.filters{display:none}tr[hidden]{display:table-row}}
"""

_JS = """
(function () {
  var select = document.getElementById("status-filter");
  var search = document.getElementById("search");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#controls tbody tr"));
  var shown = document.getElementById("shown");
  function apply() {
    var status = select.value, text = search.value.trim().toLowerCase(), n = 0;
    rows.forEach(function (row) {
      var ok = (status === "all" || row.getAttribute("data-status") === status) &&
        (!text || row.textContent.toLowerCase().indexOf(text) >= 0);
      row.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
  }
  select.addEventListener("change", apply);
  search.addEventListener("input", apply);
  function fromLink() {
    var wanted = /(?:^#|&)status=([a-z_]+)/.exec(window.location.hash);
    if (wanted && select.querySelector('option[value="' + wanted[1] + '"]')) {
      select.value = wanted[1];
    }
    apply();
  }
  window.addEventListener("hashchange", fromLink);
  fromLink();
})();
"""


def _hash(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode()


def content_security_policy(style: str, script: str | None = None) -> str:
    """Only the page's own inline style (and script) may run, matched by hash; nothing is
    fetched, so a page opened from a report archive cannot leak or load anything."""
    scripts = f"'{_hash(script)}'" if script is not None else "'none'"
    return (
        f"default-src 'none'; style-src '{_hash(style)}'; script-src {scripts}; "
        "img-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'"
    )


CSP = content_security_policy(_CSS, _JS)


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def page_head(title: str, style: str, script: str | None = None) -> str:
    """The opening of every gatecheck HTML page, up to and including ``</head>``."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_e(content_security_policy(style, script))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{_e(title)}</title>
<style>{style}</style>
</head>
"""


def _code(value: Any) -> str:
    return f"<code>{_e(value)}</code>" if value not in (None, "") else "-"


def _dl(rows: list[tuple[str, str]]) -> str:
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def _table(headers: list[str], rows: list[list[str]], table_id: str = "") -> str:
    attr = f' id="{table_id}"' if table_id else ""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _release(report: dict[str, Any]) -> str:
    release = report.get("release") or {}
    if not release:
        return "<p>No release manifest was read.</p>"
    facts = _dl(
        [
            ("Name", _e(release.get("name"))),
            ("Version", _e(release.get("version"))),
            ("Class", _e(release.get("class") or "-")),
            ("Risk", _e(release.get("risk") or "-")),
            ("Change record", _e(release.get("change_id") or "-")),
        ]
    )
    artifacts = [
        [_e(a.get("name")), _e(a.get("version")), _code(a.get("digest"))]
        for a in release.get("artifacts") or []
    ]
    table = _table(["Artifact", "Version", "Digest"], artifacts) if artifacts else ""
    return facts + table


def _signature(report: dict[str, Any]) -> tuple[str, str]:
    signature = report.get("signature")
    if not signature:
        return ("Signature", "not signed (this page shows the report as evaluated)")
    if isinstance(signature, dict):
        parts = [
            f"{_e(k)}: {_e(v)}" for k, v in signature.items() if not isinstance(v, dict | list)
        ]
        return ("Signature", "; ".join(parts) or _e(signature))
    return ("Signature", _e(signature))


def _provenance(report: dict[str, Any]) -> str:
    engine = report.get("engine") or {}
    label, value = _signature(report)
    return _dl(
        [
            ("Stage", _e(report.get("stage"))),
            ("Effective time", _e(report.get("effective_time"))),
            ("Report created", _e(report.get("created_at"))),
            ("Bundle digest", _code(report.get("bundle_digest"))),
            ("Policy digest", _code(report.get("policy_digest"))),
            (
                "Engine",
                _e(
                    f"{engine.get('backend')} (OPA {engine.get('opa_version')}) {engine.get('detail', '')}"
                ),
            ),
            ("gatecheck", _e(report.get("gatecheck_version"))),
            ("Report type", _e(report.get("report_type"))),
            (label, value),
        ]
    )


def _findings_cell(result: dict[str, Any], catalog: dict[str, dict[str, Any]] | None) -> str:
    items = []
    for kind, message, refs in findings(result):
        label = "waived: " if kind == "waived" else ""
        ref_items = "".join(
            f"<li><code>{_e(r.get('path'))}</code>"
            + (f" <code>{_e(r.get('pointer'))}</code>" if r.get("pointer") else "")
            + "</li>"
            for r in refs
        )
        refs_html = f'<ul class="refs">{ref_items}</ul>' if ref_items else ""
        items.append(f"<li>{_e(label)}{_e(message)}{refs_html}</li>")
    out = f'<ul class="findings">{"".join(items)}</ul>' if items else ""
    remediation = control_doc(result, catalog)["remediation"]
    if remediation and result["status"] in ("fail", "warn"):
        out += f'<div class="fix"><b>Fix:</b> {_e(" ".join(remediation.split()))}</div>'
    waiver = next((w.get("waiver") for w in result.get("waived") or [] if w.get("waiver")), None)
    if waiver:
        out += f'<div class="fix"><b>Waiver:</b> {_e(waiver)}</div>'
    return out or "-"


def _controls(report: dict[str, Any], catalog: dict[str, dict[str, Any]] | None) -> str:
    results = ordered_results(report)
    rows = []
    for r in results:
        status = r["status"]
        rows.append(
            f'<tr data-status="{_e(status)}" data-control="{_e(r["control"])}">'
            f'<td class="status s-{_e(status)}">{_e(STATUS_LABEL.get(status, status))}</td>'
            f'<td class="id"><code>{_e(r["control"])}</code></td><td>{_e(r["title"])}</td>'
            f"<td>{_e(r['severity'])}</td><td>{_e(r.get('enforcement'))}</td>"
            f"<td>{_findings_cell(r, catalog)}</td></tr>"
        )
    options = '<option value="all">all</option>' + "".join(
        f'<option value="{s}">{_e(STATUS_LABEL[s].lower())}</option>' for s in STATUS_ORDER
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("Status", "Control", "Title", "Severity", "Enforcement", "Findings")
    )
    return (
        '<div class="filters"><label>Status <select id="status-filter">'
        f"{options}</select></label>"
        '<label>Search <input id="search" type="search" placeholder="control, text, path"></label>'
        f'<span>showing <b id="shown">{len(results)}</b> of {len(results)}</span></div>'
        f'<table id="controls"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _evidence(report: dict[str, Any]) -> str:
    entries = (report.get("bundle") or {}).get("evidence") or []
    if not entries:
        return "<p>No evidence recorded.</p>"
    rows = [
        [
            _code(e.get("path")),
            _e(e.get("name") or e.get("source_name") or ""),
            _e(e.get("type")),
            _e(e.get("format")),
            _code(e.get("sha256")),
        ]
        for e in entries
    ]
    return _table(["Bundle path", "Original name", "Type", "Format", "sha256"], rows)


def _policy_files(report: dict[str, Any]) -> str:
    files = (report.get("policy") or {}).get("files") or []
    if not files:
        return "<p>No policy files recorded.</p>"
    rows = [[_code(f.get("path")), _e(f.get("kind")), _code(f.get("sha256"))] for f in files]
    return _table(["File", "Kind", "sha256"], rows)


def _waivers(report: dict[str, Any]) -> str:
    waivers = report.get("waivers") or {}
    rows = []
    for state, key in (
        ("applied", "applied"),
        ("expired (ignored)", "expired"),
        ("unused", "unused"),
    ):
        for w in waivers.get(key) or []:
            scope = w.get("scope") or {}
            rows.append(
                [
                    _e(state),
                    _code(w.get("control")),
                    _e(", ".join(f"{k}={v}" for k, v in scope.items())),
                    _e(w.get("justification")),
                    _e(w.get("approver")),
                    _e(w.get("expires")),
                ]
            )
    if not rows:
        return "<p>No waivers apply to this release.</p>"
    return _table(["State", "Control", "Scope", "Justification", "Approver", "Expires"], rows)


def _weakening(report: dict[str, Any]) -> str:
    """A warning box at the top of the page: what the configuration relaxed, and from where."""
    out = ""
    items = weakened(report)
    if items:
        rows = [
            [
                f"<b>{_e(w.get('direction'))}</b>",
                _code(weakened_subject(w)),
                _code(value_text(w.get("value"), 400)),
                _code(value_text(w.get("default"), 400)),
                _e(w.get("source")),
            ]
            for w in items
        ]
        title = weakened_title(report)
        out += (
            f'<section class="weakened" id="weakened"><h2>{_e(title[0].upper() + title[1:])}</h2>'
            + _table(
                ["Direction", "Control / parameter", "Value", "Library default", "Source"], rows
            )
            + "</section>"
        )
    sources = config_sources(report)
    if sources:
        out += (
            '<p id="config-sources">Configuration from: '
            + "; ".join(_code(s) for s in sources)
            + "</p>"
        )
    return out


def _authenticity(report: dict[str, Any]) -> str:
    """Who vouched for each evidence file and each approval (empty for older reports)."""
    if authenticity(report) is None:
        return ""
    files = []
    for item in auth_evidence(report):
        if item.get("authenticated") is True:
            who = _e(item.get("producer") or "-")
            identity = _code(item.get("identity"))
        else:
            reason = f": {_e(item['reason'])}" if item.get("reason") else ""
            who, identity = f'<span class="unauth">unauthenticated</span>{reason}', "-"
        files.append(
            [
                _code(item.get("path")),
                _e(item.get("type") or "-"),
                _e(item.get("name") or "-"),
                who,
                identity,
                '<span class="unauth">excluded</span>' if item.get("excluded") else "counted",
            ]
        )
    approvals = []
    for item in auth_approvals(report):
        signed = item.get("authenticated") is True
        approvals.append(
            [
                _e(item.get("kind") or "-"),
                _e(item.get("decision") or "-"),
                _e(item.get("person") or "-"),
                _e(", ".join(map(str, item.get("roles") or [])) or "-"),
                _code(item.get("identity"))
                if signed and item.get("identity")
                else '<span class="unauth">unauthenticated</span>',
                _code(f"{item.get('path')}#{item.get('pointer') or ''}".rstrip("#")),
            ]
        )
    out = (
        f'<h2 id="authenticity">Who vouched for what</h2><p>{_e(authenticity_summary(report))}</p>'
    )
    if files:
        out += _table(
            ["Evidence file", "Type", "Name", "Vouched for by", "Identity", "Facts"], files
        )
    if approvals:
        out += "<h3>Approvals</h3>" + _table(
            ["Approval", "Decision", "Person", "Directory roles", "Identity", "File"], approvals
        )
    return out


def render(
    report: dict[str, Any], *, catalog: dict[str, dict[str, Any]] | None = None, **_: Any
) -> str:
    decision = str(report.get("decision"))
    summary = report.get("summary") or {}
    cards = "".join(
        f'<div class="card s-{k}"><b>{_e(summary.get(k, 0))}</b>{_e(STATUS_LABEL[k].lower())}</div>'
        for k in STATUS_ORDER
    )
    error = (
        f'<div class="error"><b>Evaluation error:</b> {_e(report.get("error"))}</div>'
        if decision == "error"
        else ""
    )
    disabled = report.get("disabled_controls") or []
    disabled_html = (
        f"<p>Off at this stage: {', '.join(_code(c) for c in disabled)}</p>" if disabled else ""
    )
    title = f"gatecheck {decision.upper()}: {release_label(report)} ({report.get('stage')})"
    return f"""{page_head(title, _CSS, _JS)}<body>
<header>
<h1>gatecheck compliance report: {_e(release_label(report))}</h1>
<span class="decision d-{_e(decision)}" id="decision">{_e(decision.upper())}</span>
<span>stage <b>{_e(report.get("stage"))}</b> at {_e(report.get("effective_time"))}</span>
<p>{_e(DECISION_TEXT.get(decision, ""))}{" Auto-approved (standard, low risk, pre-approved template)." if report.get("auto_approved") else ""}</p>
<div class="cards">{cards}</div>
</header>
<main>
{error}
{_weakening(report)}
<h2>Release</h2>
{_release(report)}
<h2>Decision record</h2>
{_provenance(report)}
<h2>Controls</h2>
{_controls(report, catalog)}
{disabled_html}
{_authenticity(report)}
<h2>Waivers</h2>
{_waivers(report)}
<h2>Evidence</h2>
{_evidence(report)}
<h2>Policy files</h2>
{_policy_files(report)}
</main>
<script>{_JS}</script>
</body>
</html>
"""
