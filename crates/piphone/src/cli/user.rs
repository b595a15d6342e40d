//! `piphone user add/list/passwd/disable/enable`: the accounts, straight in the database.

use std::process::ExitCode;

use clap::Subcommand;

use crate::auth::password;
use crate::domain::{Role, Username};
use crate::settings::Settings;
use crate::store::{self, NewUser};

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user; the password is asked for, or read from standard input when it is not a terminal.
    Add {
        name: String,
        #[arg(long, default_value = "caller")]
        role: Role,
    },
    /// List users.
    List,
    /// Set a user's password.
    Passwd { name: String },
    /// Disable a user: their sessions end and their calls are refused.
    Disable { name: String },
    /// Enable a disabled user.
    Enable { name: String },
}

/// The password, not echoed on a terminal; scripts pipe it in.
fn read_password(prompt: &str) -> anyhow::Result<String> {
    super::prompt::read_secret(prompt).map_err(|_| anyhow::anyhow!("no password given"))
}

pub async fn run(settings: Settings, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    crate::fsutil::ensure_private_dir(&settings.data_dir)?;
    let store = store::connect(&settings.database_url).await?;
    match cmd {
        UserCommand::Add { name, role } => {
            let name = Username::parse(&name)?;
            let pw = read_password(&format!("Password for {name}: "))?;
            let hash = password::hash(pw).await?;
            store
                .create_user(NewUser {
                    username: name.as_str(),
                    password_hash: &hash,
                    role,
                })
                .await?;
            println!("created user {name} ({role})");
        }
        UserCommand::List => {
            for u in store.list_users().await? {
                println!(
                    "{}\t{}\t{}",
                    u.username,
                    u.role,
                    if u.disabled { "disabled" } else { "active" }
                );
            }
        }
        UserCommand::Passwd { name } => {
            let pw = read_password(&format!("New password for {name}: "))?;
            let hash = password::hash(pw).await?;
            store.set_password(&name, &hash).await?;
            println!("password changed for {name}");
        }
        UserCommand::Disable { name } => {
            store.set_disabled(&name, true).await?;
            println!("disabled {name}; their sessions have ended");
        }
        UserCommand::Enable { name } => {
            store.set_disabled(&name, false).await?;
            println!("enabled {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
