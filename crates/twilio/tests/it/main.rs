//! One integration-test binary: conformance with twilio-python's reference vectors, a fresh
//! differential run against twilio-python, the REST client against a Prism mock of Twilio's
//! OpenAPI description and against wiremock, and property tests.

mod conformance;
mod differential;
mod props;
mod rest_errors;
mod rest_prism;
mod rest_tls;
mod spec_examples;
mod stream_twiml;
mod support;
mod vectors;
