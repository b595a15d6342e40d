//! Every case of the reference vectors (`$TWILIO_VECTORS` or
//! `../shared/twilio-reference/vectors.json`), made by twilio-python 9.13.0.

use crate::{support, vectors};

#[test]
fn reference_vectors() {
    let path = support::vectors_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read vectors {}: {e}", path.display()));
    let doc: serde_json::Value = serde_json::from_str(&text).expect("vectors are JSON");
    let counts = vectors::check(&doc);
    println!("reference vectors {}: {counts:?}", path.display());
    assert_eq!(
        counts.signatures,
        doc["signatures"].as_array().unwrap().len()
    );
}
