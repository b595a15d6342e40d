//! Reading a TwiML document back into an [`Element`] tree (the sandbox executes it).
//!
//! Whitespace-only text beside child elements (indentation) is dropped; other text is kept
//! exactly, with entity and character references resolved and CDATA taken literally. DOCTYPEs are
//! refused (no entity expansion), as are unknown entities, mismatched tags and trailing content.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

use super::Element;

/// Why a document is not acceptable TwiML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not well-formed XML.
    #[error("malformed XML at byte {position}: {message}")]
    Xml {
        /// Byte offset the reader had reached.
        position: u64,
        /// The XML reader's description.
        message: String,
    },
    /// A `<!DOCTYPE>`, which TwiML never needs.
    #[error("DOCTYPE is not allowed in TwiML")]
    Doctype,
    /// An entity other than the five XML predefines.
    #[error("unknown entity &{0};")]
    UnknownEntity(String),
    /// No root element, or content after it.
    #[error("document must contain exactly one root element")]
    Root,
}

/// Parses a TwiML document (declaration optional) into its root element.
pub fn parse(xml: &str) -> Result<Element, ParseError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let xml_err = |reader: &Reader<&[u8]>, e: &dyn std::fmt::Display| ParseError::Xml {
        position: reader.buffer_position(),
        message: e.to_string(),
    };
    loop {
        let event = reader.read_event().map_err(|e| xml_err(&reader, &e))?;
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err(ParseError::Root);
                }
                stack.push(open(&start).map_err(|e| xml_err(&reader, &e))?);
            }
            Event::Empty(start) => {
                if root.is_some() {
                    return Err(ParseError::Root);
                }
                let el = open(&start).map_err(|e| xml_err(&reader, &e))?;
                close(el, &mut stack, &mut root);
            }
            Event::End(_) => {
                let el = stack.pop().ok_or(ParseError::Root)?;
                close(el, &mut stack, &mut root);
            }
            Event::Text(t) => {
                let text = t.xml10_content().map_err(|e| xml_err(&reader, &e))?;
                push_text(&mut stack, &text)?;
            }
            Event::CData(t) => {
                let text = t.decode().map_err(|e| xml_err(&reader, &e))?;
                push_text(&mut stack, &text)?;
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| xml_err(&reader, &e))?;
                let resolved = match r.resolve_char_ref().map_err(|e| xml_err(&reader, &e))? {
                    Some(c) => c.to_string(),
                    None => resolve_predefined_entity(&name)
                        .ok_or_else(|| ParseError::UnknownEntity(name.to_string()))?
                        .to_string(),
                };
                push_text(&mut stack, &resolved)?;
            }
            Event::DocType(_) => return Err(ParseError::Doctype),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(ParseError::Xml {
            position: reader.buffer_position(),
            message: format!("unclosed element <{}>", stack[stack.len() - 1].name),
        });
    }
    root.ok_or(ParseError::Root)
}

fn open(start: &BytesStart<'_>) -> Result<Element, quick_xml::Error> {
    let name = std::str::from_utf8(start.name().as_ref())
        .map_err(|e| quick_xml::Error::Encoding(e.into()))?
        .to_string();
    let mut el = Element::new(name);
    for attr in start.attributes() {
        let attr = attr?;
        let key = std::str::from_utf8(attr.key.as_ref())
            .map_err(|e| quick_xml::Error::Encoding(e.into()))?
            .to_string();
        let value = attr.unescape_value()?.into_owned();
        el.attrs.push((key, value));
    }
    Ok(el)
}

fn close(mut el: Element, stack: &mut [Element], root: &mut Option<Element>) {
    if !el.children.is_empty() && el.text.as_deref().is_some_and(|t| t.trim().is_empty()) {
        el.text = None;
    }
    if el.text.as_deref() == Some("") {
        el.text = None;
    }
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

fn push_text(stack: &mut [Element], text: &str) -> Result<(), ParseError> {
    match stack.last_mut() {
        Some(el) => {
            el.text.get_or_insert_with(String::new).push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(ParseError::Root),
    }
}
