#!/usr/bin/env python3
"""Load a demo scleroderma-myositis overlap patient into an open FHIR R4 server.

Usage:
    tools/load-demo-patient.py FHIR_BASE_URL [--service URL] [--token TOKEN] [--date YYYY-MM-DD]
    tools/load-demo-patient.py --print [--date YYYY-MM-DD]

The patient (id ssc-myositis-demo): a man born 1968 with systemic sclerosis,
polymyositis and type 2 diabetes; 70 kg, 170 cm, blood pressure 128/78 mmHg,
eGFR 88 and creatinine 0.9 mg/dL. Each resource is written with PUT under a
fixed id, so running the script again changes nothing. Observations are dated a
few days before --date (default: today), so they are current for the service.

It prints the patient id and the CDS Hooks sandbox URL to open, with the FHIR
server, the patient and this service filled in. --print writes the resources
as a FHIR Bundle to standard output instead, and loads nothing.

Python 3 standard library only.
"""

import argparse
import datetime
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

PATIENT_ID = "ssc-myositis-demo"
SANDBOX = "https://sandbox.cds-hooks.org/"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def condition(suffix, snomed, icd, display, onset):
    return {
        "resourceType": "Condition",
        "id": f"{PATIENT_ID}-{suffix}",
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": "confirmed",
                }
            ]
        },
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                        "code": "problem-list-item",
                    }
                ]
            }
        ],
        "code": {
            "coding": [
                {"system": SNOMED, "code": snomed[0], "display": snomed[1]},
                {"system": ICD10CM, "code": icd, "display": display},
            ],
            "text": display,
        },
        "onsetDateTime": onset,
    }


def quantity(value, unit, code):
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def observation(suffix, category, loinc, display, when, **value):
    r = {
        "resourceType": "Observation",
        "id": f"{PATIENT_ID}-{suffix}",
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": category}]}],
        "code": {"coding": [{"system": LOINC, "code": loinc, "display": display}]},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "effectiveDateTime": when,
    }
    r.update(value)
    return r


def resources(today):
    """The demo patient's resources, dated relative to `today`."""

    def ago(days):
        return (today - datetime.timedelta(days=days)).isoformat()

    return [
        {
            "resourceType": "Patient",
            "id": PATIENT_ID,
            "name": [{"use": "official", "family": "Demo", "given": ["Overlap"]}],
            "gender": "male",
            "birthDate": "1968-05-01",
        },
        condition(
            "ssc",
            ("89155008", "Systemic sclerosis"),
            "M34.0",
            "Progressive systemic sclerosis",
            "2018-03-01",
        ),
        condition(
            "pm",
            ("31384009", "Polymyositis"),
            "M33.22",
            "Polymyositis with myopathy",
            ago(30),
        ),
        condition(
            "dm2",
            ("44054006", "Diabetes mellitus type 2"),
            "E11.9",
            "Type 2 diabetes mellitus without complications",
            "2015-06-01",
        ),
        observation(
            "weight",
            "vital-signs",
            "29463-7",
            "Body weight",
            ago(3),
            valueQuantity=quantity(70, "kg", "kg"),
        ),
        observation(
            "height",
            "vital-signs",
            "8302-2",
            "Body height",
            ago(3),
            valueQuantity=quantity(170, "cm", "cm"),
        ),
        observation(
            "bp",
            "vital-signs",
            "85354-9",
            "Blood pressure panel with all children optional",
            ago(3),
            component=[
                {
                    "code": {
                        "coding": [
                            {"system": LOINC, "code": "8480-6", "display": "Systolic blood pressure"}
                        ]
                    },
                    "valueQuantity": quantity(128, "mmHg", "mm[Hg]"),
                },
                {
                    "code": {
                        "coding": [
                            {"system": LOINC, "code": "8462-4", "display": "Diastolic blood pressure"}
                        ]
                    },
                    "valueQuantity": quantity(78, "mmHg", "mm[Hg]"),
                },
            ],
        ),
        observation(
            "egfr",
            "laboratory",
            "98979-8",
            "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)",
            ago(2),
            valueQuantity=quantity(88, "mL/min/1.73m2", "mL/min/{1.73_m2}"),
        ),
        observation(
            "creatinine",
            "laboratory",
            "2160-0",
            "Creatinine [Mass/volume] in Serum or Plasma",
            ago(2),
            valueQuantity=quantity(0.9, "mg/dL", "mg/dL"),
        ),
    ]


def bundle(items):
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in items],
    }


def put(base, resource, token):
    url = f"{base}/{resource['resourceType']}/{resource['id']}"
    headers = {
        "Content-Type": "application/fhir+json",
        "Accept": "application/fhir+json",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(
        url, data=json.dumps(resource).encode(), headers=headers, method="PUT"
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        body = e.read()[:500].decode("utf-8", "replace")
        sys.exit(f"error: PUT {url}: HTTP {e.code}: {body}")
    except urllib.error.URLError as e:
        sys.exit(f"error: PUT {url}: {e.reason}")


def sandbox_url(fhir_base, service, sandbox=SANDBOX):
    query = urllib.parse.urlencode(
        {
            "fhirServiceUrl": fhir_base,
            "patientId": PATIENT_ID,
            "serviceDiscoveryURL": f"{service.rstrip('/')}/cds-services",
            "hook": "order-sign",
            "screen": "rx-sign",
        }
    )
    return f"{sandbox.rstrip('/')}/?{query}"


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Load a demo SSc + myositis overlap patient into an open FHIR R4 server."
    )
    p.add_argument("fhir_base", nargs="?", help="FHIR R4 base URL, e.g. http://localhost:8081/fhir")
    p.add_argument("--print", action="store_true", help="print the resources as a Bundle; load nothing")
    p.add_argument(
        "--service",
        default="http://localhost:8080",
        help="this CDS service's base URL, for the sandbox link (default http://localhost:8080)",
    )
    p.add_argument(
        "--sandbox",
        default=SANDBOX,
        help=f"the CDS Hooks sandbox to open, e.g. a locally built one at http://localhost:3000 (default {SANDBOX})",
    )
    p.add_argument("--token", help="bearer token, for a FHIR server that wants one")
    p.add_argument("--date", help="the day the data is dated from (YYYY-MM-DD; default today)")
    a = p.parse_args(argv)
    try:
        today = datetime.date.fromisoformat(a.date) if a.date else datetime.date.today()
    except ValueError:
        p.error(f"--date {a.date!r} is not YYYY-MM-DD")
    items = resources(today)
    if a.print:
        try:
            json.dump(bundle(items), sys.stdout, indent=2)
            sys.stdout.write("\n")
            sys.stdout.flush()
        except BrokenPipeError:
            # Piped into a reader that stopped early (`| head`): nothing is wrong.
            sys.stdout = None
        return 0
    if not a.fhir_base:
        p.error("the FHIR server's base URL is required (or --print)")
    base = a.fhir_base.rstrip("/")
    for r in items:
        put(base, r, a.token)
    print(f"loaded {len(items)} resources into {base}")
    print(f"patient id: {PATIENT_ID}")
    print(f"open the sandbox: {sandbox_url(base, a.service, a.sandbox)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
