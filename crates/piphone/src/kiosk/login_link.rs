//! One-time login links: the kiosk process, on the same machine and with the same data directory, signs its
//! browser in without a password. It stores the hash of a fresh random token (valid [`LINK_TTL_SECS`], once) and
//! opens `GET /login/kiosk?token=…`, which trades the token for a kiosk session.

use anyhow::Context;
use rand::distr::{Alphanumeric, SampleString};

use crate::auth::{password, session};
use crate::domain::Role;
use crate::store::{KioskOptions, NewUser, Store, User};

/// How long a link may wait to be used. Chromium opens it within a second or two.
pub const LINK_TTL_SECS: i64 = 60;

/// The path the link points at.
pub const LINK_PATH: &str = "/login/kiosk";

/// Stores a new single-use link for `user` and returns its token (the only copy).
pub async fn mint(store: &Store, user: &User, options: &KioskOptions) -> anyhow::Result<String> {
    let (token, hash) = session::new_token();
    store
        .create_login_link(&hash, user.id, LINK_TTL_SECS, options)
        .await
        .context("storing the kiosk's login link")?;
    tracing::info!(user = %user.username, ttl_secs = LINK_TTL_SECS, "minted a one-time login link");
    Ok(token)
}

/// The kiosk's account: found, or created with role caller and a random password nobody knows (it signs in by
/// link only). A disabled account stays disabled: the operator decided that.
pub async fn ensure_kiosk_user(store: &Store, name: &str) -> anyhow::Result<User> {
    if let Some(user) = store.user_by_name(name).await? {
        anyhow::ensure!(
            !user.disabled,
            "the kiosk user {name:?} is disabled; enable it with `piphone user enable {name}`"
        );
        return Ok(user);
    }
    let unguessable = Alphanumeric.sample_string(&mut rand::rng(), 40);
    let hash = password::hash(unguessable).await?;
    let user = store
        .create_user(NewUser {
            username: name,
            password_hash: &hash,
            role: Role::Caller,
        })
        .await?;
    tracing::info!(user = %name, role = %user.role, "created the kiosk user");
    Ok(user)
}
