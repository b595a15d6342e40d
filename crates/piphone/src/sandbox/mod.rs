//! Placeholder until the sandbox branch lands.
pub struct Credentials {
    pub account_sid: String,
    pub auth_token: String,
    pub api_key_sid: String,
    pub api_key_secret: String,
    pub app_sid: String,
    pub station_number: String,
}
impl Credentials {
    pub fn load_or_create(_dir: &std::path::Path) -> std::io::Result<Credentials> {
        Ok(Credentials {
            account_sid: format!("AC{}", "0".repeat(32)),
            auth_token: "0".repeat(32),
            api_key_sid: format!("SK{}", "0".repeat(32)),
            api_key_secret: "0".repeat(32),
            app_sid: format!("AP{}", "0".repeat(32)),
            station_number: "+15005550100".into(),
        })
    }
}
pub struct SandboxOptions {
    pub webhook_base: url::Url,
    pub accept_invalid_certs: bool,
    pub speed: f64,
}
#[derive(Clone)]
pub struct Sandbox;
impl Sandbox {
    pub fn new(_c: Credentials, _o: SandboxOptions) -> Sandbox {
        Sandbox
    }
    pub fn router(&self) -> axum::Router {
        axum::Router::new()
    }
}
pub mod cli {
    pub async fn call_in(
        _u: &url::Url,
        _c: &super::Credentials,
        _f: &str,
        _n: u32,
        _i: bool,
    ) -> anyhow::Result<Vec<String>> {
        anyhow::bail!("not yet")
    }
}
