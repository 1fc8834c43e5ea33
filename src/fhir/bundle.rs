//! Reading a Bundle: its entries parsed one by one as a single pass reaches
//! them, and where that pass stops (a malformed entry, `resourceType` not
//! first), the rest read the careful way, each on its own.

use serde::Deserialize;
use serde::Deserializer;
use serde_json::value::RawValue;

use super::*;

/// Parses a resource that may be a Bundle, flattening the Bundle's entries
/// (one level), each parsed on its own. Returns the resources and what was skipped.
pub fn flatten(raw: &RawValue) -> (Vec<Resource<'_>>, Vec<Skipped>) {
    let mut out = Vec::new();
    let mut skips = Vec::new();
    visit(raw, |r| out.push(r), |s| skips.push(s));
    (out, skips)
}

/// [`flatten`] one resource at a time: each is handed to `resource` (or its
/// skip reason to `skip`) as soon as it is parsed, in order, so a large
/// Bundle is never held parsed all at once.
///
/// A Bundle is read in one pass ([`stream_entries`]): each entry's resource
/// is parsed into its type as the scan reaches it. Where that pass meets
/// something it does not read in one go (a malformed resource, `resourceType`
/// not first or escaped, an entry that is not an object), it stops, and the
/// entries from that one on are read the careful way, each on its own: the
/// same resources, in the same order, each handed over once.
pub fn visit<'a>(
    raw: &'a RawValue,
    mut resource: impl FnMut(Resource<'a>),
    mut skip: impl FnMut(Skipped),
) {
    let is_bundle = matches!(resource_type(raw.get()), Ok(Some(t)) if t == "Bundle");
    if !is_bundle {
        match parse_resource(raw) {
            Ok(res) => resource(res),
            Err(s) => skip(s),
        }
        return;
    }
    let mut done = 0usize;
    let streamed = stream_entries(raw.get(), &mut done, &mut |e| match e {
        Ok(res) => resource(res),
        Err(s) => skip(s),
    });
    if streamed.is_ok() {
        return;
    }
    careful(raw.get(), done, &mut resource, &mut skip);
}

/// Reads a Bundle's entries from the `from`th on, each parsed on its own, so
/// that one malformed entry or resource is skipped and the rest are read.
pub(super) fn careful<'a>(
    text: &'a str,
    from: usize,
    resource: &mut impl FnMut(Resource<'a>),
    skip: &mut impl FnMut(Skipped),
) {
    let bundle = match serde_json::from_str::<BundleRef<'_>>(text) {
        Ok(b) => b,
        Err(e) => return skip(skipped("Bundle", &e)),
    };
    for entry in bundle.entry.into_iter().skip(from) {
        let entry = match serde_json::from_str::<BundleEntryRef<'_>>(entry.get()) {
            Ok(e) => e,
            Err(e) => {
                skip(skipped("Bundle entry", &e));
                continue;
            }
        };
        let Some(r) = entry.resource else { continue };
        match parse_resource(r) {
            Ok(Resource::Bundle(_)) => skip(nested_bundle()),
            Ok(res) => resource(res),
            Err(s) => skip(s),
        }
    }
}

/// A Bundle's entries, each kept as its text, for the careful reading.
#[derive(Deserialize)]
struct BundleRef<'a> {
    #[serde(default, borrow)]
    entry: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct BundleEntryRef<'a> {
    #[serde(borrow)]
    resource: Option<&'a RawValue>,
}

fn nested_bundle() -> Skipped {
    Skipped {
        resource_type: "Bundle".into(),
        category: "nested bundle",
        column: 0,
    }
}

type Each<'a, 'f> = dyn FnMut(Result<Resource<'a>, Skipped>) + 'f;

/// Reads a Bundle's entries in one pass, handing each entry's resource over
/// as it is parsed. `done` counts the entries fully handled; on `Err` the
/// entry at `done` and those after it were not handed over.
fn stream_entries<'a>(
    text: &'a str,
    done: &mut usize,
    each: &mut Each<'a, '_>,
) -> serde_json::Result<()> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_str(text);
    BundleSeed { done, each }.deserialize(&mut de)?;
    de.end()
}

struct BundleSeed<'s, 'a, 'f> {
    done: &'s mut usize,
    each: &'s mut Each<'a, 'f>,
}

impl<'de> serde::de::DeserializeSeed<'de> for BundleSeed<'_, 'de, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for BundleSeed<'_, 'de, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a Bundle")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut entries = false;
        while let Some(key) = map.next_key::<&str>()? {
            if key != "entry" {
                map.next_value::<serde::de::IgnoredAny>()?;
                continue;
            }
            if entries {
                return Err(serde::de::Error::duplicate_field("entry"));
            }
            entries = true;
            map.next_value_seed(EntriesSeed {
                done: &mut *self.done,
                each: &mut *self.each,
            })?;
        }
        Ok(())
    }
}

struct EntriesSeed<'s, 'a, 'f> {
    done: &'s mut usize,
    each: &'s mut Each<'a, 'f>,
}

impl<'de> serde::de::DeserializeSeed<'de> for EntriesSeed<'_, 'de, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for EntriesSeed<'_, 'de, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("Bundle entries")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Each entry is parsed whole before anything of it is handed over, so
        // an entry that fails leaves nothing behind for the careful reading.
        while let Some(found) = seq.next_element_seed(EntrySeed)? {
            match found {
                None => {}
                Some(Resource::Bundle(_)) => (self.each)(Err(nested_bundle())),
                Some(found) => (self.each)(Ok(found)),
            }
            *self.done += 1;
        }
        Ok(())
    }
}

/// One entry: its resource, if it has one.
struct EntrySeed;

impl<'de> serde::de::DeserializeSeed<'de> for EntrySeed {
    type Value = Option<Resource<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for EntrySeed {
    type Value = Option<Resource<'de>>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a Bundle entry")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<&str>()? {
            if key != "resource" {
                map.next_value::<serde::de::IgnoredAny>()?;
            } else if found.is_some() {
                return Err(serde::de::Error::duplicate_field("resource"));
            } else {
                found = Some(map.next_value_seed(ResourceSeed)?);
            }
        }
        Ok(found.flatten())
    }
}

/// A resource whose `resourceType` comes first, parsed straight into its type.
struct ResourceSeed;

impl<'de> serde::de::DeserializeSeed<'de> for ResourceSeed {
    type Value = Option<Resource<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ResourceSeed {
    type Value = Option<Resource<'de>>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a resource starting with its resourceType")
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        use serde::de::{value::MapAccessDeserializer, Error, IgnoredAny};
        if map.next_key::<&str>()? != Some("resourceType") {
            return Err(A::Error::custom("resourceType is not first"));
        }
        let rt: &'de str = map.next_value()?;
        let rest = MapAccessDeserializer::new(map);
        let res = match rt {
            "Patient" => Resource::Patient(Patient::deserialize(rest)?),
            "Condition" => Resource::Condition(Box::new(Condition::deserialize(rest)?)),
            "Observation" => Resource::Observation(Box::new(Observation::deserialize(rest)?)),
            "MedicationRequest" | "MedicationOrder" => {
                Resource::MedicationRequest(Box::new(MedicationRequest::deserialize(rest)?))
            }
            "MedicationStatement" => {
                Resource::MedicationStatement(Box::new(MedicationStatement::deserialize(rest)?))
            }
            "ServiceRequest" => {
                Resource::ServiceRequest(Box::new(ServiceRequest::deserialize(rest)?))
            }
            "Medication" => Resource::Medication(Medication::deserialize(rest)?),
            "Bundle" => Resource::Bundle(Bundle::deserialize(rest)?),
            "" => return Err(A::Error::custom("empty resourceType")),
            other => {
                IgnoredAny::deserialize(rest)?;
                if other == "OperationOutcome" {
                    Resource::OperationOutcome(OperationOutcome {})
                } else {
                    Resource::Other(other.into())
                }
            }
        };
        Ok(Some(res))
    }
}
