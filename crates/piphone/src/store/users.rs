//! Users and their login sessions.

use crate::domain::Role;

use super::{Store, StoreError, now_unix};

/// A piphone account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
}

/// What creating a user needs; the password is already hashed.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
}

type UserRow = (i64, String, String, bool);

fn user_from_row((id, username, role, disabled): UserRow) -> Result<User, StoreError> {
    let role = role
        .parse::<Role>()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(User {
        id,
        username,
        role,
        disabled,
    })
}

impl Store {
    pub async fn count_users(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    pub async fn create_user(&self, new: NewUser<'_>) -> Result<User, StoreError> {
        let result = sqlx::query(
            "INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(new.username)
        .bind(new.password_hash)
        .bind(new.role.as_str())
        .bind(now_unix())
        .execute(&self.pool)
        .await;
        match result {
            Ok(done) => Ok(User {
                id: done.last_insert_rowid(),
                username: new.username.to_owned(),
                role: new.role,
                disabled: false,
            }),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::UserExists(new.username.to_owned()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The user and their password hash, for logging in.
    pub async fn user_with_hash(
        &self,
        username: &str,
    ) -> Result<Option<(User, String)>, StoreError> {
        let row: Option<(i64, String, String, bool, String)> = sqlx::query_as(
            "SELECT id, username, role, disabled, password_hash FROM users WHERE username = ?",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(id, name, role, disabled, hash)| {
            Ok((user_from_row((id, name, role, disabled))?, hash))
        })
        .transpose()
    }

    /// The user with this name (case-insensitive), served from the read cache when fresh.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<User>, StoreError> {
        if let Some(user) = self.cache.user(username) {
            return Ok(Some(user));
        }
        let generation = self.cache.generation();
        let row: Option<UserRow> =
            sqlx::query_as("SELECT id, username, role, disabled FROM users WHERE username = ?")
                .bind(username)
                .fetch_optional(&self.pool)
                .await?;
        let user = row.map(user_from_row).transpose()?;
        if let Some(u) = &user {
            self.cache.put_user(generation, username, u);
        }
        Ok(user)
    }

    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let rows: Vec<UserRow> =
            sqlx::query_as("SELECT id, username, role, disabled FROM users ORDER BY username")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(user_from_row).collect()
    }

    pub async fn set_password(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET password_hash = ? WHERE username = ?")
            .bind(password_hash)
            .bind(username)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoSuchUser(username.to_owned()));
        }
        self.cache.clear();
        Ok(())
    }

    pub async fn set_role(&self, username: &str, role: Role) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET role = ? WHERE username = ?")
            .bind(role.as_str())
            .bind(username)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoSuchUser(username.to_owned()));
        }
        self.cache.clear();
        Ok(())
    }

    /// Disables or re-enables a user. Disabling also ends all their sessions, in the same transaction.
    pub async fn set_disabled(&self, username: &str, disabled: bool) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE users SET disabled = ? WHERE username = ?")
            .bind(disabled)
            .bind(username)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoSuchUser(username.to_owned()));
        }
        if disabled {
            sqlx::query(
                "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = ?)",
            )
            .bind(username)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.cache.clear();
        Ok(())
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        ttl_secs: i64,
    ) -> Result<(), StoreError> {
        let now = now_unix();
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now)
            .bind(now + ttl_secs)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The active, enabled user behind a session, if the session exists and has not expired.
    /// Served from the read cache when fresh (and the session not expired).
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let now = now_unix();
        if let Some(user) = self.cache.session(token_hash, now) {
            return Ok(Some(user));
        }
        let generation = self.cache.generation();
        let row: Option<(i64, String, String, bool, i64)> = sqlx::query_as(
            "SELECT u.id, u.username, u.role, u.disabled, s.expires_at FROM sessions s \
             JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some((id, name, role, disabled, expires_at)) = row else {
            return Ok(None);
        };
        let user = user_from_row((id, name, role, disabled))?;
        self.cache
            .put_session(generation, token_hash, &user, expires_at);
        Ok(Some(user))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        self.cache.clear();
        Ok(())
    }

    /// Removes expired sessions; returns how many.
    pub async fn purge_expired_sessions(&self) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(now_unix())
            .execute(&self.pool)
            .await?;
        self.cache.clear();
        Ok(done.rows_affected())
    }
}
