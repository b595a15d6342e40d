//! JSON shapes of the token header and payload, shared by issuing and verifying.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// JOSE header. Field order is sorted, as PyJWT writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Always `HS256` for Twilio tokens.
    pub alg: String,
    /// `twilio-fpa;v=1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cty: Option<String>,
    /// Twilio region, when the token is bound to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twr: Option<String>,
    /// `JWT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
}

/// Payload claims. Field order is twilio-python's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// `<SK sid>-<issued at>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The grants, with the client identity.
    pub grants: Grants,
    /// API key SID (`SK…`) whose secret signed the token.
    pub iss: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Not valid before, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Account SID (`AC…`).
    pub sub: String,
}

/// The `grants` object: Voice grant and identity; other grants are kept as raw JSON.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Grants {
    /// The `voice` grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<VoiceGrant>,
    /// Client identity (`client:<identity>` in call webhooks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Grants this crate does not model (video, chat, …).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Voice grant, as twilio-python's `VoiceGrant` takes it. On the wire it nests as
/// `{"incoming":{"allow":true},"outgoing":{"application_sid":…,"params":{…}},…}`;
/// `incoming` is written only when allowed, `outgoing` only with an application SID.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(from = "VoiceWire", into = "VoiceWire")]
pub struct VoiceGrant {
    /// Let this identity receive calls.
    pub incoming_allow: bool,
    /// TwiML App SID (`AP…`) whose Voice URL handles calls this client places.
    pub outgoing_application_sid: Option<String>,
    /// Extra parameters Twilio passes to the Voice URL (only with an application SID).
    pub outgoing_application_params: Option<Map<String, Value>>,
    /// Push credential SID (`CR…`) for mobile clients.
    pub push_credential_sid: Option<String>,
    /// Endpoint id.
    pub endpoint_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct VoiceWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    incoming: Option<Incoming>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outgoing: Option<Outgoing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    push_credential_sid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    endpoint_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Incoming {
    #[serde(default)]
    allow: bool,
}

#[derive(Serialize, Deserialize)]
struct Outgoing {
    application_sid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    params: Option<Map<String, Value>>,
}

impl From<VoiceWire> for VoiceGrant {
    fn from(w: VoiceWire) -> Self {
        let (sid, params) = w
            .outgoing
            .map_or((None, None), |o| (Some(o.application_sid), o.params));
        Self {
            incoming_allow: w.incoming.is_some_and(|i| i.allow),
            outgoing_application_sid: sid,
            outgoing_application_params: params,
            push_credential_sid: w.push_credential_sid,
            endpoint_id: w.endpoint_id,
        }
    }
}

impl From<VoiceGrant> for VoiceWire {
    fn from(g: VoiceGrant) -> Self {
        let nonempty = |s: Option<String>| s.filter(|s| !s.is_empty());
        Self {
            incoming: g.incoming_allow.then_some(Incoming { allow: true }),
            outgoing: nonempty(g.outgoing_application_sid).map(|application_sid| Outgoing {
                application_sid,
                params: g.outgoing_application_params.filter(|p| !p.is_empty()),
            }),
            push_credential_sid: nonempty(g.push_credential_sid),
            endpoint_id: nonempty(g.endpoint_id),
        }
    }
}
