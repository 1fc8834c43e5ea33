#!/usr/bin/env python3
"""Extract the code lists of published value sets into fhir-profiles/sources/.

Usage:
  python3 fhir-profiles/tools/extract_sources.py vsac DIR COMMIT
      DIR holds VSAC ValueSet JSON files (valueset-<OID>.json) as the eCQM
      content repository cqframework/ecqm-content-qicore-2024 publishes them
      under input/vocabulary/valueset/external/, at git commit COMMIT.
  python3 fhir-profiles/tools/extract_sources.py ohdsi CSV COMMIT
      CSV is includedConcepts.csv of the OHDSI concept set "[C07][H1] Systemic
      Sclerosis" (ohdsi-studies/MindMeetsMachines, Materials/ConceptSets/
      0120-[C07][H1] Systemic Sclerosis/), at git commit COMMIT.

Only facts are kept: system, code, display of each expansion member, with the
identifier, version and expansion date of the set and where it was obtained.
generate_valuesets.py reads these files; the fetched files are not kept.
"""
import csv
import json
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sources")

# The VSAC value sets whose members feed one of our concepts (see PUBLISHED in
# generate_valuesets.py for which codes of each go where).
VSAC = [
    "2.16.840.1.113883.3.526.3.378",            # Pregnancy
    "2.16.840.1.113883.3.3157.4055",            # Pregnant State
    "2.16.840.1.113883.3.464.1003.103.12.1001", # Diabetes
    "2.16.840.1.113883.3.526.3.353",            # End Stage Renal Disease
    "2.16.840.1.113883.3.526.3.1002",           # Chronic Kidney Disease, Stage 5
    "2.16.840.1.113762.1.4.1047.73",            # Breastfeeding
    "2.16.840.1.113883.3.464.1003.199.12.1035", # Chronic Liver Disease
    "2.16.840.1.113883.3.464.1003.110.12.1025", # Hepatitis B
    "2.16.840.1.113883.3.464.1003.113.12.1038", # Osteoporosis Without Current Fracture
    "2.16.840.1.113762.1.4.1248.256",           # Osteoporosis
    "2.16.840.1.113883.3.526.3.1423",           # Glaucoma
    "2.16.840.1.113762.1.4.1248.239",           # Neuromuscular Disorder (myositis members)
    "2.16.840.1.113762.1.4.1029.311",           # Autoimmune Disease (SSc, DM, PM members)
]


def write(name, doc):
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


def vsac(folder, commit):
    for oid in VSAC:
        vs = json.load(open(os.path.join(folder, f"valueset-{oid}.json")))
        codes = sorted(
            ({"system": c["system"], "code": c["code"], "display": c.get("display", "")}
             for c in vs["expansion"]["contains"]),
            key=lambda c: (c["system"], c["code"]))
        write(oid, {
            "id": oid,
            "kind": "VSAC value set",
            "title": vs.get("title") or vs.get("name"),
            "oid": oid,
            "version": vs.get("version"),
            "expanded": vs["expansion"].get("timestamp", "")[:10],
            "publisher": vs.get("publisher", "NLM"),
            "obtained": "github.com/cqframework/ecqm-content-qicore-2024 "
                        f"input/vocabulary/valueset/external/valueset-{oid}.json at {commit}",
            "codes": codes,
        })


def ohdsi(path, commit):
    codes = []
    with open(path, encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            if row["vocabularyId"] != "SNOMED" or row["standardConcept"] != "S":
                continue
            codes.append({"system": "http://snomed.info/sct", "code": row["conceptCode"],
                          "display": row["conceptName"]})
    codes.sort(key=lambda c: c["code"])
    write("ohdsi-mmm-c07-h1", {
        "id": "ohdsi-mmm-c07-h1",
        "kind": "OHDSI concept set (OMOP vocabulary expansion, descendants included)",
        "title": "[C07][H1] Systemic Sclerosis: Systemic sclerosis 89155008 and descendants, "
                 "Raynaud's phenomenon 266261006 and descendants, less the excluded concepts",
        "oid": None,
        "version": "concept set 120",
        "expanded": "2025-11-21",
        "publisher": "OHDSI (ohdsi-studies/MindMeetsMachines)",
        "obtained": "github.com/ohdsi-studies/MindMeetsMachines Materials/ConceptSets/"
                    f"0120-[C07][H1] Systemic Sclerosis/includedConcepts.csv at {commit}",
        "codes": codes,
    })


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("vsac", "ohdsi"):
        sys.exit(__doc__)
    os.makedirs(OUT, exist_ok=True)
    (vsac if sys.argv[1] == "vsac" else ohdsi)(sys.argv[2], sys.argv[3])
