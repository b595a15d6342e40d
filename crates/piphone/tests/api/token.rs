use twilio::token::verify;

use crate::helpers::{
    ACCOUNT_SID, ADMIN_PASSWORD, API_KEY_SECRET, API_KEY_SID, APP_SID, spawn_app,
};

#[tokio::test]
async fn token_is_refused_without_a_session() {
    let app = spawn_app().await;
    assert_eq!(app.get_with("/token", None).await.status(), 401);
    assert_eq!(
        app.get_with("/token", Some("piphone_session=forged"))
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn token_carries_the_users_voice_grant() {
    let app = spawn_app().await;
    let cookie = app.login("admin", ADMIN_PASSWORD).await.unwrap();
    let body: serde_json::Value = app
        .get_with("/token", Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["identity"], "admin");
    assert_eq!(body["ttl"], 3600);
    let jwt = body["token"].as_str().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let verified = verify(
        jwt,
        |iss| (iss == API_KEY_SID).then(|| API_KEY_SECRET.to_owned()),
        now,
    )
    .expect("token verifies with the API key secret");
    let claims = &verified.claims;
    assert_eq!(claims.iss, API_KEY_SID);
    assert_eq!(claims.sub, ACCOUNT_SID);
    assert_eq!(claims.grants.identity.as_deref(), Some("admin"));
    let voice = claims.grants.voice.as_ref().expect("voice grant");
    assert!(voice.incoming_allow);
    assert_eq!(voice.outgoing_application_sid.as_deref(), Some(APP_SID));
    assert_eq!(claims.exp - claims.nbf.unwrap(), 3600);
    assert!(verify(jwt, |_| Some("another secret".to_owned()), now).is_err());
}
