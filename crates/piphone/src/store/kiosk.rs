//! One-time login links and the kiosk sessions they open.
//!
//! `piphone kiosk` (same machine, same database) stores a link's hash; `GET /login/kiosk` consumes it once.
//! Consuming is one conditional `UPDATE`, so two requests racing with the same token cannot both win.

use serde::{Deserialize, Serialize};

use super::users::User;
use super::{Store, StoreError, now_unix};

/// What the kiosk asked for, carried from the link to the session and read by the kiosk page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KioskOptions {
    /// Accept incoming calls without anyone pressing a button.
    pub auto_answer: bool,
}

/// The verdict on a login link; only `Valid` opens a session. The reasons are for the log, not the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkCheck {
    Valid(User, KioskOptions),
    Unknown,
    AlreadyUsed,
    Expired,
    UserDisabled,
}

fn options_from(json: &str) -> Result<KioskOptions, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("kiosk options: {e}")))
}

fn options_json(options: &KioskOptions) -> String {
    serde_json::to_string(options).unwrap_or_else(|_| "{}".into())
}

impl Store {
    /// Stores a login link for `user_id`, valid for `ttl_secs`.
    pub async fn create_login_link(
        &self,
        token_hash: &str,
        user_id: i64,
        ttl_secs: i64,
        options: &KioskOptions,
    ) -> Result<(), StoreError> {
        let now = now_unix();
        sqlx::query(
            "INSERT INTO login_links (token_hash, user_id, created_at, expires_at, options) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(now + ttl_secs)
        .bind(options_json(options))
        .execute(&self.pool)
        .await?;
        // Old links are useless either way; keep the table small.
        sqlx::query("DELETE FROM login_links WHERE expires_at < ?")
            .bind(now - 86_400)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Uses up a login link: valid only once, before it expires, for an enabled user.
    pub async fn consume_login_link(&self, token_hash: &str) -> Result<LinkCheck, StoreError> {
        let now = now_unix();
        let claimed: Option<(i64, String)> = sqlx::query_as(
            "UPDATE login_links SET used_at = ? \
             WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? \
             RETURNING user_id, options",
        )
        .bind(now)
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some((user_id, options)) = claimed else {
            let row: Option<(Option<i64>, i64)> =
                sqlx::query_as("SELECT used_at, expires_at FROM login_links WHERE token_hash = ?")
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?;
            return Ok(match row {
                None => LinkCheck::Unknown,
                Some((Some(_), _)) => LinkCheck::AlreadyUsed,
                Some((None, _)) => LinkCheck::Expired,
            });
        };
        let row: Option<(String,)> = sqlx::query_as("SELECT username FROM users WHERE id = ?")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some((username,)) = row else {
            return Ok(LinkCheck::Unknown);
        };
        match self.user_by_name(&username).await? {
            Some(user) if !user.disabled => Ok(LinkCheck::Valid(user, options_from(&options)?)),
            _ => Ok(LinkCheck::UserDisabled),
        }
    }

    /// A session opened by a login link: an ordinary session that also carries the kiosk's options.
    pub async fn create_kiosk_session(
        &self,
        token_hash: &str,
        user_id: i64,
        ttl_secs: i64,
        options: &KioskOptions,
    ) -> Result<(), StoreError> {
        self.create_session(token_hash, user_id, ttl_secs).await?;
        sqlx::query("UPDATE sessions SET kiosk = ? WHERE token_hash = ?")
            .bind(options_json(options))
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The kiosk options of a live session, or `None` for an ordinary (or unknown, or expired) session.
    pub async fn kiosk_options(
        &self,
        token_hash: &str,
    ) -> Result<Option<KioskOptions>, StoreError> {
        let row: Option<(Option<String>,)> = sqlx::query_as(
            "SELECT kiosk FROM sessions WHERE token_hash = ? AND expires_at > ? AND kiosk IS NOT NULL",
        )
        .bind(token_hash)
        .bind(now_unix())
        .fetch_optional(&self.pool)
        .await?;
        row.and_then(|(json,)| json)
            .map(|json| options_from(&json))
            .transpose()
    }
}
