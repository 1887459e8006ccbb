#!/usr/bin/env python3
"""Check the passport profiles in crates/passport/profiles/.

For every <code>.json profile (examples in examples/<code>.json):
  * keys and value formats of the profile and of each field entry;
  * the schema is a valid JSON Schema for its draft (draft-04 for battery, 2020-12 otherwise) and
    self-contained (only internal "#/..." references, all resolvable);
  * every field pointer names a property path of the schema ($ref, allOf/anyOf/oneOf, properties,
    items followed; "*" or an index for array items);
  * a pointer used by several fields has the same access level in all of them;
  * the example validates against the schema (with format checks where the checker supports them),
    every field pointer has at least one value in the example, and every value of the example lies
    under some field pointer (nothing falls back to default_access by accident);
  * battery only: attributes BatteryPass-1.2#1..#93 all covered, battery.json equal to what
    build_battery_profile.py generates, and each aspect of the example valid against the original
    Battery Pass v1.2 aspect schema in testdata/batterypass/.

Python 3 standard library + jsonschema.  Exit status 0 when everything passes.
Usage: python3 tools/profiles/check_profiles.py [-v]
"""

import json
import os
import re
import sys

import jsonschema

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROFILES = os.path.join(ROOT, "crates", "passport", "profiles")
EXAMPLES = os.path.join(PROFILES, "examples")
BATTERYPASS = os.path.join(ROOT, "testdata", "batterypass")

PROFILE_KEYS = ["code", "version", "industry", "name", "description", "granularities", "default_access",
                "schema", "fields", "summary"]
FIELD_REQUIRED = ["pointer", "access", "information", "label", "description"]
FIELD_OPTIONAL = ["unit", "regulation", "dynamic", "granularity", "attribute", "search"]
INDUSTRIES = ["batteries", "home_appliances", "office_equipment", "textiles", "buildings_civil", "plastics", "steel",
              "aluminium", "automobiles", "chemicals", "waste_management"]
GRANULARITIES = ["model", "batch", "item"]
ACCESS = ["public", "legitimate_interest", "authority", "owner"]
INFORMATION = ["identification", "composition", "environmental_value", "remaining_value", "waste",
               "recycled_material", "availability"]
SEARCH = ["material"]
DRAFT04 = "http://json-schema.org/draft-04/schema#"
DRAFT2020 = "https://json-schema.org/draft/2020-12/schema"
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
CODE = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
BATTERY_ASPECTS = {
    "GeneralProductInformation": "GeneralProductInformation-schema.json",
    "CarbonFootprint": "CarbonFootprintForBatteries-schema.json",
    "SupplyChainDueDiligence": "SupplyChainDueDiligence-schema.json",
    "MaterialComposition": "MaterialComposition-schema.json",
    "Circularity": "Circularity-schema.json",
    "PerformanceAndDurability": "PerformanceAndDurability-schema.json",
    "Labeling": "Labeling-schema.json",
}


class Report:
    def __init__(self):
        self.errors = []

    def err(self, where, msg):
        self.errors.append(f"{where}: {msg}")


def bilingual(v):
    return (isinstance(v, dict) and set(v) == {"ja", "en"} and all(isinstance(v[k], str) and v[k].strip() for k in v))


def parse_pointer(p):
    if p == "":
        return []
    if not p.startswith("/"):
        raise ValueError("must start with '/'")
    segs = p[1:].split("/")
    out = []
    for s in segs:
        if re.search(r"~(?![01])", s):
            raise ValueError(f"bad escape in segment {s!r}")
        out.append(s.replace("~1", "/").replace("~0", "~"))
    return out


def resolve_ref(root, ref):
    if not ref.startswith("#"):
        raise ValueError(f"external reference {ref!r}")
    node = root
    for seg in parse_pointer(ref[1:]):
        if isinstance(node, list):
            node = node[int(seg)]
        else:
            node = node[seg]
    return node


def all_refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield v
            else:
                yield from all_refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from all_refs(v)


def expand(root, schema, depth=0):
    """All subschemas that apply at this location: follow $ref and allOf/anyOf/oneOf."""
    if depth > 50 or not isinstance(schema, dict):
        return []
    out = [schema]
    if "$ref" in schema:
        out += expand(root, resolve_ref(root, schema["$ref"]), depth + 1)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            out += expand(root, sub, depth + 1)
    return out


def schema_has_path(root, segs):
    level = [root]
    for seg in segs:
        nxt = []
        for s in level:
            for e in expand(root, s):
                if seg == "*" or seg.isdigit():
                    items = e.get("items")
                    if isinstance(items, dict):
                        nxt.append(items)
                    prefix = e.get("prefixItems")
                    if isinstance(prefix, list):
                        nxt += prefix
                if seg in e.get("properties", {}):
                    nxt.append(e["properties"][seg])
        if not nxt:
            return False
        level = nxt
    return True


def values_at(data, segs):
    """Values in data at the pointer (a '*' segment matches every array index)."""
    level = [data]
    for seg in segs:
        nxt = []
        for v in level:
            if isinstance(v, dict) and seg in v:
                nxt.append(v[seg])
            elif isinstance(v, list):
                if seg == "*":
                    nxt += v
                elif seg.isdigit() and int(seg) < len(v):
                    nxt.append(v[int(seg)])
        level = nxt
    return level


def leaves(data, path=()):
    if isinstance(data, dict) and data:
        for k, v in data.items():
            yield from leaves(v, path + (k,))
    elif isinstance(data, list) and data:
        for i, v in enumerate(data):
            yield from leaves(v, path + (str(i),))
    else:
        yield path


def covers(pointer_segs, path):
    if len(pointer_segs) > len(path):
        return False
    return all(p == s or (p == "*" and s.isdigit()) for p, s in zip(pointer_segs, path))


def check_profile(path, rep, verbose):
    name = os.path.basename(path)
    with open(path, encoding="utf-8") as f:
        prof = json.load(f)
    code = prof.get("code")
    where = name
    # `indicators` (input templates, checked by `junkan_passport::inputs`) is optional.
    keys = [key for key in prof.keys() if key != "indicators"]
    if keys != PROFILE_KEYS and set(keys) != set(PROFILE_KEYS):
        rep.err(where, f"keys {sorted(keys)} != {PROFILE_KEYS}")
    if not isinstance(code, str) or not CODE.match(code):
        rep.err(where, f"bad code {code!r}")
    elif name != code + ".json":
        rep.err(where, f"file name does not match code {code!r}")
    if not isinstance(prof.get("version"), str) or not SEMVER.match(prof["version"]):
        rep.err(where, f"bad version {prof.get('version')!r}")
    if prof.get("industry") not in INDUSTRIES:
        rep.err(where, f"bad industry {prof.get('industry')!r}")
    for k in ("name", "description"):
        if not bilingual(prof.get(k)):
            rep.err(where, f"{k} must be {{ja, en}} with non-empty strings")
    g = prof.get("granularities")
    if not (isinstance(g, list) and g and len(set(g)) == len(g) and all(x in GRANULARITIES for x in g)):
        rep.err(where, f"bad granularities {g!r}")
    if prof.get("default_access") != "owner":
        rep.err(where, f"default_access should be 'owner', not {prof.get('default_access')!r}")

    schema = prof.get("schema")
    if not isinstance(schema, dict):
        rep.err(where, "schema missing")
        return prof
    want = DRAFT04 if code == "battery" else DRAFT2020
    if schema.get("$schema") != want:
        rep.err(where, f"$schema must be {want!r}, is {schema.get('$schema')!r}")
    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as e:
        rep.err(where, f"schema invalid for its draft: {e.message} at {list(e.absolute_path)}")
    for ref in set(all_refs(schema)):
        prefix = "#/definitions/" if code == "battery" else "#/$defs/"
        if not ref.startswith(prefix):
            rep.err(where, f"reference {ref!r} is not internal ({prefix}...)")
            continue
        try:
            resolve_ref(schema, ref)
        except (KeyError, IndexError, ValueError) as e:
            rep.err(where, f"reference {ref!r} does not resolve ({e})")
    if schema.get("type") != "object":
        rep.err(where, "schema type must be object")

    fields = prof.get("fields")
    if not isinstance(fields, list) or not fields:
        rep.err(where, "fields missing")
        return prof
    by_pointer = {}
    for i, fd in enumerate(fields):
        fw = f"{where} fields[{i}] {fd.get('pointer')!r}"
        missing = [k for k in FIELD_REQUIRED if k not in fd]
        unknown = [k for k in fd if k not in FIELD_REQUIRED + FIELD_OPTIONAL]
        if missing or unknown:
            rep.err(fw, f"missing keys {missing}, unknown keys {unknown}")
            continue
        try:
            segs = parse_pointer(fd["pointer"])
        except ValueError as e:
            rep.err(fw, f"bad pointer: {e}")
            continue
        if not segs:
            rep.err(fw, "pointer must not be the whole document")
        elif not schema_has_path(schema, segs):
            rep.err(fw, "pointer names no property path of the schema")
        if fd["access"] not in ACCESS:
            rep.err(fw, f"bad access {fd['access']!r}")
        if fd["information"] not in INFORMATION:
            rep.err(fw, f"bad information {fd['information']!r}")
        for k in ("label", "description"):
            if not bilingual(fd[k]):
                rep.err(fw, f"{k} must be {{ja, en}} with non-empty strings")
            elif not JAPANESE.search(fd[k]["ja"]):
                rep.err(fw, f"{k}.ja has no Japanese text")
        for k in ("unit", "regulation", "attribute"):
            if k in fd and not (isinstance(fd[k], str) and fd[k].strip()):
                rep.err(fw, f"{k} must be a non-empty string")
        if "dynamic" in fd and not isinstance(fd["dynamic"], bool):
            rep.err(fw, "dynamic must be a boolean")
        if "granularity" in fd and fd["granularity"] not in GRANULARITIES:
            rep.err(fw, f"bad granularity {fd['granularity']!r}")
        if "search" in fd:
            if fd["search"] not in SEARCH:
                rep.err(fw, f"bad search {fd['search']!r}")
            if fd["access"] != "public":
                rep.err(fw, "search only on public fields")
        prev = by_pointer.setdefault(fd["pointer"], fd["access"])
        if prev != fd["access"]:
            rep.err(fw, f"pointer also used with access {prev!r}")
    if not any(fd.get("search") == "material" for fd in fields):
        rep.err(where, "no public field with search: material")
    for top in schema.get("properties", {}):
        if not any(p == "/" + top or p.startswith("/" + top + "/") for p in by_pointer):
            rep.err(where, f"top-level property {top!r} has no field entry")

    ex_path = os.path.join(EXAMPLES, name)
    if not os.path.exists(ex_path):
        rep.err(where, "example missing")
        return prof
    with open(ex_path, encoding="utf-8") as f:
        example = json.load(f)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    for e in sorted(validator.iter_errors(example), key=lambda e: list(e.absolute_path)):
        rep.err(f"examples/{name}", f"{e.message[:200]} at /{'/'.join(map(str, e.absolute_path))}")
    pointer_segs = {p: parse_pointer(p) for p in by_pointer}
    for p, segs in pointer_segs.items():
        if not values_at(example, segs):
            rep.err(f"examples/{name}", f"no value at field pointer {p}")
    uncovered = [path for path in leaves(example) if not any(covers(s, path) for s in pointer_segs.values())]
    for path in uncovered:
        rep.err(f"examples/{name}", f"value at /{'/'.join(path)} is under no field (would fall back to default_access)")

    if code == "battery":
        check_battery(prof, example, rep)
    if verbose:
        print(f"  {name}: {len(fields)} fields, {len(by_pointer)} pointers")
    return prof


def check_battery(prof, example, rep):
    nums = set()
    for fd in prof["fields"]:
        a = fd.get("attribute")
        if a:
            m = re.match(r"^BatteryPass-1\.2#(\d+)$", a)
            if not m:
                rep.err("battery.json", f"bad attribute {a!r}")
            else:
                nums.add(int(m.group(1)))
    missing = sorted(set(range(1, 94)) - nums)
    if missing:
        rep.err("battery.json", f"Battery Pass attributes without a field: {missing}")
    extra = sorted(nums - set(range(1, 94)))
    if extra:
        rep.err("battery.json", f"unknown Battery Pass attribute numbers: {extra}")
    # the committed profile is what the generator produces
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import build_battery_profile as b
    generated = {"schema": b.build_schema(), "fields": b.build_fields(b.read_longlist())}
    if generated["schema"] != prof["schema"] or generated["fields"] != prof["fields"]:
        rep.err("battery.json", "differs from build_battery_profile.py output; re-run the generator")
    # each aspect against the original Battery Pass v1.2 schema (no meta-schema check: Circularity's
    # RecycledMaterial enum repeats its members, which draft-04 disallows, but validation works)
    for aspect, fname in BATTERY_ASPECTS.items():
        with open(os.path.join(BATTERYPASS, fname), encoding="utf-8") as f:
            original = json.load(f)
        v = jsonschema.Draft4Validator(original, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
        if aspect not in example:
            rep.err("examples/battery.json", f"aspect {aspect} missing")
            continue
        for e in v.iter_errors(example[aspect]):
            rep.err(f"examples/battery.json {aspect} vs {fname}",
                    f"{e.message[:200]} at /{'/'.join(map(str, e.absolute_path))}")


def main():
    verbose = "-v" in sys.argv[1:]
    rep = Report()
    names = sorted(n for n in os.listdir(PROFILES) if n.endswith(".json"))
    if not names:
        print("no profiles found", file=sys.stderr)
        return 1
    for n in names:
        check_profile(os.path.join(PROFILES, n), rep, verbose)
    examples = sorted(n for n in os.listdir(EXAMPLES) if n.endswith(".json"))
    for n in examples:
        if n not in names:
            rep.err(f"examples/{n}", "example without a profile")
    if rep.errors:
        for e in rep.errors:
            print("FAIL " + e)
        print(f"{len(rep.errors)} problem(s) in {len(names)} profile(s)")
        return 1
    print(f"OK: {len(names)} profile(s): {', '.join(n[:-5] for n in names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
