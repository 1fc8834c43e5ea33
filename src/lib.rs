//! ssc-myositis-cds: a CDS Hooks 2.0 service that checks corticosteroid and
//! methotrexate orders for patients with systemic sclerosis and/or
//! inflammatory myositis against the initial-treatment guidance.
//!
//! Flow, one direction, each stage testable alone:
//! [`http`] → [`engine`] (request, prefetch) → [`facts`] (lenient FHIR →
//! plain types) → [`clinical`] (pure rules) → [`cards`] (CDS JSON + FHIR) →
//! response.

pub mod app;
pub mod auth;
pub mod cards;
pub mod cds;
pub mod cli;
pub mod clinical;
pub mod config;
pub mod engine;
pub mod facts;
pub mod fhir;
pub mod guidance;
pub mod http;
pub mod prefetch;
pub mod recall;
pub mod rules;
pub mod services;
pub mod store;
pub mod terminology;
pub mod text;
pub mod words;
