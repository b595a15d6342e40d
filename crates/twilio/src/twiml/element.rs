//! The generic TwiML tree and its serialiser, byte-compatible with twilio-python 9.13.0.
//!
//! twilio-python (`twilio/twiml/__init__.py`, `TwiML.xml`/`to_xml`) builds an `xml.etree`
//! element with attributes sorted by name, booleans as `true`/`false`, no text when the value is
//! empty, and serialises it with `ElementTree.tostring` behind a hand-written declaration.
//! `ElementTree` (Python 3.11 `_escape_cdata`/`_escape_attrib`) escapes `& < >` in text and
//! additionally `"`, CR, LF and TAB (`&#13;`, `&#10;`, `&#09;`) in attribute values, and writes a
//! childless, textless element as `<Name />`.
//!
//! One deliberate difference: characters XML 1.0 forbids (C0 controls other than TAB, LF, CR;
//! U+FFFE, U+FFFF) are written as U+FFFD, where Python would emit them raw and produce a document
//! no parser accepts. Element and attribute names are written as given: they come from this
//! crate's typed builders or from [`super::parse`], both of which only produce valid names.

use std::fmt::Write as _;

/// XML declaration twilio-python writes before every document.
pub const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// A TwiML element: the shape of twilio-python's tree (and of the reference vectors).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// Verb or noun name, e.g. `Dial`.
    pub name: String,
    /// Attributes in insertion order (serialised sorted by name).
    pub attrs: Vec<(String, String)>,
    /// Text content; `None` and `Some("")` both serialise as no text.
    pub text: Option<String>,
    /// Nested elements, after the text.
    pub children: Vec<Element>,
}

impl Element {
    /// An element with no attributes, text or children.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Sets (or replaces) an attribute. `bool` renders as `true`/`false`, numbers in decimal.
    pub fn set_attr(&mut self, name: &str, value: impl ToString) {
        let value = value.to_string();
        match self.attrs.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.attrs.push((name.to_string(), value)),
        }
    }

    /// The value of attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Builder form of [`Element::set_attr`].
    pub fn with_attr(mut self, name: &str, value: impl ToString) -> Self {
        self.set_attr(name, value);
        self
    }

    /// Builder: sets the text.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Builder: appends a child.
    pub fn with_child(mut self, child: impl Into<Element>) -> Self {
        self.children.push(child.into());
        self
    }

    /// The document: declaration plus this element.
    pub fn to_xml(&self) -> String {
        let mut out = String::from(XML_DECLARATION);
        self.write_xml(&mut out);
        out
    }

    /// Appends this element (no declaration) to `out`.
    pub fn write_xml(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        let mut attrs: Vec<&(String, String)> = self.attrs.iter().collect();
        attrs.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, value) in attrs {
            let _ = write!(out, " {name}=\"");
            escape_into(out, value, true);
            out.push('"');
        }
        let text = self.text.as_deref().unwrap_or("");
        if text.is_empty() && self.children.is_empty() {
            out.push_str(" />");
            return;
        }
        out.push('>');
        escape_into(out, text, false);
        for child in &self.children {
            child.write_xml(out);
        }
        let _ = write!(out, "</{}>", self.name);
    }
}

/// Escapes `text` as ElementTree does for text (`attribute == false`) or attribute values.
pub fn escape_into(out: &mut String, text: &str, attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\r' if attribute => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#09;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// [`escape_into`] returning a new string.
pub fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text, attribute);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_like_element_tree() {
        let el = Element::new("Response")
            .with_child(
                Element::new("Say")
                    .with_attr("voice", "alice")
                    .with_attr("loop", 2)
                    .with_text("a & <b>\t\"c\""),
            )
            .with_child(
                Element::new("Dial")
                    .with_attr("hangupOnStar", true)
                    .with_attr("action", "/x?a=1&b=\"2\"\n"),
            )
            .with_child(Element::new("Hangup"))
            .with_child(Element::new("Say").with_text(""));
        assert_eq!(
            el.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>\
             <Say loop=\"2\" voice=\"alice\">a &amp; &lt;b&gt;\t\"c\"</Say>\
             <Dial action=\"/x?a=1&amp;b=&quot;2&quot;&#10;\" hangupOnStar=\"true\" />\
             <Hangup /><Say /></Response>"
        );
    }

    #[test]
    fn replaces_forbidden_characters() {
        assert_eq!(
            escape("a\u{0}b\u{1b}\u{FFFF}", false),
            "a\u{FFFD}b\u{FFFD}\u{FFFD}"
        );
        let mut el = Element::new("Say");
        el.set_attr("voice", "a");
        el.set_attr("voice", "b");
        assert_eq!(el.attrs, vec![("voice".to_string(), "b".to_string())]);
    }
}
