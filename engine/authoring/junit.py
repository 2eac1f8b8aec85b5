"""JUnit XML for `assay test --junit`: CI servers show rule examples like any other tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from engine.authoring.testing import RunReport, failure_text


def junit_xml(report: RunReport) -> str:
    """One <testsuite> per rule or case file, one <testcase> per example or case."""
    root = ET.Element("testsuites", name="assay", tests=str(len(report.results)),
                      failures=str(report.failed), errors="0")
    for group in report.groups:
        suite = ET.SubElement(root, "testsuite", name=group.name, tests=str(len(group.results)),
                              failures=str(len(group.failed)), errors="0", skipped="0",
                              file=group.file)
        for result in group.results:
            case = ET.SubElement(suite, "testcase", classname=group.name, name=result.name,
                                 file=result.file, line=str(result.line))
            if not result.ok:
                failure = ET.SubElement(case, "failure", message=result.problems[0],
                                        type="ExampleFailure")
                failure.text = failure_text(result)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


def write_junit(report: RunReport, path: str | Path) -> None:
    Path(path).write_text(junit_xml(report) + "\n", encoding="utf-8")
