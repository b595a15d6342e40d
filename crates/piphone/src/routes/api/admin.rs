//! Admin routes: manage users, read refused calls. Every handler takes [`AdminUser`].

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{AdminPage, AdminUser};
use crate::auth::password;
use crate::domain::{Role, Username};
use crate::error::AppError;
use crate::error::JsonBody;
use crate::state::AppState;
use crate::store::{NewUser, StoreError};

/// `GET /admin`: the admin page (users, refusals). Non-admins are sent to the phone.
pub async fn admin_page(_admin: AdminPage) -> Response {
    super::pages::page("admin")
}

pub async fn list_users(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<Json<Value>, AppError> {
    let users = state.store.list_users().await?;
    Ok(Json(json!({
        "users": users.iter().map(|u| json!({"username": u.username, "role": u.role, "disabled": u.disabled}))
            .collect::<Vec<_>>()
    })))
}

#[derive(Deserialize)]
pub struct NewUserForm {
    username: String,
    password: String,
    role: Role,
}

fn store_error(e: StoreError) -> AppError {
    match e {
        StoreError::UserExists(_) | StoreError::NoSuchUser(_) => {
            AppError::BadRequest(e.to_string())
        }
        other => other.into(),
    }
}

/// `POST /api/admin/users` `{username, password, role}` → 201 once the user is stored.
pub async fn create_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    JsonBody(form): JsonBody<NewUserForm>,
) -> Result<Response, AppError> {
    let username =
        Username::parse(&form.username).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let hash = password::hash(form.password)
        .await
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let user = state
        .store
        .create_user(NewUser {
            username: username.as_str(),
            password_hash: &hash,
            role: form.role,
        })
        .await
        .map_err(store_error)?;
    tracing::info!(by = %admin.username, user = %user.username, role = %user.role, "user created");
    Ok((
        StatusCode::CREATED,
        Json(json!({"username": user.username, "role": user.role, "disabled": false})),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct UserUpdate {
    role: Option<Role>,
    disabled: Option<bool>,
    password: Option<String>,
}

/// `POST /api/admin/users/{name}` `{role?, disabled?, password?}`. Disabling ends the user's sessions and their
/// browser phone's calls (the next webhook for them gets no Dial).
pub async fn update_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(name): Path<String>,
    JsonBody(update): JsonBody<UserUpdate>,
) -> Result<Json<Value>, AppError> {
    if name.eq_ignore_ascii_case(&admin.username)
        && (update.disabled == Some(true) || update.role.is_some())
    {
        return Err(AppError::BadRequest(
            "you cannot disable yourself or change your own role".into(),
        ));
    }
    if let Some(pw) = update.password {
        let hash = password::hash(pw)
            .await
            .map_err(|e| AppError::BadRequest(e.to_string()))?;
        state
            .store
            .set_password(&name, &hash)
            .await
            .map_err(store_error)?;
    }
    if let Some(role) = update.role {
        state
            .store
            .set_role(&name, role)
            .await
            .map_err(store_error)?;
    }
    if let Some(disabled) = update.disabled {
        state
            .store
            .set_disabled(&name, disabled)
            .await
            .map_err(store_error)?;
        if disabled {
            state.presence.forget(&name);
        }
    }
    tracing::info!(by = %admin.username, user = %name, "user updated");
    let user = state
        .store
        .user_by_name(&name)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(
        json!({"username": user.username, "role": user.role, "disabled": user.disabled}),
    ))
}

/// `GET /api/admin/refusals`: the latest refused calls with user, number and reason.
pub async fn refusals(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<Json<Value>, AppError> {
    Ok(Json(
        json!({ "refusals": state.store.recent_refusals(200).await? }),
    ))
}
