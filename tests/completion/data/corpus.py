"""Training text for the test tokenizer: ordinary Python, fixed so that the tiny models are reproducible."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Record:
    name: str
    value: int = 0
    tags: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if not self.tags:
            return f"{self.name} = {self.value}"
        return f"{self.name} = {self.value} ({', '.join(self.tags)})"


class Store:
    """Records by name, saved as JSON."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: dict[str, Record] = {}

    def add(self, record: Record) -> None:
        if record.name in self.records:
            raise KeyError(f"duplicate record {record.name!r}")
        self.records[record.name] = record

    def get(self, name: str, default: Record | None = None) -> Record | None:
        return self.records.get(name, default)

    def total(self) -> int:
        total = 0
        for record in self.records.values():
            total += record.value
        return total

    def save(self) -> None:
        data = {name: {"value": r.value, "tags": r.tags} for name, r in self.records.items()}
        self.path.write_text(json.dumps(data, indent=2), encoding="utf-8")

    def load(self) -> None:
        if not self.path.exists():
            return
        data = json.loads(self.path.read_text(encoding="utf-8"))
        for name, fields in data.items():
            self.add(Record(name, fields["value"], list(fields["tags"])))


def parse_line(line: str) -> tuple[str, int]:
    name, _, value = line.partition("=")
    return name.strip(), int(value.strip() or 0)


def read_records(path: str) -> list[Record]:
    records = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, value = parse_line(line)
            records.append(Record(name, value))
    return records


def main(argv: list[str] | None = None) -> int:
    store = Store(Path(os.environ.get("STORE", "store.json")))
    store.load()
    for record in read_records(argv[0] if argv else "records.txt"):
        store.add(record)
    print(f"{len(store.records)} records, total {store.total()}")
    store.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
