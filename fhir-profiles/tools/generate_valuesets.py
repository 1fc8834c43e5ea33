#!/usr/bin/env python3
"""Regenerate fhir-profiles/valuesets/*.json from the clinical code lists.

Usage: python3 fhir-profiles/tools/generate_valuesets.py PATH/TO/clinical

PATH/TO/clinical is the folder holding REFERENCE.md, valuesets.json and codes/.
added_codes.json beside this script adds the codes of the second-edition
safety rules, each with its own verification status and sources.
Every ValueSet records the verification status and sources of each code in a
designation, so a reviewer can trace any code back to REFERENCE.md.
Codes marked UNVERIFIED are left out: those concepts are matched by text.

Each ValueSet also gets an R4 expansion: the curated codes (the compose, with
ICD-10-CM is-a and regex filters expanded to the leaf codes of
codes/icd10cm_expanded.json) plus the members of published value sets that
fit the concept (fhir-profiles/sources/*.json, extracted by
extract_sources.py; PUBLISHED below says which set feeds which concept).
Every expansion code names where it came from in a designation ("curated", or
the published set's identifier and version); expansion.parameter lists the
sources and expansion.timestamp is the date expanded (EXPANDED).
"""
import csv
import json
import os
import sys

BASE = "https://ssc-myositis-cds.example.org/fhir"
VERSION = "2026.11.0"
DATE = "2026-11-24"
PROVENANCE = BASE + "/CodeSystem/code-provenance"
EXPANDED = "2026-12-04"
SOURCES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sources")
SYSTEMS = {
    "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "snomed": "http://snomed.info/sct",
    "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
    "loinc": "http://loinc.org",
}


def provenance(verification, sources):
    text = verification or "n/a"
    if sources:
        text += ": " + sources.replace(";", "; ")
    return [{"use": {"system": PROVENANCE, "code": "verification"}, "value": text}]


def valueset(vid, title, description, includes):
    name = "".join(p.capitalize() for p in vid.replace("-", " ").split())
    return {
        "resourceType": "ValueSet",
        "id": vid,
        "url": f"{BASE}/ValueSet/{vid}",
        "version": VERSION,
        "name": name,
        "title": title,
        "status": "active",
        "experimental": False,
        "date": DATE,
        "publisher": "ssc-myositis-cds",
        "description": description,
        "compose": {"include": includes},
    }


# Which published value sets feed which ValueSet, and which of their members:
# None = every member; a set = those codes; a function = members whose
# display (lower case) it accepts. A SNOMED CT concept in our lists stands for
# itself and its descendants: the published expansions supply the descendants.
def _not(*words):
    return lambda d: not any(w in d for w in words)


def _any(*words):
    return lambda d: any(w in d for w in words)


RAYNAUD_BRANCH = {"266261006", "356198000", "1208849004", "733146008"}
PUBLISHED = {
    "condition-pregnancy": [("2.16.840.1.113883.3.526.3.378", None),
                            ("2.16.840.1.113883.3.3157.4055", None)],
    "condition-diabetes": [("2.16.840.1.113883.3.464.1003.103.12.1001", None)],
    "condition-ckd-severe": [("2.16.840.1.113883.3.526.3.353", None),
                             ("2.16.840.1.113883.3.526.3.1002", None)],
    "condition-ckd": [("2.16.840.1.113883.3.526.3.353", None),
                      ("2.16.840.1.113883.3.526.3.1002", None)],
    # Members that say the mother is lactating or breastfeeding now; not the
    # intention to breastfeed, suppressed lactation or engorgement in pregnancy.
    "condition-breastfeeding": [("2.16.840.1.113762.1.4.1047.73",
                                 _not("intention", "suppressed", "engorgement"))],
    "condition-liver": [("2.16.840.1.113883.3.464.1003.199.12.1035", None),
                        ("2.16.840.1.113883.3.464.1003.110.12.1025", _any("chronic", "carrier"))],
    "condition-hepatitis-b": [("2.16.840.1.113883.3.464.1003.110.12.1025", _any("chronic", "carrier"))],
    "condition-cirrhosis": [("2.16.840.1.113883.3.464.1003.199.12.1035",
                             lambda d: "cirrhosis" in d and "without cirrhosis" not in d)],
    "condition-osteoporosis": [("2.16.840.1.113883.3.464.1003.113.12.1038", None),
                               ("2.16.840.1.113762.1.4.1248.256", None)],
    "condition-glaucoma": [("2.16.840.1.113883.3.526.3.1423", None)],
    "condition-ssc": [("ohdsi-mmm-c07-h1", lambda d: True),
                      ("2.16.840.1.113762.1.4.1248.239", {"193252005"}),
                      ("2.16.840.1.113762.1.4.1029.311",
                       {"M34.0", "M34.1", "M34.81", "M34.82", "M34.83", "M34.89", "M34.9"})],
    "condition-raynaud": [("ohdsi-mmm-c07-h1", {"266261006", "356198000", "1208849004"})],
    "condition-ssc-myopathy": [("2.16.840.1.113762.1.4.1248.239", {"193252005", "M34.82"})],
    "condition-ssc-ild": [("2.16.840.1.113762.1.4.1029.311", {"M34.81"})],
    "condition-dermatomyositis": [
        ("2.16.840.1.113762.1.4.1248.239", {"296241000119107", "311671000119100"}),
        ("2.16.840.1.113762.1.4.1029.311", lambda d: "dermato" in d and "neoplastic" not in d)],
    "condition-polymyositis": [
        ("2.16.840.1.113762.1.4.1248.239", {"196136009", "866103007"}),
        ("2.16.840.1.113762.1.4.1029.311", lambda d: d.startswith("polymyositis"))],
    "condition-imnm": [("2.16.840.1.113762.1.4.1248.239", {"715863001", "G72.49"})],
    "condition-ibm-exclude": [("2.16.840.1.113762.1.4.1248.239", {"72315009", "1144926009", "G72.41"})],
}

_published = {}
_icd_leaves = []
_displays = {}


def load_sources(clinical):
    for name in sorted(os.listdir(SOURCES_DIR)):
        if name.endswith(".json"):
            src = json.load(open(os.path.join(SOURCES_DIR, name)))
            _published[src["id"]] = src
    leaves = set()
    for entry in json.load(open(os.path.join(clinical, "codes", "icd10cm_expanded.json"))).values():
        if isinstance(entry, dict):
            leaves.update(entry.get("leaf_codes", []))
    _icd_leaves.extend(sorted(leaves))
    with open(os.path.join(clinical, "codes", "conditions.csv")) as f:
        for row in csv.DictReader(f):
            _displays[(row["system"], row["code"])] = row["display"]


def source_label(src):
    if src["oid"]:
        return f"VSAC {src['oid']} {src['title']}, version {src['version']}, expanded {src['expanded']}"
    return f"{src['publisher']} {src['title']}, {src['version']}, expanded {src['expanded']}"


def _key(system, code):
    return system, code.replace(".", "").upper() if system == SYSTEMS["icd10cm"] else code


def expansion(vs):
    """The R4 expansion of a ValueSet: curated codes plus published members."""
    members = {}

    def add(system, code, display, origin):
        k = _key(system, code)
        m = members.setdefault(k, {"system": system, "code": code})
        if display and "display" not in m:
            m["display"] = display
        m.setdefault("_origins", [])
        if origin not in m["_origins"]:
            m["_origins"].append(origin)

    icd = SYSTEMS["icd10cm"]
    for inc in vs["compose"]["include"]:
        system = inc["system"]
        for c in inc.get("concept", []):
            add(system, c["code"], c.get("display"), "curated")
        for f in inc.get("filter", []):
            if f["op"] == "is-a" and system == icd:
                prefix = f["value"].replace(".", "")
                for leaf in _icd_leaves:
                    if leaf.replace(".", "").startswith(prefix):
                        add(system, leaf, None, "curated")
            elif f["op"] == "regex" and system == icd:
                import re
                pattern = re.compile("(?:" + f["value"] + ")$")
                for leaf in _icd_leaves:
                    if pattern.match(leaf.replace(".", "")):
                        add(system, leaf, None, "curated")
            else:
                add(system, f["value"], _displays.get((system, f["value"])), "curated")
    sources = []
    for sid, select in PUBLISHED.get(vs["id"], []):
        src = _published[sid]
        label = source_label(src)
        used = 0
        for c in src["codes"]:
            if select is None or (isinstance(select, set) and c["code"] in select) or (
                    callable(select) and select(c["display"].lower())):
                if vs["id"] == "condition-ssc" and sid.startswith("ohdsi") and c["code"] in RAYNAUD_BRANCH:
                    continue
                add(c["system"], c["code"], c["display"], label)
                used += 1
        if used:
            sources.append(f"{label} ({used} code{'s' if used != 1 else ''}; {src['obtained']})")
    contains = []
    for m in sorted(members.values(), key=lambda m: (m["system"], m["code"])):
        origins = m.pop("_origins")
        m["designation"] = [{"use": {"system": PROVENANCE, "code": "source"}, "value": o} for o in origins]
        contains.append(m)
    params = [{"name": "source", "valueString": "curated: the clinical code lists (REFERENCE.md 5)"}]
    params += [{"name": "source", "valueString": s} for s in sources]
    return {"timestamp": EXPANDED, "total": len(contains), "parameter": params, "contains": contains}


def write(out, vs):
    vs.pop("expansion", None)
    vs["expansion"] = expansion(vs)
    path = os.path.join(out, vs["id"] + ".json")
    # One line per expansion member keeps the large expansions readable in a diff.
    contains = vs["expansion"]["contains"]
    vs["expansion"]["contains"] = "@CONTAINS@"
    text = json.dumps(vs, indent=1, ensure_ascii=False)
    vs["expansion"]["contains"] = contains
    lines = ",\n   ".join(json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in contains)
    text = text.replace('"@CONTAINS@"', "[\n   " + lines + "\n  ]" if contains else "[]")
    with open(path, "w") as f:
        f.write(text + "\n")


def main(clinical):
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "valuesets")
    load_sources(clinical)
    data = json.load(open(os.path.join(clinical, "valuesets.json")))
    added = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "added_codes.json")))
    for section in ("medications", "conditions", "observations"):
        for key, entry in added[section].items():
            if key in data[section]:
                sys.exit(f"added_codes.json: {section}.{key} already exists")
            data[section][key] = entry
    sources = {}
    with open(os.path.join(clinical, "codes", "rxnorm_ingredients.csv")) as f:
        for row in csv.DictReader(f):
            sources[row["code"]] = row["sources"]
    with open(os.path.join(clinical, "codes", "rxnorm_products.csv")) as f:
        for row in csv.DictReader(f):
            sources[row["code"]] = row["sources"]
    cond_sources = {}
    with open(os.path.join(clinical, "codes", "conditions.csv")) as f:
        for row in csv.DictReader(f):
            cond_sources[(row["system"], row["code"])] = row["sources"]
    loinc_sources = {}
    with open(os.path.join(clinical, "codes", "loinc.csv")) as f:
        for row in csv.DictReader(f):
            loinc_sources[row["code"]] = row["sources"]

    for key, entry in data["medications"].items():
        concepts = []
        for ing in entry.get("ingredients", []):
            if ing["verification"] == "UNVERIFIED":
                continue
            concepts.append({"code": ing["code"], "display": ing["name"],
                             "designation": provenance(ing["verification"], sources.get(ing["code"], ing.get("sources", "")))})
        for p in entry.get("products", []):
            if p["verification"] == "UNVERIFIED":
                continue
            concepts.append({"code": p["code"], "display": p["name"],
                             "designation": provenance(p["verification"], sources.get(p["code"], ""))})
        vid = "medication-" + key.replace("_", "-")
        includes = [{"system": SYSTEMS["rxnorm"], "concept": concepts}] if concepts else []
        if not includes:
            # A ValueSet needs at least one include; an empty concept list is not valid FHIR.
            # Concepts without verified codes are recognised by text only (REFERENCE.md 5.2).
            continue
        write(out, valueset(vid, f"RxNorm codes: {key.replace('_', ' ')}",
                            "RxNorm ingredient and product codes (REFERENCE.md 5.1 and 5.3). "
                            "Products carry their RxNorm name, from which strength and dose form are read.",
                            includes))

    for key, rows in data["conditions"].items():
        by_system = {}
        filters = []
        for r in rows:
            system, code = r["system"], r["code"]
            # UNVERIFIED codes are matched by text; "(none)" marks a concept with no code in that system.
            if r["verification"] == "UNVERIFIED" or code.startswith("("):
                continue
            src = cond_sources.get((system, code), r.get("sources", ""))
            if code == "O00-O9A":
                filters.append({"system": system, "filter": [
                    {"property": "code", "op": "regex", "value": "O[0-9][0-9A-Z].*"}]})
            elif r["match"] in ("prefix", "descendants"):
                filters.append({"system": system, "filter": [
                    {"property": "concept", "op": "is-a", "value": code}]})
            else:
                by_system.setdefault(system, []).append(
                    {"code": code, "display": r["display"], "designation": provenance(r["verification"], src)})
        includes = [{"system": s, "concept": c} for s, c in by_system.items()] + filters
        vid = "condition-" + key.replace("_", "-")
        write(out, valueset(vid, f"Condition codes: {key.replace('_', ' ')}",
                            "SNOMED CT and ICD-10-CM codes (REFERENCE.md 5.4). is-a on ICD-10-CM matches by code "
                            "prefix; is-a on SNOMED CT matches the listed concept, and its descendants are the "
                            "expansion's members taken from published value sets (no terminology server).",
                            includes))

    # Diffuse cutaneous SSc is an SRC risk factor (REFERENCE.md 1.2): the SSc rows whose role names dcSSc.
    diffuse = [r for r in data["conditions"]["ssc"] if "dcSSc" in r["role"]]
    write(out, valueset("condition-ssc-diffuse", "Condition codes: diffuse cutaneous systemic sclerosis",
                        "SNOMED CT codes for diffuse cutaneous SSc, a scleroderma renal crisis risk factor "
                        "(REFERENCE.md 1.2 and 5.4).",
                        [{"system": diffuse[0]["system"], "concept": [
                            {"code": r["code"], "display": r["display"],
                             "designation": provenance(r["verification"], cond_sources.get((r["system"], r["code"]), ""))}
                            for r in diffuse]}]))

    for key, rows in data["observations"].items():
        if not isinstance(rows, list):
            continue
        concepts = []
        for r in rows:
            if r.get("verification") == "UNVERIFIED" or not r.get("code", "").strip() or r["code"].startswith("("):
                continue
            concepts.append({"code": r["code"], "display": r["display"],
                             "designation": provenance(r.get("verification", ""), loinc_sources.get(r["code"], r.get("sources", "")))})
        if not concepts:
            continue
        vid = "observation-" + key.replace("_", "-")
        write(out, valueset(vid, f"LOINC codes: {key.replace('_', ' ')}", "LOINC codes (REFERENCE.md 5.5).",
                            [{"system": SYSTEMS["loinc"], "concept": concepts}]))

    # Second-edition additions (POLICY.md "Data the rules may use"): each code
    # with the terminology it was checked against.
    extra_loinc = {
        "bp_panel": [("55284-4", "Blood pressure systolic and diastolic",
                      "LOINC 55284-4 (panel, components 8480-6 and 8462-4), POLICY.md second edition")],
        "bp_diastolic": [("8453-3", "Diastolic blood pressure--sitting",
                          "LOINC 8453-3 (sitting diastolic, pair of 8459-0), POLICY.md second edition")],
    }
    for key, rows in extra_loinc.items():
        path = os.path.join(out, "observation-" + key.replace("_", "-") + ".json")
        vs = json.load(open(path))
        concepts = vs["compose"]["include"][0]["concept"]
        for code, display, src in rows:
            if all(c["code"] != code for c in concepts):
                concepts.append({"code": code, "display": display, "designation": provenance("V1", src)})
        write(out, vs)

    # CKD stage 4-5 and dialysis count as eGFR < 30 (POLICY.md second edition, "Renal function"):
    # the stage 4-5 / ESRD / dialysis rows of the CKD code list, and ICD-10-CM Z49 (dialysis care).
    ckd = data["conditions"]["ckd"]
    severe_sct = [r for r in ckd if r["system"] == SYSTEMS["snomed"]
                  and any(k in r["display"].lower() for k in ("stage 4", "stage 5", "end stage", "end-stage", "dialysis"))
                  and r["verification"] != "UNVERIFIED" and not r["code"].startswith("(")]
    icd = SYSTEMS["icd10cm"]
    severe_icd = [("N18.4", "Chronic kidney disease, stage 4 (severe)"),
                  ("N18.5", "Chronic kidney disease, stage 5"),
                  ("N18.6", "End stage renal disease"),
                  ("Z99.2", "Dependence on renal dialysis")]
    includes = [{"system": SYSTEMS["snomed"], "concept": [
                    {"code": r["code"], "display": r["display"],
                     "designation": provenance(r["verification"], cond_sources.get((r["system"], r["code"]), ""))}
                    for r in severe_sct]}] if severe_sct else []
    includes.append({"system": icd, "concept": [
        {"code": c, "display": d, "designation": provenance("V1", "ICD-10-CM " + c + ", POLICY.md second edition")}
        for c, d in severe_icd]})
    includes.append({"system": icd, "filter": [{"property": "concept", "op": "is-a", "value": "Z49"}]})
    write(out, valueset("condition-ckd-severe", "Condition codes: CKD stage 4-5 or dialysis",
                        "SNOMED CT and ICD-10-CM codes of CKD stage 4-5, end-stage renal disease and dialysis, "
                        "which count as an eGFR below 30 whatever the laboratory says (REFERENCE.md 5.4; POLICY.md second edition).", includes))

    # Cirrhosis: the methotrexate order check is critical with it, a warning with other chronic
    # liver disease (POLICY.md second edition, "Liver"). The cirrhosis rows of the liver code list.
    liver = data["conditions"]["liver"]
    cirr_sct = [r for r in liver if r["system"] == SYSTEMS["snomed"] and r["verification"] != "UNVERIFIED"
                and "cirrhosis" in r["display"].lower()]
    includes = []
    concepts = [{"code": r["code"], "display": r["display"],
                 "designation": provenance(r["verification"], cond_sources.get((r["system"], r["code"]), ""))}
                for r in cirr_sct if r["match"] not in ("prefix", "descendants")]
    if concepts:
        includes.append({"system": SYSTEMS["snomed"], "concept": concepts})
    for r in cirr_sct:
        if r["match"] in ("prefix", "descendants"):
            includes.append({"system": SYSTEMS["snomed"], "filter": [{"property": "concept", "op": "is-a", "value": r["code"]}]})
    for code in ("K70.3", "K74.3", "K74.4", "K74.5", "K74.6"):
        includes.append({"system": icd, "filter": [{"property": "concept", "op": "is-a", "value": code}]})
    write(out, valueset("condition-cirrhosis", "Condition codes: cirrhosis of the liver",
                        "SNOMED CT and ICD-10-CM codes of liver cirrhosis (alcoholic K70.3, biliary K74.3-K74.5, "
                        "other and unspecified K74.6; REFERENCE.md 5.4; POLICY.md second edition).", includes))

    # Chronic hepatitis B known (POLICY third edition, "Hepatitis B known"): a
    # warning on immunosuppression, not "check hepatitis B". Chronic or carrier
    # states only; acute hepatitis B and immunity are not this.
    includes = [
        {"system": SYSTEMS["snomed"], "concept": [
            {"code": "61977001", "display": "Chronic type B viral hepatitis",
             "designation": provenance("V2", "SNOMED CT; already in the liver disease list")}]},
        {"system": SYSTEMS["snomed"], "filter": [{"property": "concept", "op": "is-a", "value": "61977001"}]},
    ]
    for code in ("B18.0", "B18.1", "Z22.51"):
        includes.append({"system": icd, "filter": [{"property": "concept", "op": "is-a", "value": code}]})
    write(out, valueset("condition-hepatitis-b", "Condition codes: chronic hepatitis B",
                        "SNOMED CT and ICD-10-CM codes of chronic hepatitis B and hepatitis B carriage "
                        "(B18.0, B18.1, Z22.51): hepatitis B reactivation risk with immunosuppression "
                        "(POLICY.md third edition, 'Hepatitis B known').", includes))

    systemic, local = [], []
    for r in data["routes"]:
        c = {"code": r["code"], "display": r["display"], "designation": provenance("route-codes", r["source"])}
        (systemic if r["gc_rule_class"].startswith("SYSTEMIC") else local).append(c)
    write(out, valueset("route-systemic", "Routes that count as systemic for glucocorticoid rules",
                        "SNOMED CT route codes (REFERENCE.md 2.2).", [{"system": SYSTEMS["snomed"], "concept": systemic}]))
    write(out, valueset("route-local", "Routes that do not count as systemic for glucocorticoid rules",
                        "SNOMED CT route codes (REFERENCE.md 2.2).", [{"system": SYSTEMS["snomed"], "concept": local}]))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
