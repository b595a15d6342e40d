//! `piphone ban add/remove/list`: numbers whose calls to the station are rejected.

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;

use crate::domain::{DialPolicy, PhoneNumber};
use crate::settings::Settings;
use crate::store;

#[derive(Subcommand, Debug)]
pub enum BanCommand {
    /// Ban a number (any common formatting; stored in E.164).
    Add {
        number: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Lift a ban.
    Remove { number: String },
    /// List banned numbers.
    List,
}

pub async fn run(settings: Settings, cmd: BanCommand) -> anyhow::Result<ExitCode> {
    crate::fsutil::ensure_private_dir(&settings.data_dir)?;
    let store = store::connect(&settings.database_url).await?;
    let policy = DialPolicy::new(&settings.dial_countries, settings.caller_id.as_deref());
    let parse = |raw: &str| {
        PhoneNumber::parse_caller(raw, policy.default_region.as_deref())
            .with_context(|| format!("{raw:?}"))
    };
    match cmd {
        BanCommand::Add { number, reason } => {
            let n = parse(&number)?;
            let new = store.add_ban(&n, reason.as_deref()).await?;
            println!(
                "{} {}",
                if new { "banned" } else { "updated the ban on" },
                n.e164()
            );
        }
        BanCommand::Remove { number } => {
            let n = parse(&number)?;
            if !store.remove_ban(&n).await? {
                bail!("{} is not banned", n.e164());
            }
            println!("lifted the ban on {}", n.e164());
        }
        BanCommand::List => {
            for b in store.list_bans().await? {
                println!("{}\t{}", b.number, b.reason.unwrap_or_default());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
