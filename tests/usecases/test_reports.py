"""Tests for core.usecases.reports' table renderers (pandas): missing values, percentages, integers, escaping."""

import csv
import io
import re

from core.usecases import reports

ROWS = [{"run": "a|b <x>", "accuracy": 0.5247, "correct": 53, "n": 1000, "seed": None, "f1": 0.123456},
        {"run": "c", "accuracy": None, "correct": 59, "n": 101, "seed": 3, "extra": "dropped"}]
COLUMNS = {"run": "run", "accuracy": "accuracy", "correct": "correct", "n": "test clips", "seed": "seed", "f1": "F1"}


def test_markdown_table_formats_and_escapes():
    md = reports.markdown_table(ROWS, COLUMNS, percent=("accuracy",))
    lines = md.splitlines()
    assert len(lines) == 4 and re.match(r"\| run +\| +accuracy \| +correct \| +test clips \| +seed \| +F1 \|", lines[0])
    cells = [[c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines[2:]]
    assert cells[0] == ["a\\|b <x>", "52.5%", "53", "1000", "–", "0.123"]
    assert cells[1] == ["c", "–", "59", "101", "3", "–"]


def test_html_table_formats_and_escapes():
    page = reports.html_table(ROWS, COLUMNS, percent=("accuracy",))
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page)
    assert cells == ["a|b &lt;x&gt;", "52.5%", "53", "1000", "–", "0.123", "c", "–", "59", "101", "3", "–"]
    assert re.findall(r"<th[^>]*>(.*?)</th>", page) == list(COLUMNS.values())


def test_csv_table_keeps_exact_values_and_columns():
    rows = list(csv.DictReader(io.StringIO(reports.csv_table(ROWS, list(COLUMNS)))))
    assert list(rows[0]) == list(COLUMNS)
    assert rows[0] == {"run": "a|b <x>", "accuracy": "0.5247", "correct": "53", "n": "1000", "seed": "",
                       "f1": "0.123456"}
    assert rows[1]["accuracy"] == "" and rows[1]["seed"] == "3"
