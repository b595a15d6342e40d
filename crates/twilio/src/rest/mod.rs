//! REST client (in progress).
