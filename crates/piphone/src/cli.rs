//! The command line: `serve` (the default), `user …`, `config check`, `sandbox call-in|serve`, and the kiosk's
//! commands (`kiosk`, …; see [`crate::kiosk::cli`]).

use std::ffi::OsString;
use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use crate::auth::password;
use crate::domain::{PhoneNumber, Role};
use crate::settings::Settings;
use crate::store::{self, NewUser};

#[derive(Parser, Debug)]
#[command(
    name = "piphone",
    version,
    about = "Browser phone and radio call-in console on Twilio"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Check the settings.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage the ban list: numbers whose calls to the station are rejected.
    #[command(subcommand)]
    Ban(BanCommand),
    /// Drive the sandbox (sandbox mode only).
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    #[command(flatten)]
    Kiosk(crate::kiosk::cli::KioskCommand),
    /// Check this installation: settings, TLS, the server, the kiosk, Chromium, sound cards, the public URL.
    /// Prints OK/WARN/FAIL lines; exits 1 when something FAILs.
    Doctor,
}

#[derive(Subcommand, Debug)]
enum UserCommand {
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

#[derive(Subcommand, Debug)]
enum BanCommand {
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

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Print the effective settings (secrets redacted) and validate them.
    Check,
}

#[derive(Subcommand, Debug)]
enum SandboxCommand {
    /// Make simulated listeners phone the station number of the running server.
    CallIn {
        #[arg(long, default_value = "+15551230001")]
        from: String,
        #[arg(long, default_value_t = 1)]
        count: u32,
    },
    /// Run the sandbox as its own process (same data directory and TLS settings as the server), so the server
    /// can be restarted while simulated calls go on. Prints its URL first; point the server at it with
    /// PIPHONE_SANDBOX_URL.
    Serve {
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8444")]
        listen: SocketAddr,
        /// piphone's base URL, which webhook signatures cover [default: PIPHONE_PUBLIC_URL, or the URL of
        /// PIPHONE_LISTEN].
        #[arg(long)]
        webhook_base: Option<url::Url>,
        /// Where webhooks under the webhook base are delivered, as a proxy would pass them on [default: the
        /// webhook base].
        #[arg(long)]
        deliver_to: Option<url::Url>,
    },
}

/// Runs the command line; the exit code reflects success.
pub async fn run(args: impl IntoIterator<Item = OsString>) -> anyhow::Result<ExitCode> {
    let cli = Cli::parse_from(args);
    let loaded = Settings::load();
    if matches!(cli.command, Some(Command::Doctor)) {
        return Ok(crate::doctor::run(loaded).await); // reports bad settings itself
    }
    let (settings, warnings) = loaded?;
    for w in &warnings {
        tracing::warn!("{w}");
    }
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::User(cmd) => user(settings, cmd).await,
        Command::Ban(cmd) => ban(settings, cmd).await,
        Command::Config(ConfigCommand::Check) => config_check(&settings, &warnings),
        Command::Sandbox(SandboxCommand::CallIn { from, count }) => {
            sandbox_call_in(settings, &from, count).await
        }
        Command::Sandbox(SandboxCommand::Serve {
            listen,
            webhook_base,
            deliver_to,
        }) => sandbox_serve(settings, listen, webhook_base, deliver_to).await,
        Command::Kiosk(cmd) => crate::kiosk::cli::run(settings, cmd).await,
        Command::Doctor => Ok(crate::doctor::run(Ok((settings, warnings))).await),
    }
}

async fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    let app = crate::Application::build(settings).await?;
    app.run_until(crate::server::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

fn read_password(prompt: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{prompt}");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the password")?;
    let pw = line.trim_end_matches(['\n', '\r']).to_owned();
    if pw.is_empty() {
        bail!("no password given");
    }
    Ok(pw)
}

async fn user(settings: Settings, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    crate::fsutil::ensure_private_dir(&settings.data_dir)?;
    let store = store::connect(&settings.database_url).await?;
    match cmd {
        UserCommand::Add { name, role } => {
            validate_username(&name)?;
            let pw = read_password(&format!("Password for {name}: "))?;
            let hash = password::hash(pw).await?;
            store
                .create_user(NewUser {
                    username: &name,
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

async fn ban(settings: Settings, cmd: BanCommand) -> anyhow::Result<ExitCode> {
    crate::fsutil::ensure_private_dir(&settings.data_dir)?;
    let store = store::connect(&settings.database_url).await?;
    let policy =
        crate::domain::DialPolicy::new(&settings.dial_countries, settings.caller_id.as_deref());
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

/// Usernames become Twilio client identities: keep them to a safe alphabet.
pub fn validate_username(name: &str) -> anyhow::Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && !name.starts_with(['.', '-']);
    if !ok {
        bail!("usernames are 1-64 characters of letters, digits, '.', '_' and '-'");
    }
    Ok(())
}

fn config_check(settings: &Settings, warnings: &[String]) -> anyhow::Result<ExitCode> {
    for (k, v) in settings.redacted_lines() {
        println!("{k:<22} {v}");
    }
    let problems = settings_problems(settings);
    for w in warnings {
        println!("warning: {w}");
    }
    if problems.is_empty() {
        println!("settings OK");
        Ok(ExitCode::SUCCESS)
    } else {
        for p in &problems {
            eprintln!("error: {p}");
        }
        Ok(ExitCode::from(2))
    }
}

/// What is wrong with settings that parsed: missing companions of the Twilio credentials, numbers that are not
/// numbers. (`config check` and `doctor` report these.)
pub(crate) fn settings_problems(settings: &Settings) -> Vec<String> {
    let mut problems: Vec<String> = Vec::new();
    if let Some(c) = &settings.caller_id
        && PhoneNumber::parse(c, None).is_err()
    {
        problems.push(format!(
            "PIPHONE_CALLER_ID {c:?} is not a valid E.164 phone number"
        ));
    }
    if !settings.sandbox() && settings.caller_id.is_none() {
        problems.push(
            "PIPHONE_CALLER_ID is required with Twilio credentials (the number calls come from)"
                .into(),
        );
    }
    if !settings.sandbox() && settings.public_url.is_none() {
        problems.push(
            "PIPHONE_PUBLIC_URL is required with Twilio credentials (the URL Twilio reaches)"
                .into(),
        );
    }
    if let Some(u) = &settings.public_url
        && u.scheme() != "https"
        && !settings.sandbox()
    {
        problems
            .push("PIPHONE_PUBLIC_URL should be https:// (Twilio signs the URL it calls)".into());
    }
    let policy =
        crate::domain::DialPolicy::new(&settings.dial_countries, settings.caller_id.as_deref());
    if let Some(d) = &settings.default_number
        && let Err(e) = policy.check(d)
    {
        problems.push(format!("PIPHONE_DEFAULT_NUMBER {d:?}: {e}"));
    }
    problems
}

/// The URL piphone's server is reached at on this machine, from the settings.
fn server_url(settings: &Settings) -> url::Url {
    let tls = settings.tls != crate::settings::TlsMode::Off;
    crate::server::local_url(settings.listen, tls)
}

async fn sandbox_call_in(settings: Settings, from: &str, count: u32) -> anyhow::Result<ExitCode> {
    if !settings.sandbox() {
        bail!("the sandbox only runs when no Twilio credentials are configured");
    }
    crate::startup::install_crypto_provider();
    let creds = sandbox::Credentials::load_or_create(&settings.data_dir)?;
    // The sandbox's control API: on the server's own listener, or at the sandbox process's URL.
    let url = settings
        .sandbox_url
        .clone()
        .unwrap_or_else(|| server_url(&settings));
    let insecure = url.scheme() == "https";
    let calls = sandbox::ControlClient::new(url, &creds, insecure)?
        .call_in_checked(from, count)
        .await?;
    for call in &calls {
        println!("{}", call.call_sid);
    }
    // A CallSid alone says nothing of whether piphone ever saw the call: its first webhook does.
    let problems: Vec<String> = calls.iter().filter_map(|c| c.problem()).collect();
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(ExitCode::SUCCESS)
}

async fn sandbox_serve(
    settings: Settings,
    listen: SocketAddr,
    webhook_base: Option<url::Url>,
    deliver_to: Option<url::Url>,
) -> anyhow::Result<ExitCode> {
    if !settings.sandbox() {
        bail!("the sandbox only runs when no Twilio credentials are configured");
    }
    let webhook_base = webhook_base
        .or_else(|| settings.public_url.clone())
        .unwrap_or_else(|| server_url(&settings));
    let deliver_to = deliver_to.unwrap_or_else(|| webhook_base.clone());
    let server = crate::startup::SandboxServer::build(
        &settings,
        listen,
        webhook_base.clone(),
        deliver_to.clone(),
    )
    .await?;
    // The first line on standard output, for scripts and tests that started it on port 0.
    println!("sandbox listening on {}", server.local_url);
    std::io::stdout().flush()?;
    tracing::info!(url = %server.local_url, %webhook_base, %deliver_to, "sandbox listening; webhooks signed for {webhook_base}, delivered to {deliver_to}");
    server.run_until(crate::server::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}
