#!/usr/bin/env python3
"""Writes testdata/ouranos/openapi.json from testdata/ouranos/openapi.yaml (the same document as
JSON, so that Rust tests read it without a YAML parser). Run after replacing the YAML file:

    python3 tools/ouranos/openapi_json.py
"""
import json
import pathlib

import yaml

root = pathlib.Path(__file__).resolve().parents[2] / "testdata" / "ouranos"
document = yaml.safe_load((root / "openapi.yaml").read_text(encoding="utf-8"))
(root / "openapi.json").write_text(
    json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8"
)
