//! Placeholder until the web branch lands: browser assets compiled into the binary.
pub fn page(_name: &str) -> Option<axum::response::Response> {
    None
}
pub fn static_routes<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    axum::Router::new()
}
