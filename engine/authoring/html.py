"""A self-contained HTML report of `assay stats`: one file, inline CSS and JavaScript, no
network — it opens from a mail attachment or a shared drive, and its columns sort on click."""

from __future__ import annotations

from html import escape

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: .3em .7em; border-bottom: 1px solid #ddd; text-align: left; }
th { cursor: pointer; background: #f4f4f4; user-select: none; }
th.asc::after { content: " \\25B2"; } th.desc::after { content: " \\25BC"; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.never td { color: #999; }
code { font-size: 90%; }
"""

_SCRIPT = """
document.querySelectorAll("table.sortable th").forEach(function (th, column) {
  th.addEventListener("click", function () {
    var table = th.closest("table"), body = table.tBodies[0];
    var asc = !th.classList.contains("asc");
    table.querySelectorAll("th").forEach(function (h) { h.classList.remove("asc", "desc"); });
    th.classList.add(asc ? "asc" : "desc");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[column].dataset.v || a.cells[column].textContent;
      var y = b.cells[column].dataset.v || b.cells[column].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""

COLUMNS = ("rule", "type", "source", "documents", "sentences", "facts", "overlaps", "conflicts",
           "overlaps with", "conflicts with")


def stats_html(stats, title: str = "assay stats") -> str:
    """The report as one HTML document."""
    rows = []
    for rule in stats.rules.values():
        data = rule.to_dict()
        cells = [
            f"<td><code>{escape(rule.rule)}</code></td>",
            f"<td>{escape(rule.type)}{'' if rule.emit else ' (helper)'}</td>",
            f"<td>{escape(f'{rule.file}:{rule.line}')}</td>",
            *(f'<td class="n">{data[k]}</td>' for k in ("documents", "sentences", "facts",
                                                         "overlaps", "conflicts")),
            f"<td>{escape(_counts(rule.overlap_with))}</td>",
            f"<td>{escape(_counts(rule.conflict_with))}</td>",
        ]
        css = ' class="never"' if not rule.facts else ""
        rows.append(f"<tr{css}>{''.join(cells)}</tr>")
    never = ", ".join(f"<code>{escape(r)}</code>" for r in stats.never_fired) or "none"
    errors = "".join(f"<li>{escape(s)}: {escape(e)}</li>" for s, e in stats.errors)
    header = "".join(f"<th>{escape(c)}</th>" for c in COLUMNS)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>{_STYLE}</style></head>
<body>
<h1>{escape(title)}</h1>
<p>{stats.documents} documents, {stats.sentences} sentences ({stats.covered} with facts),
{stats.facts} facts, {len(stats.errors)} unreadable documents. Click a column to sort.</p>
<table class="sortable" id="rules"><thead><tr>{header}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
<p>Never fired: {never}</p>
{f"<h2>Errors</h2><ul>{errors}</ul>" if errors else ""}
<script>{_SCRIPT}</script>
</body></html>
"""


def _counts(counter) -> str:
    return ", ".join(f"{rule} ({n})" for rule, n in sorted(counter.items()))
