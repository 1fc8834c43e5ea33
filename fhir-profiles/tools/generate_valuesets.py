#!/usr/bin/env python3
"""Regenerate fhir-profiles/valuesets/*.json from the clinical code lists.

Usage: python3 fhir-profiles/tools/generate_valuesets.py PATH/TO/clinical

PATH/TO/clinical is the folder holding REFERENCE.md, valuesets.json and codes/.
added_codes.json beside this script adds the codes of the second-edition
safety rules, each with its own verification status and sources.
Every ValueSet records the verification status and sources of each code in a
designation, so a reviewer can trace any code back to REFERENCE.md.
Codes marked UNVERIFIED are left out: those concepts are matched by text.
"""
import csv
import json
import os
import sys

BASE = "https://ssc-myositis-cds.example.org/fhir"
VERSION = "2026.11.0"
DATE = "2026-11-24"
PROVENANCE = BASE + "/CodeSystem/code-provenance"
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


def write(out, vs):
    path = os.path.join(out, vs["id"] + ".json")
    with open(path, "w") as f:
        json.dump(vs, f, indent=1, ensure_ascii=False)
        f.write("\n")


def main(clinical):
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "valuesets")
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
                            "prefix; is-a on SNOMED CT matches the listed concept (no descendant expansion "
                            "without a terminology server).",
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
